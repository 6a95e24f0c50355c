package io.kongjava.pdk.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.kongjava.pdk.Kong;
import io.kongjava.pdk.KongPlugin;
import io.kongjava.pdk.Phase;
import io.kongjava.pdk.exchange.ProcessRequestExchange;
import io.kongjava.pdk.filter.CallsUpstream;
import io.kongjava.pdk.filter.FiltersResponse;
import io.kongjava.pdk.filter.HttpFields;
import io.kongjava.pdk.filter.ResponseFilter;
import io.kongjava.pdk.filter.ResponseHead;
import io.kongjava.pdk.filter.StreamEnd;
import io.kongjava.pdk.filter.UpstreamAnswer;
import io.kongjava.pdk.filter.UpstreamRequest;
import io.kongjava.relay.ResponseRelay;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The relay end to end on loopback: a plugin's filter joins it in the test kit's access phase, the test
 * plays Kong's proxying step (the request to where access pointed Kong), and a small upstream plays the
 * route's Service, streaming three SSE events with pauses between them.
 */
class ResponseRelayTest {

    record Config() {
    }

    /** A plugin whose filter is given by the test. */
    @KongPlugin.Info(name = "filtering", version = "1.0.0", priority = 10)
    static class Filtering implements KongPlugin<Config>, FiltersResponse<Config> {
        final Function<Kong, ResponseFilter> filters;

        Filtering(Function<Kong, ResponseFilter> filters) {
            this.filters = filters;
        }

        @Override
        public Optional<ResponseFilter> responseFilter(Kong kong, Config config) {
            return Optional.ofNullable(filters.apply(kong));
        }
    }

    @KongPlugin.Info(name = "upper", version = "1.0.0", priority = 10)
    static final class UpperPlugin extends Filtering {
        UpperPlugin(Function<Kong, ResponseFilter> filters) {
            super(filters);
        }
    }

    @KongPlugin.Info(name = "plugin-a", version = "1.0.0", priority = 10)
    static final class PluginA extends Filtering {
        PluginA(Function<Kong, ResponseFilter> filters) {
            super(filters);
        }
    }

    @KongPlugin.Info(name = "plugin-b", version = "1.0.0", priority = 10)
    static final class PluginB extends Filtering {
        PluginB(Function<Kong, ResponseFilter> filters) {
            super(filters);
        }
    }

    @KongPlugin.Info(name = "fragile", version = "1.0.0", priority = 10)
    static final class Fragile extends Filtering {
        Fragile(Function<Kong, ResponseFilter> filters) {
            super(filters);
        }
    }

    /** Upper-cases the body and remembers how the exchange ended. */
    static final class UpperCase implements ResponseFilter {
        final CompletableFuture<StreamEnd> closed = new CompletableFuture<>();

        @Override
        public byte[] onChunk(byte[] chunk) {
            return new String(chunk, StandardCharsets.UTF_8).toUpperCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public void onClose(StreamEnd end) {
            closed.complete(end);
        }

        @Override
        public Map<String, Object> logFields() {
            return Map.of("upper.done", true);
        }
    }

    HttpServer upstream;
    ResponseRelay relay;
    ProcessRequestExchange exchange;
    final BlockingQueue<String> seenByUpstream = new LinkedBlockingQueue<>();
    final CountDownLatch releaseLast = new CountDownLatch(1);
    final CompletableFuture<Throwable> upstreamWriteFailed = new CompletableFuture<>();
    final HttpClient http = HttpClient.newHttpClient();
    static final long BIG = 256L << 20;
    final java.util.concurrent.atomic.AtomicLong bigWritten = new java.util.concurrent.atomic.AtomicLong();

