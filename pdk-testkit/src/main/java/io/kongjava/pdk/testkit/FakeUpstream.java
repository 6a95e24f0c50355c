package io.kongjava.pdk.testkit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local HTTP upstream on 127.0.0.1 that serves {@link Upstream} answers in the order they were enqueued and keeps
 * every request it got, in the manner of OkHttp's MockWebServer: the upstream for a filter that makes the upstream
 * call itself ({@code CallsUpstream}), pointed at {@link #url()} through the plugin's config. A request that finds
 * no answer left gets a 599 saying so, so a test that expected fewer calls fails on it.
 *
 * <pre>{@code
 * try (FakeUpstream busy = FakeUpstream.start(); FakeUpstream healthy = FakeUpstream.start()) {
 *     busy.enqueue(Upstream.answer(503, Map.of(), "overloaded"));
 *     healthy.enqueue(Upstream.sse("event: message_start\ndata: {}\n\n"));
 *     // ... config naming busy.url() and healthy.url(), then FilterTester.exchange(...)
 *     assertThat(healthy.takeRequest().path()).isEqualTo("/v1/messages");
 * }
 * }</pre>
 */
public final class FakeUpstream implements AutoCloseable {

    /** A request as the fake upstream received it; header names lower-cased. */
    public record Received(String method, String path, Map<String, List<String>> headers, String body) {

        /** The first value of a header, or null. */
        public String header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null || values.isEmpty() ? null : values.getFirst();
        }
    }

    private static final Duration TAKE_TIMEOUT = Duration.ofSeconds(5);

    private final HttpServer server;
    private final ConcurrentLinkedQueue<Upstream> answers = new ConcurrentLinkedQueue<>();
    private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
    private final AtomicInteger requestCount = new AtomicInteger();

    private FakeUpstream(HttpServer server) {
        this.server = server;
    }

    /** Starts on a free loopback port. */
    public static FakeUpstream start() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        FakeUpstream upstream = new FakeUpstream(server);
        server.createContext("/", upstream::serve);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
        return upstream;
    }

    /** Adds answers, served one per request in this order. */
    public FakeUpstream enqueue(Upstream... next) {
        answers.addAll(List.of(next));
        return this;
    }

    /** {@code http://127.0.0.1:<port>}, without a trailing slash. */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** The next request received, in order; waits up to 5 s for it, then fails. */
    public Received takeRequest() throws InterruptedException {
        Received next = received.poll(TAKE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        if (next == null) {
            throw new IllegalStateException("no request reached " + url() + " within " + TAKE_TIMEOUT.toSeconds() + " s");
        }
        return next;
    }

    /** How many requests arrived so far. */
    public int requestCount() {
        return requestCount.get();
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private void serve(HttpExchange exchange) throws IOException {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        exchange.getRequestHeaders().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT), List.copyOf(values)));
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        received.add(new Received(exchange.getRequestMethod(), exchange.getRequestURI().toString(), Map.copyOf(headers), body));
        requestCount.incrementAndGet();
        Upstream answer = answers.poll();
        switch (answer) {
            case null -> {
                byte[] message = ("FakeUpstream: no answer enqueued for request " + requestCount.get()).getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(599, message.length);
                exchange.getResponseBody().write(message);
                exchange.close();
            }
            case Upstream.Answer whole -> {
                write(exchange, whole.status(), whole.headers(), whole.chunks());
                exchange.close();
            }
            // Not closed: closing the exchange would end the body properly.
            case Upstream.BreaksOff broken -> {
                write(exchange, broken.status(), broken.headers(), broken.chunks());
                throw dropConnection();
            }
            case Upstream.NoAnswer none -> throw dropConnection();
        }
    }

    /** Sends the head with chunked framing, then each chunk flushed on its own. */
    private static void write(HttpExchange exchange, int status, Map<String, List<String>> headers, List<String> chunks) throws IOException {
        headers.forEach((name, values) -> exchange.getResponseHeaders().put(name, values));
        exchange.sendResponseHeaders(status, 0);
        OutputStream out = exchange.getResponseBody();
        for (String chunk : chunks) {
            out.write(chunk.getBytes(StandardCharsets.UTF_8));
            out.flush();
        }
    }

    /** Thrown out of the handler: the JDK server then closes the connection as it is, without ending the body. */
    private static UncheckedIOException dropConnection() {
        return new UncheckedIOException(new IOException("FakeUpstream drops the connection, as scripted"));
    }
}
