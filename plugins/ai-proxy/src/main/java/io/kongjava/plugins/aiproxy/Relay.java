package io.kongjava.plugins.aiproxy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;

/**
 * The loopback HTTP listener Kong proxies accepted LLM requests to, inside the plugin server's JVM.
 *
 * <p>Why: Kong gives external plugins no body_filter, and a {@code response} handler buffers the whole
 * response, so a plugin that must both stream SSE to the client and count its tokens has to sit in the
 * byte path itself. The access phase admits the request here with a one-time ticket (random, 256 bits,
 * valid for one connection within {@link #TICKET_TTL}) and points Kong's upstream at this listener; only
 * a holder of a ticket gets a request forwarded with the provider key, and the key never passes through
 * Kong's own request headers, so no Kong logger can print it.
 */
final class Relay implements AutoCloseable {

    static final String TICKET_HEADER = "x-kong-java-relay-ticket";
    static final String PATH = "/kong-java-ai-proxy";
    static final Duration TICKET_TTL = Duration.ofSeconds(120);

    private static final System.Logger LOG = System.getLogger(Relay.class.getName());
    private static final SecureRandom RANDOM = new SecureRandom();
    private static volatile Relay shared;

    private record Admitted(ProxyCall call, long expiresAtNanos) {
    }

    private final HttpServer server;
    private final OkHttpClient http;
    private final Map<String, Admitted> tickets = new ConcurrentHashMap<>();
    private volatile long nextSweepNanos = System.nanoTime();

    private Relay(HttpServer server, OkHttpClient http) {
        this.server = server;
        this.http = http;
    }

    /** The relay of this process, started on first use on a free loopback port. */
    static Relay shared() throws IOException {
        Relay relay = shared;
        if (relay == null) {
            synchronized (Relay.class) {
                relay = shared;
                if (relay == null) {
                    relay = start(0, defaultClient());
                    shared = relay;
                }
            }
        }
        return relay;
    }

    static OkHttpClient defaultClient() {
        // Each call sets the route's service timeouts (ProxyCall.Timeouts), as Kong applies them to its own
        // side; these are only the client's defaults.
        return new OkHttpClient.Builder()
                .connectTimeout(Duration.ofSeconds(30))
                .writeTimeout(Duration.ofSeconds(60))
                .readTimeout(Duration.ofMinutes(10))
                .followRedirects(false)
                // Concurrent streams each hold a connection; OkHttp keeps 5 idle by default, so a burst closed and
                // reopened the rest (a connect, a TLS handshake to the provider and a thread each time).
                .connectionPool(new ConnectionPool(64, 1, TimeUnit.MINUTES))
                .build();
    }

    static Relay start(int port, OkHttpClient http) throws IOException {
        // The JDK server leaves Nagle's algorithm on unless told otherwise: a streamed response's small writes
        // (an SSE event, the last chunk) would then wait up to 40 ms for the peer's delayed ACK. Read once,
        // when the JDK's server configuration loads, so it is set before the first server is created.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
        Relay relay = new Relay(server, http);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", relay::handle);
        server.start();
        LOG.log(Level.INFO, "java-ai-proxy relay listening on 127.0.0.1:" + relay.port());
        return relay;
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** Admits one request; the returned ticket is valid for a single use. */
    String admit(ProxyCall call) {
        sweepIfDue();
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        String ticket = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        tickets.put(ticket, new Admitted(call, System.nanoTime() + TICKET_TTL.toNanos()));
        return ticket;
    }

    /** Withdraws a ticket whose request will not come (the access phase failed after admitting it). */
    void revoke(String ticket) {
        Admitted admitted = tickets.remove(ticket);
        if (admitted != null) {
            admitted.call().analytics().complete(null);
        }
    }

    /** Tickets admitted and not yet used or expired. */
    int pendingTickets() {
        return tickets.size();
    }

    private void sweepIfDue() {
        long now = System.nanoTime();
        if (now - nextSweepNanos < 0) {
            return;
        }
        nextSweepNanos = now + TimeUnit.SECONDS.toNanos(10);
        tickets.entrySet().removeIf(entry -> {
            if (now - entry.getValue().expiresAtNanos() < 0) {
                return false;
            }
            // Kong never came (another plugin ended the request after ours): nothing to wait for.
            entry.getValue().call().analytics().complete(null);
            return true;
        });
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            exchange.getRequestBody().readAllBytes();
            String ticket = exchange.getRequestHeaders().getFirst(TICKET_HEADER);
            Admitted admitted = ticket == null ? null : tickets.remove(ticket);
            if (admitted == null || System.nanoTime() - admitted.expiresAtNanos() > 0) {
                byte[] body = "{\"message\":\"java-ai-proxy: unknown, used or expired relay ticket\"}".getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("content-type", "application/json");
                exchange.sendResponseHeaders(403, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
                return;
            }
            new UpstreamExchange(admitted.call(), exchange, http).run();
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "java-ai-proxy relay failed: " + e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
        tickets.values().forEach(admitted -> admitted.call().analytics().complete(null));
        tickets.clear();
    }

    static synchronized void closeShared() {
        if (shared != null) {
            shared.close();
            shared = null;
        }
    }
}