    @BeforeEach
    void start() throws Exception {
        upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        upstream.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        upstream.createContext("/", exchange -> {
            seenByUpstream.add(exchange.getRequestMethod() + " " + exchange.getRequestURI() + " host=" + exchange.getRequestHeaders().getFirst("host")
                    + " ticket=" + exchange.getRequestHeaders().getFirst(ResponseRelay.TICKET_HEADER)
                    + " x-client=" + exchange.getRequestHeaders().getFirst("x-client"));
            exchange.getRequestBody().readAllBytes();
            if (exchange.getRequestURI().getPath().endsWith("/big")) {
                exchange.getResponseHeaders().set("content-type", "application/octet-stream");
                exchange.sendResponseHeaders(200, BIG);
                byte[] block = new byte[64 * 1024];
                try (OutputStream out = exchange.getResponseBody()) {
                    for (long sent = 0; sent < BIG; sent += block.length) {
                        out.write(block);
                        bigWritten.addAndGet(block.length);
                    }
                } catch (Exception e) {
                    upstreamWriteFailed.complete(e);
                }
                return;
            }
            if (exchange.getRequestURI().getPath().endsWith("/gzipped")) {
                // gzips whatever the request's Accept-Encoding said, as a misbehaving CDN would
                seenByUpstream.add("accept-encoding=" + exchange.getRequestHeaders().getFirst("accept-encoding"));
                java.io.ByteArrayOutputStream zipped = new java.io.ByteArrayOutputStream();
                try (java.util.zip.GZIPOutputStream gzip = new java.util.zip.GZIPOutputStream(zipped)) {
                    gzip.write("zipped answer".getBytes(StandardCharsets.UTF_8));
                }
                exchange.getResponseHeaders().set("content-type", "text/plain");
                exchange.getResponseHeaders().set("content-encoding", "gzip");
                exchange.sendResponseHeaders(200, zipped.size());
                exchange.getResponseBody().write(zipped.toByteArray());
                exchange.close();
                return;
            }
            if (exchange.getRequestURI().getPath().endsWith("/plain")) {
                byte[] body = "plain answer".getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("content-type", "text/plain");
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
                exchange.close();
                return;
            }
            exchange.getResponseHeaders().set("content-type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            try {
                out.write("data: one\n\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
                out.write("data: two\n\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
                releaseLast.await(10, TimeUnit.SECONDS);
                for (int i = 0; i < 200; i++) {
                    // a client that left shows up here as a failed write, within a few rounds
                    out.write("data: three\n\n".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    Thread.sleep(5);
                }
                out.close();
            } catch (Exception e) {
                upstreamWriteFailed.complete(e);
            }
        });
        upstream.start();
        exchange = new ProcessRequestExchange(Duration.ofMinutes(1), Duration.ofMinutes(5), System::nanoTime);
        relay = ResponseRelay.start(0, exchange, null);
    }

    @AfterEach
    void stop() {
        releaseLast.countDown();
        relay.close();
        upstream.stop(0);
    }

    TestRequest request(String requestId, String path) {
        return TestRequest.get("http://localhost:8000" + path).header("x-client", "c1").requestId(requestId)
                .service(Map.of("id", "svc-1", "protocol", "http", "host", "127.0.0.1", "port", upstream.getAddress().getPort(),
                        "path", "/svc", "read_timeout", 5000, "connect_timeout", 2000, "write_timeout", 2000));
    }

    TestRun access(KongPlugin<Config> plugin, TestRequest request) throws Exception {
        TestRun run = PluginTester.of(plugin).config(new Config()).relay(relay).run(request, Phase.ACCESS);
        assertThat(run.failures()).isEmpty();
        return run;
    }

    /** Kong's proxying step: the request with its upstream changes, to the target access set (the relay). */
    HttpRequest kongForwards(TestRun run, String upstreamPathAndQuery) {
        var target = run.upstream();
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(target.scheme() + "://" + target.targetHost().orElseThrow() + ":" + target.targetPort()
                + upstreamPathAndQuery)).header("x-client", "c1");
        target.headers().forEach((name, values) -> values.forEach(v -> request.setHeader(name, v)));
        return request.build();
    }

    @Test
    void aStreamGoesThroughTheFilterChunkByChunkToTheServicesUrl() throws Exception {
        UpperCase filter = new UpperCase();
        TestRun run = access(new UpperPlugin(kong -> filter), request("req-stream", "/api/events?x=1"));
        assertThat(run.upstream().targetHost().orElseThrow()).isEqualTo("127.0.0.1");
        assertThat(run.upstream().targetPort()).isEqualTo(relay.port());
        assertThat(run.upstream().headers()).containsKey(ResponseRelay.TICKET_HEADER);

        HttpResponse<InputStream> response = http.send(kongForwards(run, "/svc/events?x=1"), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("text/event-stream");
        InputStream body = response.body();
        // The first two events come while the upstream still holds back the last one: the relay streams.
        assertThat(readUntil(body, "DATA: TWO\n\n")).isEqualTo("DATA: ONE\n\nDATA: TWO\n\n");
        releaseLast.countDown();
        assertThat(new String(body.readAllBytes(), StandardCharsets.UTF_8)).startsWith("DATA: THREE\n\n").doesNotContain("three");

        String seen = seenByUpstream.poll(5, TimeUnit.SECONDS);
        assertThat(seen).startsWith("GET /svc/events?x=1 host=127.0.0.1:" + upstream.getAddress().getPort())
                .contains("ticket=null").contains("x-client=c1");
        assertThat(filter.closed.get(5, TimeUnit.SECONDS)).isEqualTo(new StreamEnd.Completed(200));
        @SuppressWarnings("unchecked")
        Map<String, Object> block = (Map<String, Object>) exchange.await("req-stream", ResponseRelay.LOG_KEY, Duration.ofSeconds(5)).orElseThrow();
        assertThat(block).containsEntry("outcome", "complete").containsEntry("filters", List.of("upper"))
                .containsEntry("fields", Map.of("upper.done", true));
    }

    @Test
    void theUpstreamIsAskedForIdentityAndAGzippedAnswerIsInflatedForTheFiltersAndTheClient() throws Exception {
        UpperCase filter = new UpperCase();
        TestRun run = access(new UpperPlugin(kong -> filter), request("req-gzip", "/gzipped"));

        HttpResponse<String> response = http.send(kongForwards(run, "/svc/gzipped"), HttpResponse.BodyHandlers.ofString());

        assertThat(seenByUpstream.poll(5, TimeUnit.SECONDS)).startsWith("GET /svc/gzipped");
        assertThat(seenByUpstream.poll(5, TimeUnit.SECONDS)).isEqualTo("accept-encoding=identity");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-encoding")).isEmpty();
        assertThat(response.body()).isEqualTo("ZIPPED ANSWER");
    }

    @Test
    void filtersOfOneRequestComposeInTheOrderKongRanTheirAccessPhases() throws Exception {
        ResponseFilter tagA = new ResponseFilter() {
            @Override public byte[] onChunk(byte[] chunk) { return ("a(" + new String(chunk, StandardCharsets.UTF_8) + ")").getBytes(StandardCharsets.UTF_8); }
            @Override public byte[] onEnd() { return "A-END".getBytes(StandardCharsets.UTF_8); }
        };
        ResponseFilter tagB = new ResponseFilter() {
            final StringBuilder held = new StringBuilder();
            @Override public byte[] onChunk(byte[] chunk) { held.append(new String(chunk, StandardCharsets.UTF_8)); return NOTHING; }
            @Override public byte[] onEnd() { return ("b[" + held + "]").getBytes(StandardCharsets.UTF_8); }
            @Override public void onHeaders(ResponseHead head) { head.headers().set("x-filtered-by", "b"); }
        };
        TestRun first = access(new PluginA(kong -> tagA), request("req-two", "/plain"));
        TestRun second = access(new PluginB(kong -> tagB), request("req-two", "/plain"));
        assertThat(second.pdkCalls()).noneMatch(call -> call.startsWith("kong.service.set_target"));

        HttpResponse<String> response = http.send(kongForwards(first, "/svc/plain"), HttpResponse.BodyHandlers.ofString());
        assertThat(response.body()).isEqualTo("b[a(plain answer)A-END]");
        assertThat(response.headers().firstValue("x-filtered-by")).hasValue("b");
        // b held everything back: the relay knew the whole body before sending the head.
        assertThat(response.headers().firstValue("content-length")).hasValue(String.valueOf(response.body().length()));
    }

    @Test
    void aFilterThatThrowsBreaksTheResponseOffAndTheLogLineSaysSo() throws Exception {
        ResponseFilter failing = new ResponseFilter() {
            int chunks;
            @Override public byte[] onChunk(byte[] chunk) {
                if (new String(chunk, StandardCharsets.UTF_8).contains("two")) {
                    throw new IllegalStateException("cannot take two");
                }
                return chunk;
            }
        };
        TestRun run = access(new Fragile(kong -> failing), request("req-fail", "/events"));
        HttpResponse<InputStream> response = http.sendAsync(kongForwards(run, "/svc/events"), HttpResponse.BodyHandlers.ofInputStream())
                .get(10, TimeUnit.SECONDS);
        assertThat(response.statusCode()).isEqualTo(200);
        // what passed the filter, then no proper end: an answer ended properly would pass for whole
        InputStream body = response.body();
        assertThat(readUntil(body, "one")).endsWith("one");
        assertThatThrownBy(body::readAllBytes).isInstanceOf(java.io.IOException.class);
        @SuppressWarnings("unchecked")
        Map<String, Object> block = (Map<String, Object>) exchange.await("req-fail", ResponseRelay.LOG_KEY, Duration.ofSeconds(5)).orElseThrow();
        assertThat(block).containsEntry("outcome", "filter_failed").containsEntry("failed_filter", "fragile");
        assertThat(String.valueOf(block.get("error"))).contains("cannot take two");
    }

    @Test
    void aFilterThatThrowsBeforeAnythingWasSentGivesKongs500() throws Exception {
        ResponseFilter failing = new ResponseFilter() {
            @Override public void onHeaders(ResponseHead head) { throw new IllegalStateException("no"); }
        };
        TestRun run = access(new Fragile(kong -> failing), request("req-fail-early", "/plain"));
        HttpResponse<String> response = http.send(kongForwards(run, "/svc/plain"), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(500);
        assertThat(response.body()).contains("An unexpected error occurred").contains("req-fail-early");
    }

    @Test
    void aClientThatLeavesCancelsTheUpstreamCall() throws Exception {
        UpperCase filter = new UpperCase();
        TestRun run = access(new Filtering(kong -> filter), request("req-gone", "/events"));
        HttpResponse<InputStream> response = http.send(kongForwards(run, "/svc/events"), HttpResponse.BodyHandlers.ofInputStream());
        readUntil(response.body(), "DATA: TWO\n\n");
        response.body().close();
        releaseLast.countDown();
        assertThat(filter.closed.get(10, TimeUnit.SECONDS)).isEqualTo(new StreamEnd.ClientGone());
        assertThat(upstreamWriteFailed.get(10, TimeUnit.SECONDS)).isNotNull();
    }

    @Test
    void aClientThatDoesNotReadHoldsTheUpstreamBackInsteadOfFillingMemory() throws Exception {
        UpperCase counting = new UpperCase();
        ResponseFilter identity = new ResponseFilter() {
            @Override public void onClose(StreamEnd end) { counting.closed.complete(end); }
        };
        TestRun run = access(new Filtering(kong -> identity), request("req-slow-client", "/big"));
        HttpResponse<InputStream> response = http.send(kongForwards(run, "/svc/big"), HttpResponse.BodyHandlers.ofInputStream());
        InputStream body = response.body();
        assertThat(body.readNBytes(1024)).hasSize(1024);
        Thread.sleep(1500);
        long stalled = bigWritten.get();
        Thread.sleep(500);
        // Only socket buffers (a few MB on loopback) lie between the upstream and the client that stopped reading.
        assertThat(bigWritten.get()).isEqualTo(stalled).isLessThan(BIG / 4);
        long total = 1024 + body.transferTo(OutputStream.nullOutputStream());
        assertThat(total).isEqualTo(BIG);
        assertThat(counting.closed.get(5, TimeUnit.SECONDS)).isEqualTo(new StreamEnd.Completed(200));
    }

    @Test
    void aRequestWithoutTicketIsRefused() throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + relay.port() + "/x")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(403);
    }

    @Test
    void aSilentUpstreamGets504AndTheFilterIsToldOfTheTimeout() throws Exception {
        UpperCase filter = new UpperCase();
        TestRequest request = TestRequest.get("http://localhost:8000/x").requestId("req-slow")
                .service(Map.of("protocol", "http", "host", "127.0.0.1", "port", upstream.getAddress().getPort(), "read_timeout", 300));
        TestRun run = access(new Filtering(kong -> new ResponseFilter() {
            @Override public byte[] onChunk(byte[] chunk) { return NOTHING; }
            @Override public void onClose(StreamEnd end) { filter.closed.complete(end); }
        }), request);
        HttpResponse<String> response = http.send(kongForwards(run, "/svc/events"), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(504);
        assertThat(filter.closed.get(5, TimeUnit.SECONDS)).isInstanceOfSatisfying(StreamEnd.UpstreamFailed.class,
                failed -> assertThat(failed.timeout()).isTrue());
    }

    /** A filter that makes the upstream call itself, as {@code call} says. */
    interface Caller {
        void call(UpstreamRequest request, UpstreamAnswer answer) throws java.io.IOException;
    }

    static final class CallingFilter implements ResponseFilter, CallsUpstream {
        final Caller caller;
        final CompletableFuture<StreamEnd> closed = new CompletableFuture<>();

        CallingFilter(Caller caller) {
            this.caller = caller;
        }

        @Override
        public void callUpstream(UpstreamRequest request, UpstreamAnswer answer) throws java.io.IOException {
            caller.call(request, answer);
        }

        @Override
        public void onClose(StreamEnd end) {
            closed.complete(end);
        }
    }

    static HttpFields sse() {
        return new HttpFields().set("content-type", "text/event-stream").set("transfer-encoding", "chunked");
    }

    @Test
    void aFilterThatCallsTheUpstreamItselfAnswersThroughTheRoutesOtherFiltersAndTheServiceIsNotCalled() throws Exception {
        CompletableFuture<UpstreamRequest> asked = new CompletableFuture<>();
        CallingFilter caller = new CallingFilter((request, answer) -> {
            asked.complete(request);
            answer.head(200, sse());
            answer.body("data: one\n\n".getBytes(StandardCharsets.UTF_8));
            answer.body("data: two\n\n".getBytes(StandardCharsets.UTF_8));
        });
        UpperCase upper = new UpperCase();
        TestRun first = access(new PluginA(kong -> caller), request("req-call", "/plain"));
        access(new PluginB(kong -> upper), request("req-call", "/plain"));

        HttpResponse<String> response = http.send(kongForwards(first, "/svc/plain?beta=true"), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("text/event-stream");
        assertThat(response.body()).isEqualTo("DATA: ONE\n\nDATA: TWO\n\n");
        assertThat(asked.get(5, TimeUnit.SECONDS).url().toString()).endsWith("/svc/plain?beta=true");
        assertThat(seenByUpstream.poll(200, TimeUnit.MILLISECONDS)).as("the Service").isNull();
        assertThat(caller.closed.get(5, TimeUnit.SECONDS)).isEqualTo(new StreamEnd.Completed(200));
        assertThat(upper.closed.get(5, TimeUnit.SECONDS)).isEqualTo(new StreamEnd.Completed(200));
        @SuppressWarnings("unchecked")
        Map<String, Object> block = (Map<String, Object>) exchange.await("req-call", ResponseRelay.LOG_KEY, Duration.ofSeconds(5)).orElseThrow();
        assertThat(block).containsEntry("outcome", "complete").containsEntry("status", 200);
    }

    @Test
    void anUpstreamCallThatFailsBeforeItsHeadGivesKongs502AndAfterItBreaksTheBodyOff() throws Exception {
        CallingFilter unreachable = new CallingFilter((request, answer) -> {
            throw new java.net.ConnectException("every target refused the connection");
        });
        TestRun run = access(new PluginA(kong -> unreachable), request("req-call-502", "/plain"));
        HttpResponse<String> response = http.send(kongForwards(run, "/svc/plain"), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(response.body()).contains("An invalid response was received from the upstream server").contains("req-call-502");
        assertThat(unreachable.closed.get(5, TimeUnit.SECONDS)).isInstanceOfSatisfying(StreamEnd.UpstreamFailed.class,
                failed -> assertThat(failed.started()).isFalse());

        CallingFilter breaking = new CallingFilter((request, answer) -> {
            answer.head(200, sse());
            answer.body("data: one\n\n".getBytes(StandardCharsets.UTF_8));
            throw new java.io.IOException("the provider's stream broke");
        });
        run = access(new PluginA(kong -> breaking), request("req-call-broken", "/plain"));
        HttpResponse<InputStream> broken = http.send(kongForwards(run, "/svc/plain"), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(broken.statusCode()).isEqualTo(200);
        // what came, then no proper end: Kong (and its client) sees the answer incomplete, as nginx leaves it
        InputStream brokenBody = broken.body();
        assertThat(readUntil(brokenBody, "data: one\n\n")).isEqualTo("data: one\n\n");
        assertThatThrownBy(brokenBody::readAllBytes).isInstanceOf(java.io.IOException.class);
        assertThat(breaking.closed.get(5, TimeUnit.SECONDS)).isInstanceOfSatisfying(StreamEnd.UpstreamFailed.class,
                failed -> assertThat(failed.started()).isTrue());
    }

    @Test
    void aFilterCallingTheUpstreamThatAnswersNothingOrThrowsFailsAsThatPluginsFilter() throws Exception {
        CallingFilter silent = new CallingFilter((request, answer) -> { });
        TestRun run = access(new Fragile(kong -> silent), request("req-call-none", "/plain"));
        HttpResponse<String> response = http.send(kongForwards(run, "/svc/plain"), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(500);
        assertThat(silent.closed.get(5, TimeUnit.SECONDS)).isInstanceOfSatisfying(StreamEnd.FilterFailed.class,
                failed -> assertThat(failed.plugin()).isEqualTo("fragile"));

        CallingFilter bodyFirst = new CallingFilter((request, answer) -> answer.body(new byte[] {1}));
        run = access(new Fragile(kong -> bodyFirst), request("req-call-body-first", "/plain"));
        assertThat(http.send(kongForwards(run, "/svc/plain"), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(500);
        assertThat(bodyFirst.closed.get(5, TimeUnit.SECONDS)).isInstanceOf(StreamEnd.FilterFailed.class);
    }

    @Test
    void aClientThatLeavesMakesTheCallersNextWriteFail() throws Exception {
        CompletableFuture<Throwable> writeFailed = new CompletableFuture<>();
        CallingFilter endless = new CallingFilter((request, answer) -> {
            answer.head(200, sse());
            byte[] event = ("data: " + "x".repeat(16 * 1024) + "\n\n").getBytes(StandardCharsets.UTF_8);
            try {
                for (int i = 0; i < 20_000; i++) {  // at most about 320 MB, long after a closed client shows
                    answer.body(event);
                }
            } catch (java.io.IOException e) {
                writeFailed.complete(e);
                throw e;
            }
        });
        TestRun run = access(new PluginA(kong -> endless), request("req-call-gone", "/plain"));
        HttpResponse<InputStream> response = http.send(kongForwards(run, "/svc/plain"), HttpResponse.BodyHandlers.ofInputStream());
        readUntil(response.body(), "\n\n");
        response.body().close();
        assertThat(writeFailed.get(20, TimeUnit.SECONDS)).isNotNull();
        assertThat(endless.closed.get(5, TimeUnit.SECONDS)).isEqualTo(new StreamEnd.ClientGone());
    }

    /**
     * A Service that reads a request, optionally answers a head and one SSE event, then says nothing and only
     * watches its connection: {@code closed} completes when the relay closes (cancels) it.
     */
    static final class SilentUpstream implements AutoCloseable {
        final java.net.ServerSocket listener = new java.net.ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        final CountDownLatch requested = new CountDownLatch(1);
        final CompletableFuture<Long> closedAtNanos = new CompletableFuture<>();

        SilentUpstream(boolean headFirst) throws java.io.IOException {
            Thread.ofVirtual().start(() -> {
                try (java.net.Socket socket = listener.accept()) {
                    InputStream in = socket.getInputStream();
                    readUntil(in, "\r\n\r\n");
                    if (headFirst) {
                        socket.getOutputStream().write(("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
                                + "b\r\ndata: one\n\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                        socket.getOutputStream().flush();
                    }
                    requested.countDown();
                    socket.setSoTimeout(20_000);
                    while (in.read() >= 0) {
                        // nothing more comes from the relay; only the end of the connection matters
                    }
                    closedAtNanos.complete(System.nanoTime());
                } catch (Exception e) {
                    closedAtNanos.complete(System.nanoTime()); // a reset is a close too; a 20 s timeout fails the bound below
                }
            });
        }

        int port() {
            return listener.getLocalPort();
        }

        @Override
        public void close() throws java.io.IOException {
            listener.close();
        }
    }

    /** Kong's side of the relay hop on a raw socket, so that the test decides when the connection closes. */
    private java.net.Socket rawKongRequest(TestRun run, String pathAndQuery) throws Exception {
        var target = run.upstream();
        java.net.Socket socket = new java.net.Socket(InetAddress.getLoopbackAddress(), target.targetPort());
        StringBuilder head = new StringBuilder("GET " + pathAndQuery + " HTTP/1.1\r\nHost: 127.0.0.1:" + target.targetPort() + "\r\n");
        target.headers().forEach((name, values) -> values.forEach(v -> head.append(name).append(": ").append(v).append("\r\n")));
        socket.getOutputStream().write(head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
        return socket;
    }

    private void clientLeavesASilentUpstream(boolean headFirst, String requestId) throws Exception {
        try (SilentUpstream silent = new SilentUpstream(headFirst)) {
            UpperCase filter = new UpperCase();
            TestRequest request = TestRequest.get("http://localhost:8000/x").requestId(requestId)
                    .service(Map.of("protocol", "http", "host", "127.0.0.1", "port", silent.port(), "read_timeout", 30_000));
            TestRun run = access(new Filtering(kong -> filter), request);
            java.net.Socket kong = rawKongRequest(run, "/thinking");
            assertThat(silent.requested.await(5, TimeUnit.SECONDS)).isTrue();
            if (headFirst) {
                assertThat(readUntil(kong.getInputStream(), "DATA: ONE\n\n")).contains("200 OK").endsWith("DATA: ONE\n\n");
            }
            Thread.sleep(300); // the upstream is silent for a while: nothing to write, nothing failed
            assertThat(filter.closed).isNotDone();
            long left = System.nanoTime();
            kong.close();
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(2)).until(silent.closedAtNanos::isDone);
            assertThat(TimeUnit.NANOSECONDS.toMillis(silent.closedAtNanos.get() - left)).as("ms until the upstream call was cancelled")
                    .isLessThan(1_000);
            assertThat(filter.closed.get(2, TimeUnit.SECONDS)).isEqualTo(new StreamEnd.ClientGone());
            @SuppressWarnings("unchecked")
            Map<String, Object> block = (Map<String, Object>) exchange.await(requestId, ResponseRelay.LOG_KEY, Duration.ofSeconds(2)).orElseThrow();
            assertThat(block).containsEntry("outcome", "client_disconnected").containsEntry("fields", Map.of("upper.done", true));
            assertThat(String.valueOf(block.get("error"))).contains("client closed the connection");
        }
    }

    @Test
    void aClientThatLeavesWhileTheUpstreamThinksCancelsTheUpstreamCallAtOnce() throws Exception {
        clientLeavesASilentUpstream(false, "req-left-thinking");
    }

    @Test
    void aClientThatLeavesDuringAPauseInTheStreamCancelsTheUpstreamCallAtOnce() throws Exception {
        clientLeavesASilentUpstream(true, "req-left-pause");
    }

    @Test
    void aRequestThatArrivesBeforeTheLastAnswerEndedIsKeptAndAnsweredOnTheSameConnection() throws Exception {
        TestRun first = access(new Filtering(kong -> new UpperCase()), request("req-pipe-1", "/plain"));
        TestRun second = access(new Filtering(kong -> new UpperCase()), request("req-pipe-2", "/plain"));
        try (java.net.Socket kong = new java.net.Socket(InetAddress.getLoopbackAddress(), relay.port())) {
            StringBuilder both = new StringBuilder();
            for (TestRun run : List.of(first, second)) {
                both.append("GET /svc/plain HTTP/1.1\r\nHost: 127.0.0.1:").append(relay.port()).append("\r\n");
                run.upstream().headers().forEach((name, values) -> values.forEach(v -> both.append(name).append(": ").append(v).append("\r\n")));
                both.append("\r\n");
            }
            kong.getOutputStream().write(both.toString().getBytes(StandardCharsets.ISO_8859_1));
            kong.getOutputStream().flush();
            kong.setSoTimeout(10_000);
            InputStream in = kong.getInputStream();
            assertThat(readUntil(in, "PLAIN ANSWER")).startsWith("HTTP/1.1 200");
            assertThat(readUntil(in, "PLAIN ANSWER")).contains("HTTP/1.1 200"); // after the first answer's last chunk
        }
    }

    private static String readUntil(InputStream in, String end) throws Exception {
        StringBuilder text = new StringBuilder();
        while (!text.toString().endsWith(end)) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            text.append((char) b);
        }
        return text.toString();
    }

    /** Kong's request for the relay as a proxy in the relay's own JVM hands it over: an exchange in memory. */
    static io.kongjava.http.InMemoryExchange inMemory(TestRun run, String target, io.kongjava.http.InMemoryExchange.Answer answer) {
        List<String[]> headers = new java.util.ArrayList<>();
        headers.add(new String[] {"x-client", "c1"});
        run.upstream().headers().forEach((name, values) -> values.forEach(v -> headers.add(new String[] {name, v})));
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        return new io.kongjava.http.InMemoryExchange("GET", target, headers, null, loopback, loopback, answer);
    }

    @Test
    void aProxyInTheSameJvmHandsTheRelayItsRequestOnItsOwnThread() throws Exception {
        UpperCase filter = new UpperCase();
        TestRun run = access(new UpperPlugin(kong -> filter), request("req-in-memory", "/api/events"));
        releaseLast.countDown();
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        List<Object> head = new java.util.ArrayList<>();
        Thread caller = Thread.currentThread();

        try (var local = inMemory(run, "/svc/events", (status, headers, length) -> {
            head.addAll(List.of(status, headers.getFirst("content-type"), length, Thread.currentThread() == caller));
            return body;
        })) {
            relay.serve(local);
            assertThat(local.answered()).isTrue();
        }

        assertThat(head).containsExactly(200, "text/event-stream", 0L, true);
        assertThat(body.toString(StandardCharsets.UTF_8)).startsWith("DATA: ONE\n\nDATA: TWO\n\nDATA: THREE\n\n").doesNotContain("three");
        assertThat(seenByUpstream.poll(5, TimeUnit.SECONDS)).startsWith("GET /svc/events host=127.0.0.1:" + upstream.getAddress().getPort())
                .contains("ticket=null").contains("x-client=c1");
        assertThat(filter.closed.get(5, TimeUnit.SECONDS)).isEqualTo(new StreamEnd.Completed(200));
        assertThat(ResponseRelay.sharedOn(relay.port())).as("a relay started on its own is not the process's shared one").isEmpty();
    }

    @Test
    void aCallerWhoseClientLeavesCancelsTheRelaysUpstreamCall() throws Exception {
        UpperCase filter = new UpperCase();
        TestRun run = access(new Filtering(kong -> filter), request("req-in-memory-gone", "/events"));
        CountDownLatch twoEvents = new CountDownLatch(1);
        StringBuilder seen = new StringBuilder();
        var local = inMemory(run, "/svc/events", (status, headers, length) -> new OutputStream() {
            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] bytes, int offset, int count) {
                seen.append(new String(bytes, offset, count, StandardCharsets.UTF_8));
                if (seen.toString().contains("DATA: TWO")) {
                    twoEvents.countDown();
                }
            }
        });
        var serving = CompletableFuture.runAsync(() -> {
            try (local) {
                relay.serve(local);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertThat(twoEvents.await(5, TimeUnit.SECONDS)).isTrue();

        local.clientLeft();

        assertThat(filter.closed.get(5, TimeUnit.SECONDS)).isEqualTo(new StreamEnd.ClientGone());
        serving.get(5, TimeUnit.SECONDS);
        assertThat(seen.toString()).doesNotContain("THREE");
    }

    @Test
    void aConnectionThatClosesBecauseTheRelayBrokeTheAnswerOffIsNoClientLeaving() throws Exception {
        java.util.logging.Logger relayLog = java.util.logging.Logger.getLogger("io.kongjava.relay.RelayPass");
        List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override public void publish(java.util.logging.LogRecord record) { lines.add(record.getMessage()); }
            @Override public void flush() { }
            @Override public void close() { }
        };
        relayLog.addHandler(capture);
        try {
            java.util.concurrent.atomic.AtomicReference<io.kongjava.http.InMemoryExchange> exchangeRef = new java.util.concurrent.atomic.AtomicReference<>();
            ResponseFilter failing = new ResponseFilter() {
                @Override public byte[] onChunk(byte[] chunk) {
                    if (new String(chunk, StandardCharsets.UTF_8).contains("two")) {
                        throw new IllegalStateException("cannot take two");
                    }
                    return chunk;
                }
                // the in-process gateway notices its client's connection close while the relay is still ending the pass
                @Override public void onClose(StreamEnd end) { exchangeRef.get().clientLeft(); }
            };
            TestRun run = access(new Fragile(kong -> failing), request("req-in-memory-broken", "/events"));
            java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
            try (var local = inMemory(run, "/svc/events", (status, headers, length) -> body)) {
                exchangeRef.set(local);
                relay.serve(local);
            }
            assertThat(lines).anySatisfy(line -> assertThat(line).contains("the response filter of fragile failed"))
                    .noneSatisfy(line -> assertThat(line).contains("closed its connection"));
        } finally {
            relayLog.removeHandler(capture);
        }
    }
}
