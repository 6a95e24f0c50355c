package io.kongjava.gateway;

import io.kongjava.http.HeaderLimits;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local gateway in front of upstreams that behave as real ones do: HTTP/1.0 servers, servers that close
 * every connection or drop keep-alive connections, servers that refuse, reset or hang. It retries and answers
 * as Kong (its balancer and the Service's {@code retries}) and nginx (proxy_next_upstream {@code error timeout})
 * do, and refuses request heads nginx's default buffers would not hold.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UpstreamSemanticsTest {

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private RawUpstream upstream;
    private Gateway gateway;

    @AfterEach
    void stop() throws IOException {
        if (gateway != null) {
            gateway.close();
        }
        if (upstream != null) {
            upstream.close();
        }
        http.close();
    }

    // --- upstreams that end their connections ---

    @Test
    void anHttp10UpstreamThatClosesEveryConnectionAnswersEveryRequest() throws Exception {
        // What `python3 -m http.server` does: HTTP/1.0, no keep-alive, the connection closed after each answer.
        upstream = new RawUpstream((request, out) -> {
            out.write(response("HTTP/1.0 200 OK", "", request.method() + " " + request.body()));
            return false;
        });
        start("retries: 5");

        for (int i = 0; i < 100; i++) {
            assertThat(send("GET", "/svc/" + i, null)).extracting(HttpResponse::statusCode, HttpResponse::body).containsExactly(200, "GET ");
            assertThat(send("POST", "/svc/" + i, "n=" + i)).extracting(HttpResponse::statusCode, HttpResponse::body)
                    .containsExactly(200, "POST n=" + i);
        }
        assertThat(upstream.connections.get()).isEqualTo(200);
    }

    @Test
    void anUpstreamAnsweringConnectionCloseAnswersEveryRequest() throws Exception {
        upstream = new RawUpstream((request, out) -> {
            out.write(response("HTTP/1.1 200 OK", "Connection: close\r\n", "ok"));
            return false;
        });
        start("retries: 5");

        for (int i = 0; i < 200; i++) {
            assertThat(send(i % 2 == 0 ? "GET" : "POST", "/svc", i % 2 == 0 ? null : "x").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aGetOnAKeepAliveConnectionTheUpstreamDroppedIsSentAgainWithoutUsingATry() throws Exception {
        // The upstream promises keep-alive, then closes: the next request on that connection fails after it was sent.
        upstream = new RawUpstream((request, out) -> {
            out.write(response("HTTP/1.1 200 OK", "", "ok"));
            return false;
        });
        start("retries: 0"); // a stale connection costs no try, as nginx gives it back

        for (int i = 0; i < 50; i++) {
            assertThat(send("GET", "/svc", null).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aPostIsNotSentOnAKeepAliveConnectionTheUpstreamHasClosed() throws Exception {
        // nginx notices when the upstream closes an idle keep-alive connection and does not use it; the
        // gateway looks before reusing one. A POST that was sent is never sent twice (whenTheRetriesRunOut...).
        upstream = new RawUpstream((request, out) -> {
            out.write(response("HTTP/1.1 200 OK", "", "ok"));
            return false;
        });
        start("retries: 0");

        for (String body : List.of("first", "second", "third")) {
            assertThat(send("POST", "/svc", body).statusCode()).isEqualTo(200);
            // Once the close has happened: a close racing the next request's write fails a POST in nginx too.
            int answered = upstream.requests.get();
            await().atMost(Duration.ofSeconds(5)).until(() -> upstream.closed.get() == answered);
        }
        assertThat(upstream.bodies).containsExactly("first", "second", "third");
        assertThat(upstream.connections.get()).isEqualTo(3);
    }

    // --- connection errors and the Service's retries ---

    @Test
    void anUpstreamThatFailsTwiceThenAnswersIsReachedWithinTheServiceRetries() throws Exception {
        AtomicInteger seen = new AtomicInteger();
        upstream = new RawUpstream((request, out) -> {
            if (seen.incrementAndGet() <= 2) {
                return false; // closes without an answer: a connection error
            }
            out.write(response("HTTP/1.1 200 OK", "", "third time"));
            return true;
        });
        start("retries: 2");

        HttpResponse<String> response = send("GET", "/svc", null);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("third time");
    }

    @Test
    void whenTheRetriesRunOutKongAnswers502WithItsMessage() throws Exception {
        upstream = new RawUpstream((request, out) -> false); // reads the request, closes without an answer
        start("retries: 3");

        HttpResponse<String> get = send("GET", "/svc", null);
        assertThat(get.statusCode()).isEqualTo(502);
        assertThat(get.body()).contains("\"message\":\"An invalid response was received from the upstream server\"");
        assertThat(upstream.requests.get()).isEqualTo(4); // the first try and 3 retries

        HttpResponse<String> post = send("POST", "/svc", "once");
        assertThat(post.statusCode()).isEqualTo(502);
        assertThat(upstream.requests.get()).isEqualTo(5); // a POST that was sent is not tried again
    }

    @Test
    void aRefusedConnectionIsRetriedEvenForPostBecauseNothingWasSent() throws Exception {
        int closedPort;
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = probe.getLocalPort();
        }
        long started = System.nanoTime();
        gateway = gatewayFor("url: http://127.0.0.1:" + closedPort + "\n    retries: 2");
        HttpResponse<String> post = send("POST", "/svc", "x");
        assertThat(post.statusCode()).isEqualTo(502);
        assertThat(post.body()).contains("An invalid response was received from the upstream server");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void anUpstreamThatDoesNotAnswerInReadTimeoutGets504AfterTheRetries() throws Exception {
        upstream = new RawUpstream((request, out) -> {
            Thread.sleep(5_000); // never answers within the read timeout
            return false;
        });
        start("retries: 1\n    read_timeout: 200");

        long started = System.nanoTime();
        HttpResponse<String> get = send("GET", "/svc", null);
        assertThat(get.statusCode()).isEqualTo(504);
        assertThat(get.body()).contains("\"message\":\"The upstream server is timing out\"");
        assertThat(upstream.requests.get()).isEqualTo(2); // a timeout is retried too (proxy_next_upstream error timeout)
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isBetween(Duration.ofMillis(400), Duration.ofSeconds(4));

        assertThat(send("POST", "/svc", "x").statusCode()).isEqualTo(504);
        assertThat(upstream.requests.get()).isEqualTo(3); // once: the POST was sent
    }

    @Test
    void anUpstreamThatStopsReadingTheBodyGets504AfterTheWriteTimeout() throws Exception {
        // an upstream that accepts and reads nothing: the body fills the socket buffers, then the writes wait
        try (ServerSocket deaf = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> {
                try (Socket socket = deaf.accept()) {
                    Thread.sleep(10_000);
                } catch (Exception e) {
                    // the test is over
                }
            });
            gateway = new Gateway(config("url: http://127.0.0.1:" + deaf.getLocalPort() + "\n    write_timeout: 300\n    retries: 2"),
                    Map.of(), 64L << 20).start(new InetSocketAddress("127.0.0.1", 0));

            long started = System.nanoTime();
            HttpResponse<String> post = send("POST", "/svc", "x".repeat(48 << 20));
            assertThat(post.statusCode()).isEqualTo(504);
            assertThat(post.body()).contains("\"message\":\"The upstream server is timing out\"");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(8)); // once: a POST that was sent
        }
    }

    // --- request bodies and heads ---

    @Test
    void aChunkedRequestBodyReachesTheUpstreamWhole() throws Exception {
        upstream = new RawUpstream((request, out) -> {
            out.write(response("HTTP/1.1 200 OK", "", request.header("content-length") + ":" + request.body()));
            return true;
        });
        start("retries: 5");

        String answer = raw("POST /svc HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
        // Kong buffers the request body (request_buffering) and sends it with its length.
        assertThat(answer).startsWith("HTTP/1.1 200").endsWith("11:hello world");
    }

    @Test
    void aGetWithABodyIsForwardedWithItAndTheHostCarriesTheServicePort() throws Exception {
        // Elasticsearch-style searches: nginx forwards the body of any method. Kong's Host is host:port
        // when the port is not the scheme's default.
        upstream = new RawUpstream((request, out) -> {
            out.write(response("HTTP/1.1 200 OK", "", request.method() + " " + request.header("host") + " " + request.body()));
            return true;
        });
        start("retries: 5");

        HttpResponse<String> response = send("GET", "/svc", "{\"query\":{}}");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("GET 127.0.0.1:" + upstream.port() + " {\"query\":{}}");
    }

    @Test
    void aHeaderLongerThanNginxsBufferIsRefusedWith400AndKongsMessage() throws Exception {
        upstream = new RawUpstream((request, out) -> {
            out.write(response("HTTP/1.1 200 OK", "", "reached"));
            return true;
        });
        start("retries: 5");

        // large_client_header_buffers 4 8k: one header line must fit 8 KB
        String answer = raw(head("GET /svc", "X-Large: " + "a".repeat(10 * 1024)));
        // nginx's 494, which Kong answers as 400 with 494's text (kong/error_handlers.lua)
        assertThat(answer).startsWith("HTTP/1.1 400").contains("\"message\":\"Request header or cookie too large\"")
                .containsIgnoringCase("connection: close");
        // and all of them 4 x 8 KB
        assertThat(raw(head("GET /svc", "X-Many: " + "b".repeat(100) + "\r\n", 400))).startsWith("HTTP/1.1 400");
        assertThat(raw(head("GET /svc", "X-N: v\r\n", 5_000))).startsWith("HTTP/1.1 400").contains("Request header or cookie too large");
        // a head within the buffers is forwarded
        assertThat(raw(head("GET /svc", "X-Many: " + "b".repeat(100) + "\r\n", 200))).startsWith("HTTP/1.1 200").endsWith("reached");
        assertThat(upstream.requests.get()).isEqualTo(1);
    }

    @Test
    void aRequestLineLongerThanOneBufferIs414() throws Exception {
        upstream = new RawUpstream((request, out) -> {
            out.write(response("HTTP/1.1 200 OK", "", "reached"));
            return true;
        });
        start("retries: 5");

        String answer = raw(head("GET /svc?q=" + "x".repeat(9 * 1024), ""));
        assertThat(answer).startsWith("HTTP/1.1 414").contains("\"message\":\"URI too long\"");
        assertThat(upstream.requests.get()).isZero();
    }

    @Test
    void largerHeaderBuffersCanBeConfiguredAsInKong() throws Exception {
        upstream = new RawUpstream((request, out) -> {
            out.write(response("HTTP/1.1 200 OK", "", "reached"));
            return true;
        });
        Path conf = dir.resolve("kong.conf");
        Files.writeString(conf, "nginx_http_large_client_header_buffers = 4 16k\n");
        assertThat(KongConf.load(conf, Map.of()).headerLimits()).isEqualTo(new HeaderLimits(4, 16 * 1024));
        gateway = new Gateway(config("url: http://127.0.0.1:" + upstream.port()), Map.of(), 1 << 20, KongConf.load(conf, Map.of()).headerLimits())
                .start(new InetSocketAddress("127.0.0.1", 0));

        assertThat(raw(head("GET /svc", "X-Large: " + "a".repeat(10 * 1024)))).startsWith("HTTP/1.1 200");
    }

    @Test
    void underscoresInHeaderNamesArePassedAsKongPassesThemUnlessKongConfTurnsThemOff() throws Exception {
        upstream = new RawUpstream((request, out) -> {
            out.write(response("HTTP/1.1 200 OK", "", String.valueOf(request.headers().get("x_tenant"))));
            return true;
        });
        Path conf = dir.resolve("kong.conf");
        Files.writeString(conf, "log_level = notice\n");
        HeaderLimits limits = KongConf.load(conf, Map.of()).headerLimits();
        assertThat(limits).as("Kong's nginx template: underscores_in_headers on").isEqualTo(new HeaderLimits(4, 8 * 1024, true));
        gateway = new Gateway(config("url: http://127.0.0.1:" + upstream.port()), Map.of(), 1 << 20, limits)
                .start(new InetSocketAddress("127.0.0.1", 0));
        assertThat(raw(head("GET /svc", "x_tenant: t1"))).startsWith("HTTP/1.1 200").endsWith("t1");
        gateway.close();

        Files.writeString(conf, "nginx_proxy_underscores_in_headers = off\n");
        limits = KongConf.load(conf, Map.of()).headerLimits();
        gateway = new Gateway(config("url: http://127.0.0.1:" + upstream.port()), Map.of(), 1 << 20, limits)
                .start(new InetSocketAddress("127.0.0.1", 0));
        assertThat(raw(head("GET /svc", "x_tenant: t1"))).startsWith("HTTP/1.1 200").endsWith("null");

        Files.writeString(conf, "nginx_http_underscores_in_headers = yes\n");
        assertThatThrownBy(() -> KongConf.load(conf, Map.of()).headerLimits()).isInstanceOf(ConfigException.class)
                .hasMessageContaining("nginx_http_underscores_in_headers").hasMessageContaining("'yes' is not 'on' or 'off'");
    }

    // --- answers that break off, and heads nginx refuses ---

    @Test
    void aChunkedAnswerTheUpstreamCutsOffReachesTheClientIncompleteNotEnded() throws Exception {
        upstream = new RawUpstream((request, out) -> {
            out.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n".getBytes(StandardCharsets.ISO_8859_1));
            return false; // closed before the last chunk
        });
        start("retries: 5");

        String answer = raw(head("GET /svc", ""));
        assertThat(answer).startsWith("HTTP/1.1 200").contains("hello").doesNotEndWith("0\r\n\r\n");
    }

    @Test
    void anInvalidChunkSizeBreaksTheAnswerOff() throws Exception {
        upstream = new RawUpstream((request, out) -> {
            out.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            return false;
        });
        start("retries: 5");

        assertThat(raw(head("GET /svc", ""))).startsWith("HTTP/1.1 200").doesNotEndWith("0\r\n\r\n");
    }

    @Test
    void anUpstreamHeadNginxRefusesIs502AndNotRetried() throws Exception {
        for (String badHead : List.of(
                "HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\nok",
                "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde",
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nok",
                "HTTP/1.1 200 OK\r\nBad Header: v\r\nContent-Length: 2\r\n\r\nok",
                "HTTP/1.1 200 OK\r\nX-A: a\rContent-Length: 2\r\n\r\nok",
                "HTPT/9 abc\r\n\r\n")) {
            upstream = new RawUpstream((request, out) -> {
                out.write(badHead.getBytes(StandardCharsets.ISO_8859_1));
                return false;
            });
            start("retries: 5");

            assertThat(raw(head("GET /svc", ""))).as(badHead).startsWith("HTTP/1.1 502")
                    .contains("An invalid response was received from the upstream server");
            assertThat(upstream.requests.get()).as(badHead + ": proxy_next_upstream's default (error timeout) retries no invalid head")
                    .isEqualTo(1);
            gateway.close();
            upstream.close();
        }
        gateway = null;
        upstream = null;
    }

    @Test
    void aChunkedRequestBodyWithABadChunkIsKongs400AndNeverSentUpstream() throws Exception {
        upstream = new RawUpstream((request, out) -> {
            out.write(response("HTTP/1.1 200 OK", "", "reached"));
            return true;
        });
        start("retries: 5");

        String answer = raw("POST /svc HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
        assertThat(answer).startsWith("HTTP/1.1 400").contains("\"message\":\"Bad request\"");
        assertThat(upstream.requests.get()).isZero();
    }

    @Test
    void whatTheUpstreamsConnectionNamesIsNotPassedToTheClient() throws Exception {
        upstream = new RawUpstream((request, out) -> {
            out.write(response("HTTP/1.1 200 OK", "Connection: keep-alive, X-Hop\r\nX-Hop: secret\r\nX-End: e\r\n", "ok"));
            return true;
        });
        start("retries: 5");

        assertThat(raw(head("GET /svc", ""))).startsWith("HTTP/1.1 200").containsIgnoringCase("X-End: e").doesNotContainIgnoringCase("X-Hop");
    }

    // --- helpers ---

    private void start(String serviceSettings) throws Exception {
        gateway = gatewayFor("url: http://127.0.0.1:" + upstream.port() + "\n    " + serviceSettings);
    }

    private Gateway gatewayFor(String service) throws Exception {
        return new Gateway(config(service), Map.of(), 1 << 20).start(new InetSocketAddress("127.0.0.1", 0));
    }

    private DeclarativeConfig config(String service) throws Exception {
        Path file = dir.resolve("kong.yaml");
        Files.writeString(file, """
                _format_version: "3.0"
                services:
                  - name: svc
                    %s
                    routes:
                      - name: svc
                        paths: [/svc]
                """.formatted(service));
        return DeclarativeConfig.load(file, Map.of(), List.of());
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body);
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.address().getPort() + path))
                .method(method, publisher).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String head(String requestLine, String header) {
        return head(requestLine, header + "\r\n", 1);
    }

    private static String head(String requestLine, String headerLine, int times) {
        return requestLine + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + headerLine.repeat(times) + "\r\n";
    }

    /** Sends {@code request} as written on a new connection; the whole answer until the gateway closes. */
    private String raw(String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", gateway.address().getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private static byte[] response(String statusLine, String headers, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return (statusLine + "\r\nContent-Length: " + bytes.length + "\r\n" + headers + "\r\n" + body).getBytes(StandardCharsets.UTF_8);
    }

    /** An upstream written at the socket level, to behave as servers do that the JDK's own server would not. */
    static final class RawUpstream implements AutoCloseable {

        record Request(String method, Map<String, String> headers, String body) {
            String header(String name) {
                return headers.get(name);
            }
        }

        /** Handles one request on {@code out}; true to keep the connection for another. */
        interface Behaviour {
            boolean handle(Request request, OutputStream out) throws Exception;
        }

        final AtomicInteger connections = new AtomicInteger();
        /** Connections this upstream has closed on its side. */
        final AtomicInteger closed = new AtomicInteger();
        final AtomicInteger requests = new AtomicInteger();
        final java.util.Queue<String> bodies = new java.util.concurrent.ConcurrentLinkedQueue<>();
        private final ServerSocket server;

        RawUpstream(Behaviour behaviour) throws IOException {
            server = new ServerSocket(0, 128, java.net.InetAddress.getLoopbackAddress());
            Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket socket = server.accept();
                        connections.incrementAndGet();
                        Thread.ofVirtual().start(() -> serve(socket, behaviour));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        int port() {
            return server.getLocalPort();
        }

        private void serve(Socket socket, Behaviour behaviour) {
            try (socket) {
                InputStream in = socket.getInputStream();
                while (true) {
                    Request request = read(in);
                    if (request == null) {
                        return;
                    }
                    requests.incrementAndGet();
                    if (!request.body().isEmpty()) {
                        bodies.add(request.body());
                    }
                    boolean keep = behaviour.handle(request, socket.getOutputStream());
                    socket.getOutputStream().flush();
                    if (!keep) {
                        return;
                    }
                }
            } catch (Exception e) {
                // the gateway went away or the test is over
            } finally {
                closed.incrementAndGet();
            }
        }

        private static Request read(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int last4 = 0;
            while (last4 != 0x0d0a0d0a) { // CR LF CR LF ends the head
                int c = in.read();
                if (c < 0) {
                    return null;
                }
                head.write(c);
                last4 = (last4 << 8) | c;
            }
            String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
            Map<String, String> headers = new java.util.LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon > 0) {
                    headers.put(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).strip());
                }
            }
            int length = headers.containsKey("content-length") ? Integer.parseInt(headers.get("content-length")) : 0;
            String body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
            return new Request(lines[0].split(" ")[0], headers, body);
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
