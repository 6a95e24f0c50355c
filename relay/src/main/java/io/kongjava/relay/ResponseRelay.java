package io.kongjava.relay;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.kongjava.http.HeaderLimits;
import io.kongjava.http.UpstreamClient;
import io.kongjava.http.BlockingHttpServer;
import io.kongjava.pdk.Kong;
import io.kongjava.pdk.PdkException;
import io.kongjava.pdk.entity.Service;
import io.kongjava.pdk.exchange.ProcessRequestExchange;
import io.kongjava.pdk.exchange.RequestExchange;
import io.kongjava.pdk.filter.ResponseFilter;
import io.kongjava.pdk.filter.StreamEnd;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The plugin server's loopback relay: Kong proxies a request whose response some plugin filters here
 * instead of to the Service, and the relay calls the Service itself and streams its answer back through
 * the filters.
 *
 * <p>The access phase admits the request with a one-time ticket (random, 256 bits, valid for one use within
 * {@link #TICKET_TTL}), sent by Kong as the {@value #TICKET_HEADER} header; a request without a valid ticket
 * gets a 403. Kong keeps the path, query and headers it computed for the Service (the route's
 * {@code strip_path}, {@code preserve_host}, the X-Forwarded headers); the relay only changes where they go.
 */
public final class ResponseRelay implements AutoCloseable {

    public static final String TICKET_HEADER = io.kongjava.pdk.filter.FiltersResponse.RELAY_TICKET_HEADER;
    /** The key of the relay's block for the request's log line in the request exchange. */
    public static final String LOG_KEY = "relay";
    static final Duration TICKET_TTL = Duration.ofSeconds(120);

    private static final System.Logger LOG = System.getLogger(ResponseRelay.class.getName());
    private static final SecureRandom RANDOM = new SecureRandom();
    private static volatile ResponseRelay shared;

    private record Admitted(RelayRoute route) {
    }

    /** The relay's HTTP listener on loopback. */
    public interface Listener {
        int port();

        void close();
    }

    /** Starts a listener serving {@code handler}; the virtual-thread server unless a benchmark compares another. */
    @FunctionalInterface
    public interface ListenerFactory {
        Listener listen(InetSocketAddress address, HttpHandler handler) throws IOException;
    }

    /**
     * The local gateway's server ({@link BlockingHttpServer}): it owns the client's socket, so the relay
     * hears of a client that leaves while the upstream is silent at once instead of at its next write.
     */
    public static final ListenerFactory VIRTUAL_THREAD_SERVER = (address, handler) -> {
        BlockingHttpServer server = new BlockingHttpServer(address, 1024, HeaderLimits.BEHIND_NGINX, handler,
                (status, message) -> new BlockingHttpServer.RefusalAnswer(("{\"message\":\"" + message + "\"}").getBytes(StandardCharsets.UTF_8)));
        return new Listener() {
            @Override
            public int port() {
                return server.address().getPort();
            }

            @Override
            public void close() {
                server.close();
            }
        };
    };

    /**
     * The JDK's HttpServer on virtual threads, Nagle off: the relay's listener before, kept for the benchmark's
     * A/B. It tells the relay of a client that left only when a write fails.
     */
    public static final ListenerFactory JDK_SERVER = (address, handler) -> {
        // The JDK server leaves Nagle's algorithm on unless told otherwise: a streamed response's small writes
        // would wait up to 40 ms for the peer's delayed ACK. Read once, when the JDK's server configuration loads.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
        HttpServer server = HttpServer.create(address, 1024);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", handler);
        server.start();
        return new Listener() {
            @Override
            public int port() {
                return server.getAddress().getPort();
            }

            @Override
            public void close() {
                server.stop(0);
            }
        };
    };

    private Listener server;
    private String hostHeader;
    private final RequestExchange exchange;
    private final Path certificates;
    private final Map<String, RelayRoute> tickets = new ConcurrentHashMap<>();
    /** Routes admitted and not yet used, by Kong's request id: where a second filter of the request joins. */
    private final Map<String, RelayRoute> byRequest = new ConcurrentHashMap<>();
    /** One upstream client (and connection pool) per TLS setting in use; the Service's timeouts go with each call. */
    private final Map<UpstreamTls, UpstreamClient> clients = new ConcurrentHashMap<>();
    private volatile long nextSweepNanos = System.nanoTime();

    private ResponseRelay(RequestExchange exchange, Path certificates) {
        this.exchange = exchange;
        this.certificates = certificates;
    }

    /** The system property naming the shared relay's loopback port; unset or 0, any free one. */
    public static final String PORT_PROPERTY = "kong.java.relay.port";

    /**
     * The system property naming the certificates directory, ahead of {@code KONG_JAVA_CERTIFICATES_DIR}: how the
     * local gateway hands the certificates of its kong.yaml to a relay in its own JVM.
     */
    public static final String CERTIFICATES_PROPERTY = "kong.java.certificates.dir";

    /**
     * The relay of this process, started on first use on loopback (the port {@value #PORT_PROPERTY} names, else a
     * free one), with the process's request exchange and the certificates directory named by
     * {@value #CERTIFICATES_PROPERTY} or {@code KONG_JAVA_CERTIFICATES_DIR}, if any. When it cannot start, each call tries again and throws.
     */
    public static ResponseRelay shared() throws IOException {
        ResponseRelay relay = shared;
        if (relay == null) {
            synchronized (ResponseRelay.class) {
                relay = shared;
                if (relay == null) {
                    String dir = System.getProperty(CERTIFICATES_PROPERTY, System.getenv("KONG_JAVA_CERTIFICATES_DIR"));
                    relay = start(Integer.getInteger(PORT_PROPERTY, 0), ProcessRequestExchange.shared(), dir == null || dir.isBlank() ? null : Path.of(dir));
                    shared = relay;
                }
            }
        }
        return relay;
    }

    /**
     * The shared relay when it has started in this JVM and listens on {@code port}: a proxy of the same process (the
     * local gateway running the plugin server in process) hands it Kong's request with {@link #serve}, not over loopback.
     */
    public static Optional<ResponseRelay> sharedOn(int port) {
        ResponseRelay relay = shared;
        return relay != null && relay.port() == port ? Optional.of(relay) : Optional.empty();
    }

    /**
     * Serves one request of Kong's, as the relay's listener does, on the caller's thread: an exchange of the same JVM
     * ({@link io.kongjava.http.InMemoryExchange}), which the relay answers and closes.
     */
    public void serve(HttpExchange exchange) throws IOException {
        handle(exchange);
    }

    public static ResponseRelay start(int port, RequestExchange exchange, Path certificates) throws IOException {
        return start(VIRTUAL_THREAD_SERVER, port, exchange, certificates);
    }

    public static ResponseRelay start(ListenerFactory listeners, int port, RequestExchange exchange, Path certificates)
            throws IOException {
        ResponseRelay relay = new ResponseRelay(exchange, certificates);
        relay.server = listeners.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), relay::handle);
        relay.hostHeader = "127.0.0.1:" + relay.port();
        LOG.log(Level.INFO, "response relay listening on 127.0.0.1:" + relay.port());
        return relay;
    }

    public int port() {
        return server.port();
    }

    /** The Host header Kong sends for the target the access phase set: the relay's own address. */
    String hostHeader() {
        return hostHeader;
    }

    /**
     * Adds {@code filter} (of {@code plugin}) to this request's relay pass, in the access phase. The first
     * filter of a request points Kong's upstream at the relay (after the request id, which costs no round trip when
     * the plugin read it in this event already: the Service, the scheme unless the Service is http, the target,
     * the ticket header); each later one only finds the pass by the request id. When it
     * throws, the filter was not attached and has not been closed: the caller closes it.
     */
    public void attach(Kong kong, String plugin, ResponseFilter filter) throws PdkException {
        sweepIfDue();
        String requestId = kong.nginx().getVar("kong_request_id").filter(id -> !id.isEmpty()).orElse(null);
        RelayRoute joined = requestId == null ? null : byRequest.get(requestId);
        if (joined != null) {
            joined.stages.add(new RelayRoute.Stage(plugin, filter));
            return;
        }
        Optional<Service> service = kong.router().getService();
        RelayRoute route = new RelayRoute(requestId, service, System.nanoTime() + TICKET_TTL.toNanos());
        route.stages.add(new RelayRoute.Stage(plugin, filter));
        String ticket = newTicket();
        tickets.put(ticket, route);
        if (requestId != null) {
            byRequest.put(requestId, route);
            exchange.publish(requestId, LOG_KEY, route.logBlock);
        }
        try {
            if (!service.map(Service::protocol).orElse("").equals("http")) {
                // Kong's upstream scheme starts as the Service's protocol: only another one needs the round trip
                kong.service().request().setScheme("http");
            }
            kong.service().setTarget("127.0.0.1", port());
            kong.service().request().setHeader(TICKET_HEADER, ticket);
        } catch (PdkException | RuntimeException e) {
            withdraw(ticket, e);
            throw e;
        }
    }

    /** Routes admitted and not yet used or expired. */
    public int pendingTickets() {
        return tickets.size();
    }

    private final java.util.concurrent.atomic.AtomicInteger passesInFlight = new java.util.concurrent.atomic.AtomicInteger();

    /** Requests being relayed right now: an answer (a stream, say) still on its way from the provider to Kong. */
    public int passesInFlight() {
        return passesInFlight.get();
    }

    /** The process's shared relay, if one was started. */
    public static synchronized Optional<ResponseRelay> sharedIfStarted() {
        return Optional.ofNullable(shared);
    }

    /**
     * Undoes an attach Kong refused. The filter is not told here: the caller closes it once (AfterAccess, with
     * {@link StreamEnd.NotAttached}); only the relay's block of the log line is settled.
     */
    private void withdraw(String ticket, Exception cause) {
        RelayRoute route = tickets.remove(ticket);
        if (route != null) {
            forget(route);
            Map<String, Object> block = new java.util.LinkedHashMap<>();
            block.put("outcome", new StreamEnd.NotAttached(String.valueOf(cause)).outcome());
            block.put("filters", route.plugins());
            block.put("error", String.valueOf(cause));
            route.logBlock.complete(block);
        }
    }

    private void forget(RelayRoute route) {
        if (route.requestId != null) {
            byRequest.remove(route.requestId, route);
        }
    }

    private static String newTicket() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private void sweepIfDue() {
        long now = System.nanoTime();
        if (now - nextSweepNanos < 0) {
            return;
        }
        nextSweepNanos = now + TimeUnit.SECONDS.toNanos(10);
        tickets.entrySet().removeIf(entry -> {
            RelayRoute route = entry.getValue();
            if (now - route.expiresAtNanos < 0) {
                return false;
            }
            // Kong never came: a later plugin ended the request, or sent it elsewhere.
            forget(route);
            RelayPass.closeAll(route, new StreamEnd.NotProxied(), 0);
            return true;
        });
    }

    /**
     * The upstream client for a Service's TLS settings. A setting's files are read once, when it is first used;
     * past 64 settings in use a new one gets a client of its own for the call, not pooled, closed after it.
     */
    UpstreamClient client(RelayRoute route) throws UpstreamTls.Unusable {
        UpstreamTls tls = route.service.map(UpstreamTls::of).orElse(UpstreamTls.KONG_DEFAULT);
        UpstreamClient client = clients.get(tls);
        if (client == null) {
            client = tls.client(certificates);
            if (clients.size() < 64) {
                UpstreamClient raced = clients.putIfAbsent(tls, client);
                if (raced != null) {
                    client.close();
                    client = raced;
                }
            }
        }
        return client;
    }

    /** Whether {@code client} is kept by the relay (else its one caller closes it). */
    boolean pooled(UpstreamClient client) {
        return clients.containsValue(client);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            String ticket = exchange.getRequestHeaders().getFirst(TICKET_HEADER);
            RelayRoute route = ticket == null ? null : tickets.remove(ticket);
            if (route != null) {
                forget(route);
            }
            if (route == null || System.nanoTime() - route.expiresAtNanos > 0) {
                if (route != null) {
                    RelayPass.closeAll(route, new StreamEnd.NotProxied(), 0);
                }
                byte[] refusal = "{\"message\":\"unknown, used or expired relay ticket\"}".getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("content-type", "application/json");
                exchange.sendResponseHeaders(403, refusal.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(refusal);
                }
                return;
            }
            RelayPass pass = new RelayPass(this, route, exchange, body);
            BlockingHttpServer.watchClient(exchange, pass::clientLeft);
            passesInFlight.incrementAndGet();
            try {
                pass.run();
            } finally {
                passesInFlight.decrementAndGet();
            }
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "the response relay failed: " + e, e);
        }
    }

    @Override
    public void close() {
        server.close();
        tickets.values().forEach(route -> RelayPass.closeAll(route, new StreamEnd.NotProxied(), 0));
        tickets.clear();
        byRequest.clear();
        clients.values().forEach(UpstreamClient::close);
        clients.clear();
    }

    public static synchronized void closeShared() {
        if (shared != null) {
            shared.close();
            shared = null;
        }
    }
}
