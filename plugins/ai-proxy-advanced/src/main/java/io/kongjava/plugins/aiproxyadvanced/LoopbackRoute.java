package io.kongjava.plugins.aiproxyadvanced;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.kongjava.pdk.Kong;
import io.kongjava.pdk.PdkException;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;

/**
 * {@link AnswerRoute} for a PDK without streaming: the access phase points Kong's upstream at a listener on
 * 127.0.0.1 inside this JVM and hands it a single-use 256-bit ticket; the listener, reached by Kong with that
 * ticket, runs the request's job and streams its answer back through Kong. Without a valid ticket it answers 403,
 * so nobody else can make it call a provider with the configured credentials.
 */
final class LoopbackRoute implements AnswerRoute {

    static final String TICKET_HEADER = "x-kong-java-advanced-ticket";
    static final String PATH = "/kong-java-ai-proxy-advanced";
    static final Duration TICKET_TTL = Duration.ofSeconds(120);

    private static final System.Logger LOG = System.getLogger(LoopbackRoute.class.getName());
    private static final SecureRandom RANDOM = new SecureRandom();

    private record Pending(Job job, long expiresAtNanos) {
    }

    private final HttpServer server;
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();

    private LoopbackRoute(HttpServer server) {
        this.server = server;
    }

    static LoopbackRoute start() throws IOException {
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");  // each SSE event leaves at once
        }
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
        LoopbackRoute route = new LoopbackRoute(server);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", route::handle);
        server.start();
        LOG.log(Level.INFO, "java-ai-proxy-advanced answers through 127.0.0.1:" + route.port());
        return route;
    }

    int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void route(Kong kong, Job job) throws PdkException {
        expireOld();
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        String ticket = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        pending.put(ticket, new Pending(job, System.nanoTime() + TICKET_TTL.toNanos()));
        try {
            kong.service().request().setScheme("http");
            kong.service().setTarget("127.0.0.1", port());
            kong.service().request().setPath(PATH);
            kong.service().request().setRawQuery("");
            kong.service().request().setHeader(TICKET_HEADER, ticket);
        } catch (PdkException | RuntimeException e) {
            pending.remove(ticket);
            throw e;
        }
    }

    @Override
    public List<String> privateHeaders() {
        return List.of(TICKET_HEADER);
    }

    private void expireOld() {
        long now = System.nanoTime();
        pending.entrySet().removeIf(entry -> {
            if (now - entry.getValue().expiresAtNanos() < 0) {
                return false;
            }
            entry.getValue().job().abandoned();
            return true;
        });
    }

    private void handle(HttpExchange exchange) {
        try (exchange) {
            exchange.getRequestBody().readAllBytes();
            String ticket = exchange.getRequestHeaders().getFirst(TICKET_HEADER);
            Pending admitted = ticket == null ? null : pending.remove(ticket);
            if (admitted == null || System.nanoTime() - admitted.expiresAtNanos() > 0) {
                byte[] body = "{\"message\":\"java-ai-proxy-advanced: unknown, used or expired ticket\"}".getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("content-type", "application/json");
                exchange.sendResponseHeaders(403, body.length);
                exchange.getResponseBody().write(body);
                return;
            }
            admitted.job().answer(new ExchangeSink(exchange));
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "java-ai-proxy-advanced: answering through the loopback failed: " + e);
        }
    }

    /** The client side of one exchange with Kong. */
    private static final class ExchangeSink implements ClientSink {
        private final HttpExchange exchange;
        private OutputStream body;

        ExchangeSink(HttpExchange exchange) {
            this.exchange = exchange;
        }

        @Override
        public void send(int status, List<Map.Entry<String, String>> headers, byte[] bytes) throws IOException {
            headers.forEach(header -> exchange.getResponseHeaders().add(header.getKey(), header.getValue()));
            exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }

        @Override
        public void beginStream(List<Map.Entry<String, String>> headers) throws IOException {
            headers.forEach(header -> exchange.getResponseHeaders().add(header.getKey(), header.getValue()));
            exchange.sendResponseHeaders(200, 0);
            body = exchange.getResponseBody();
        }

        @Override
        public void write(byte[] bytes) throws IOException {
            body.write(bytes);
            body.flush();
        }

        @Override
        public void end() throws IOException {
            body.close();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        pending.values().forEach(p -> p.job().abandoned());
        pending.clear();
    }
}
