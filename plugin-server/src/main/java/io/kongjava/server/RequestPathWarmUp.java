package io.kongjava.server;

import io.kongjava.catalogue.PdkFunction;
import io.kongjava.catalogue.RpcMethod;
import io.kongjava.pdk.Kong;
import io.kongjava.pdk.KongPlugin;
import io.kongjava.pdk.PdkException;
import io.kongjava.pdk.Phase;
import io.kongjava.pdk.exchange.RequestExchange;
import io.kongjava.pdk.schema.PluginDescriptor;
import io.kongjava.protocol.EventReply;
import io.kongjava.protocol.KongCall;
import io.kongjava.protocol.RpcMessage;
import io.kongjava.protocol.RpcReader;
import io.kongjava.protocol.RpcWriter;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * Runs Kong-shaped traffic through the server's own request path before Kong's does, so that the JIT compiles
 * the connection, the codec, event handling and the PDK bridge on the server's time instead of on Kong's first
 * few thousand requests. A private server (the same classes, its own registry, workers and socket in a private
 * temporary directory, no observer) serves a private plugin that makes typical PDK calls; a client on this
 * thread plays Kong. Nothing of it is visible to Kong, the metrics or the plugins, and nothing is left behind.
 */
final class RequestPathWarmUp {

    private static final System.Logger LOG = System.getLogger(RequestPathWarmUp.class.getName());
    /** Marks the private instance's configuration, as {@link PluginServer} marks its start-up probes. */
    static final String MARKER = "__warm_up__";
    private static final String PLUGIN_NAME = "kong-java-request-path-warm-up";
    private static final int CONNECTIONS = 4;
    /** One access event in this many ends the request, as an authentication plugin refusing it would. */
    private static final int EXIT_EVERY = 8;

    /** What a warm-up did: events completed, why it stopped, how long it took, and where it worked. */
    record Result(int events, String stoppedBecause, Duration took, Path directory) {
    }

    private RequestPathWarmUp() {
    }

    /**
     * Runs the warm-up on this thread until the budget is spent or {@code kongStarted} says Kong's traffic began
     * (when the budget asks for that); never throws.
     */
    static Result run(PluginServer.WarmUp budget, RequestExchange exchange, BooleanSupplier kongStarted) {
        long started = System.nanoTime();
        long deadline = started + budget.time().toNanos();
        Path directory = null;
        int events = 0;
        String stopped = "the event budget was spent";
        try {
            directory = Files.createTempDirectory("kong-java-warm-up");
            Path socket = directory.resolve("w.sock");
            PluginCatalog catalog = PluginCatalog.ofLoaded(List.of(plugin()));
            PluginServer.Settings settings = new PluginServer.Settings(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofMinutes(10), true);
            try (PluginServer server = new PluginServer(socket, catalog, exchange, settings, true).start();
                 FakeKong kong = new FakeKong(socket)) {
                long instanceId = kong.startInstance();
                while (events < budget.events()) {
                    if (System.nanoTime() - deadline > 0) {
                        stopped = "its time was up";
                        break;
                    }
                    if (budget.untilKongTraffic() && kongStarted.getAsBoolean()) {
                        stopped = "Kong's traffic began";
                        break;
                    }
                    kong.event(instanceId, events);
                    events++;
                }
                kong.closeInstance(instanceId);
            }
        } catch (IOException | RuntimeException e) {
            stopped = "it failed: " + e;
            LOG.log(Level.DEBUG, "the request-path warm-up stopped early", e);
        } finally {
            deleteQuietly(directory);
        }
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        Result result = new Result(events, stopped, took, directory);
        LOG.log(Level.INFO, () -> "warmed up the request path with " + result.events() + " synthetic events in " + took.toMillis()
                + " ms (stopped because " + result.stoppedBecause() + ")");
        return result;
    }

