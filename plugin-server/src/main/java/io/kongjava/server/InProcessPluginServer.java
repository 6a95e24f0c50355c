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
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

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
    private final RequestExchange exchange;
    private final RpcMethods methods;
    private final Thread housekeeping;
    private final Duration instanceIdleTimeout;
    private final Duration slowAfter;
    /** Events running now, with when each started: the ones past {@link #slowAfter} are named in the log, once. */
    private final Map<DirectEvent, Long> running = new ConcurrentHashMap<>();
    private final java.util.Set<DirectEvent> namedSlow = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    public InProcessPluginServer(PluginCatalog catalog, RequestExchange exchange, Duration instanceIdleTimeout) {
        this(catalog, exchange, instanceIdleTimeout, PluginServer.Settings.defaults().replyTimeout());
    }

    /**
     * @param slowAfter an event still running after this long is logged as a warning, once: over the socket the
     *                  server would have answered Kong with an error by then, and Kong given up on it; in process
     *                  nothing can take the request back from the plugin
     */
    public InProcessPluginServer(PluginCatalog catalog, RequestExchange exchange, Duration instanceIdleTimeout, Duration slowAfter) {
        this.instanceIdleTimeout = instanceIdleTimeout;
        this.slowAfter = slowAfter;
        this.registry = new Registry(instanceIdleTimeout);
        this.exchange = exchange;
        this.methods = new RpcMethods(catalog, registry, exchange);
        this.housekeeping = Thread.ofPlatform().name("in-process instances").daemon(true).unstarted(this::housekeeping);
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

    /**
     * The Unix socket {@code kong-java-pluginserver ARGS} listens on, as an absolute path.
     *
     * @throws IllegalArgumentException when {@code args} are not the server's options
     */
    public static Path socketOf(String... args) {
        return Main.Options.parse(args).listensOn().toAbsolutePath().normalize();
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
        running.put(event, System.nanoTime());
        try {
            start.body().run(event);
        } catch (Throwable e) {
            if (!event.ended()) {
                LOG.log(Level.WARNING, "plugin " + instance.name() + " failed in " + eventName + ": " + e, e);
                PhaseFailure.answer(event, instance.name(), eventName, e);
            } else {
                LOG.log(Level.DEBUG, () -> "plugin " + instance.name() + " stopped after its event ended: " + e);
            }
        } finally {
            running.remove(event);
            namedSlow.remove(event);
            instance.activeEvents.decrementAndGet();
            instance.lastUsedNanos = System.nanoTime();
        }
        return event.outcome();
    }

    /**
     * Forgets what the plugins exchanged for the request: its last reader has run. Held until it expired, a second's
     * worth of every request's blocks survived each young collection of the gateway's heap and was copied by it.
     */
    @Override
    public void requestEnded(String requestId) {
        exchange.forgetRequest(requestId);
    }

    /** Names events that run too long, and forgets instances idle past the idle timeout. */
    private void housekeeping() {
        long expiryEvery = Math.max(1000, Math.min(30_000, instanceIdleTimeout.toMillis() / 4));
        long tick = Math.max(10, Math.min(1000, slowAfter.toMillis() / 4));
        long lastExpiry = System.nanoTime();
        while (!closed) {
            try {
                Thread.sleep(tick);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            running.forEach((event, started) -> {
                if (now - started > slowAfter.toNanos() && namedSlow.add(event)) {
                    LOG.log(Level.WARNING, event.describeSlow(slowAfter));
                }
            });
            if (now - lastExpiry >= expiryEvery * 1_000_000) {
                registry.expireIdleInstances(instance -> { });
                lastExpiry = now;
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        housekeeping.interrupt();
    }
}
