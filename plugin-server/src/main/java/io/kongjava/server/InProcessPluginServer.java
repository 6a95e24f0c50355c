package io.kongjava.server;

import io.kongjava.catalogue.RpcMethod;
import io.kongjava.kongclient.EventOutcome;
import io.kongjava.kongclient.PdkHandler;
import io.kongjava.kongclient.PluginServerClient;
import io.kongjava.kongclient.RpcErrorException;
import io.kongjava.pdk.exchange.ProcessRequestExchange;
import io.kongjava.pdk.exchange.RequestExchange;
import io.kongjava.protocol.KongCall;
import io.kongjava.protocol.MsgPackValues;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * This server's plugins in the caller's JVM, for a host that plays Kong itself (the local gateway's
 * {@code --plugins-in-process}). Kong's methods are plain calls, and an event runs on the caller's thread with each
 * PDK call answered by the caller's {@link PdkHandler}: what costs a round trip over the socket (two writes, two
 * reads, a thread woken on each side) is a method call. Values still cross as MessagePack would carry them, so a
 * plugin sees the types it sees under Kong. What the socket server adds for Kong has no counterpart here: the
 * answer to a plugin that stays silent past Kong's timeout, and Steps that arrive on another connection.
 */
public final class InProcessPluginServer implements PluginServerClient {

    private static final System.Logger LOG = System.getLogger(InProcessPluginServer.class.getName());

    private final Registry registry;
    private final RpcMethods methods;
    private final Thread housekeeping;
    private final Duration instanceIdleTimeout;
    private volatile boolean closed;

    public InProcessPluginServer(PluginCatalog catalog, RequestExchange exchange, Duration instanceIdleTimeout) {
        this.instanceIdleTimeout = instanceIdleTimeout;
        this.registry = new Registry(instanceIdleTimeout);
        this.methods = new RpcMethods(catalog, registry, exchange);
        this.housekeeping = Thread.ofPlatform().name("in-process instances").daemon(true).unstarted(this::expireIdleInstances);
    }

    /**
     * The server {@code kong-java-pluginserver ARGS} would run, in this JVM: its plugins directory and instance idle
     * timeout taken from {@code args} as the server reads them; options about its socket and process are accepted and
     * have nothing to do here.
     *
     * @throws IllegalArgumentException when {@code args} are not the server's options
     * @throws IOException when the plugins directory cannot be read
     */
    public static InProcessPluginServer fromArguments(String... args) throws IOException {
        Main.Options options = Main.Options.parse(args);
        if (options.metricsListen() != null || options.otlpEndpoint() != null) {
            LOG.log(Level.WARNING, "the plugin server runs in process: --metrics-listen and --otlp-endpoint are not served"
                    + " (run its own process for metrics)");
        }
        return new InProcessPluginServer(PluginCatalog.load(options.pluginsDirectory()), ProcessRequestExchange.shared(),
                options.instanceIdleTimeout());
    }

    /** Warms the plugins up in the background (as the socket server does once it listens) and expires idle instances. */
    public InProcessPluginServer start() {
        housekeeping.start();
        Thread.ofPlatform().name("in-process warm-up").daemon(true).start(methods::warmUp);
        return this;
    }

    public List<String> pluginNames() {
        return methods.pluginNames();
    }

    @Override
    public Object call(KongCall call) throws RpcErrorException {
        String method = call.method().wireName();
        try {
            return MsgPackValues.acrossTheWire(methods.dispatch(method, MsgPackValues.acrossTheWire(call.toArgument())));
        } catch (RpcMethods.RpcError e) {
            throw new RpcErrorException(method, e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "internal error in " + method, e);
            throw new RpcErrorException(method, "internal error in " + method + ": " + e);
        }
    }

    @Override
    public EventOutcome handleEvent(long instanceId, String eventName, PdkHandler kong) throws RpcErrorException {
        RpcMethods.EventStart start;
        try {
            start = methods.eventStart(new KongCall.HandleEvent(instanceId, eventName).toArgument());
        } catch (RpcMethods.RpcError e) {
            throw new RpcErrorException(RpcMethod.HANDLE_EVENT.wireName(), e.getMessage());
        }
        if (start.body() == null) {
            return new EventOutcome.Returned(0);
        }
        PluginInstance instance = start.instance();
        DirectEvent event = new DirectEvent(instance, eventName, kong);
        instance.activeEvents.incrementAndGet();
        try {
            start.body().run(event);
        } catch (Throwable e) {
            if (!event.ended()) {
                LOG.log(Level.WARNING, "plugin " + instance.name() + " failed in " + eventName + ": " + e, e);
            } else {
                LOG.log(Level.DEBUG, () -> "plugin " + instance.name() + " stopped after its event ended: " + e);
            }
        } finally {
            instance.activeEvents.decrementAndGet();
            instance.lastUsedNanos = System.nanoTime();
        }
        return event.outcome();
    }

    private void expireIdleInstances() {
        long every = Math.max(1000, Math.min(30_000, instanceIdleTimeout.toMillis() / 4));
        while (!closed) {
            try {
                Thread.sleep(every);
            } catch (InterruptedException e) {
                return;
            }
            registry.expireIdleInstances(instance -> { });
        }
    }

    @Override
    public void close() {
        closed = true;
        housekeeping.interrupt();
    }
}