    private static void deleteQuietly(Path directory) {
        if (directory == null) {
            return;
        }
        try (var files = Files.list(directory)) {
            for (Path file : files.toList()) {
                Files.deleteIfExists(file);
            }
            Files.deleteIfExists(directory);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "could not remove the warm-up's directory " + directory + ": " + e.getMessage());
        }
    }

    /** The private plugin's configuration. */
    record WarmUpConfig(Optional<String> greeting) {
    }

    /**
     * The private plugin: a header read, a service-request and a response header set, now and then an exit,
     * in access; a serialized log record in log. What the server's side of each call costs does not depend on
     * the plugin, so its own work is trivial. A local class, so that the annotation processor, which registers
     * every member class implementing KongPlugin with ServiceLoader, never makes it a plugin Kong could see.
     */
    static PluginCatalog.LoadedPlugin plugin() {
        final class WarmUpPlugin implements KongPlugin<WarmUpConfig> {
            @Override
            public void access(Kong kong, WarmUpConfig config) throws PdkException {
                String host = kong.request().getHeader("host").orElse("");
                if (kong.request().getHeader("x-warm-up-exit").isPresent()) {
                    kong.response().exit(403, "{\"message\":\"refused\"}", Map.of("Content-Type", List.of("application/json")));
                    return;
                }
                kong.service().request().setHeader("x-warm-up", config.greeting().orElse("hello") + " " + host);
                kong.response().setHeader("x-warm-up-served-by", "java");
            }

            @Override
            public void log(Kong kong, WarmUpConfig config) throws PdkException {
                String record = kong.log().serialize();
                if (record.isEmpty()) {
                    kong.request().getHeader("host");
                }
            }
        }
        return new PluginCatalog.LoadedPlugin(new WarmUpPlugin(), new PluginDescriptor(PLUGIN_NAME, "0.0.0", 0,
                List.of(Phase.ACCESS, Phase.LOG), Map.of(), WarmUpConfig.class));
    }

    /** Kong's side: its HandleEvent and Steps over a few pooled connections, one event at a time. */
    private static final class FakeKong implements AutoCloseable {

        private final List<KongConnection> pool = new ArrayList<>();
        private long nextMsgid = 1;

        FakeKong(Path socket) throws IOException {
            for (int i = 0; i < CONNECTIONS; i++) {
                pool.add(new KongConnection(SocketChannel.open(StandardProtocolFamily.UNIX)));
                pool.getLast().channel.connect(UnixDomainSocketAddress.of(socket));
            }
        }

        long startInstance() throws IOException {
            String config = "{\"" + MARKER + "\":true,\"greeting\":\"hi\",\"__plugin_id\":\"7c1e2f57-warm-up\"}";
            Object status = call(pool.getFirst(), new KongCall.StartInstance(PLUGIN_NAME, config));
            if (!(status instanceof Map<?, ?> info) || !(info.get("Id") instanceof Long id)) {
                throw new IOException("StartInstance answered " + status);
            }
            return id;
        }

        void closeInstance(long instanceId) throws IOException {
            call(pool.getFirst(), new KongCall.CloseInstance(instanceId));
        }

        /** One event: the access phase of request {@code n}, or its log phase; on one of the pooled connections. */
        void event(long instanceId, int n) throws IOException {
            KongConnection connection = pool.get(n % pool.size());
            boolean access = (n & 1) == 0;
            boolean exits = access && (n / 2) % EXIT_EVERY == EXIT_EVERY - 1;
            Object reply = call(connection, new KongCall.HandleEvent(instanceId, access ? "access" : "log"));
            while (EventReply.decode(reply) instanceof EventReply.PdkCall pdkCall) {
                String method = pdkCall.method();
                if (PdkFunction.isTerminal(method)) {
                    return; // Kong never answers an exit; the connection is free for its next call
                }
                Object data = switch (method) {
                    case "kong.request.get_header" -> switch (String.valueOf(pdkCall.args().getFirst())) {
                        case "host" -> "api.example.test";
                        case "x-warm-up-exit" -> exits ? "1" : null;
                        default -> null;
                    };
                    case "kong.log.serialize" -> logRecord(n);
                    default -> null;
                };
                reply = call(connection, new KongCall.Step(PdkFunction.stepFor(method), pdkCall.eventId(), data));
            }
        }

        private Object call(KongConnection connection, KongCall call) throws IOException {
            long msgid = nextMsgid++;
            connection.writer.write(new RpcMessage.Request(msgid, call.method().wireName(), List.of(call.toArgument())));
            while (true) {
                RpcMessage message = connection.reader.read();
                switch (message) {
                    case null -> throw new IOException("the warm-up server closed a connection");
                    case RpcMessage.Notification notification -> {
                        // the serverPid notice before a connection's first answer
                    }
                    case RpcMessage.Response response when response.msgid() == msgid -> {
                        if (response.failed()) {
                            throw new IOException(call.method().wireName() + " failed: " + response.error());
                        }
                        return response.result();
                    }
                    case RpcMessage.Response response -> throw new IOException("answer to msgid " + response.msgid() + ", expected " + msgid);
                    case RpcMessage.Request request -> throw new IOException("unexpected request " + request.method());
                }
            }
        }

        @Override
        public void close() {
            pool.forEach(KongConnection::close);
        }
    }

    private static final class KongConnection {
        final SocketChannel channel;
        final RpcWriter writer;
        final RpcReader reader;

        KongConnection(SocketChannel channel) {
            this.channel = channel;
            this.writer = new RpcWriter(Channels.newOutputStream(channel));
            this.reader = new RpcReader(Channels.newInputStream(channel));
        }

        void close() {
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    /** A log record of the size and shape Kong's log serializer gives for a proxied request (about 1.5 KB). */
    private static String logRecord(int n) {
        return LOG_RECORD_TEMPLATE.replace("{n}", Integer.toString(n));
    }

    private static final String LOG_RECORD_TEMPLATE = """
            {"request":{"id":"5d1b0c0a4c7e4d7f9a1e{n}","uri":"/bench/{n}","url":"http://api.example.test:8000/bench/{n}",\
            "method":"GET","size":112,"querystring":{},"headers":{"host":"api.example.test","user-agent":"load/1.0",\
            "accept":"*/*","x-request-id":"{n}"},"tls":null},"upstream_uri":"/bench/{n}","upstream_status":"200",\
            "response":{"status":200,"size":245,"headers":{"content-type":"application/json","content-length":"58",\
            "connection":"close","x-kong-upstream-latency":"1","x-kong-proxy-latency":"0","via":"1.1 kong/3.10.0"}},\
            "latencies":{"request":2,"kong":1,"proxy":1,"receive":0},"tries":[{"balancer_start":1764673200000,\
            "balancer_latency":0,"ip":"127.0.0.1","port":18002}],"client_ip":"127.0.0.1","started_at":1764673200000,\
            "route":{"id":"8c5e4f1a-6b0d-4a1b-9c77-2f1d0e9b7a11","name":"bench","paths":["/bench"],"protocols":["http"],\
            "strip_path":false,"preserve_host":false,"https_redirect_status_code":426,"request_buffering":true,\
            "response_buffering":true,"regex_priority":0,"path_handling":"v0","ws_id":"0dc6f45b-8f8d-40d2-a504-473544ee190b",\
            "created_at":1764673100,"updated_at":1764673100},"service":{"id":"e1b7c3a0-2f4d-4c8e-8a90-5b6d7e8f9a01",\
            "name":"echo","host":"127.0.0.1","port":18002,"protocol":"http","path":"/","retries":5,"connect_timeout":60000,\
            "read_timeout":60000,"write_timeout":60000,"enabled":true,"ws_id":"0dc6f45b-8f8d-40d2-a504-473544ee190b",\
            "created_at":1764673100,"updated_at":1764673100},"workspace":"0dc6f45b-8f8d-40d2-a504-473544ee190b",\
            "workspace_name":"default","source":"upstream"}""";
}
