package io.kongjava.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Request heads and bodies nginx refuses are refused the same way before (or while) the handler reads them. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BlockingHttpServerRequestsTest {

    private final AtomicInteger handled = new AtomicInteger();
    private BlockingHttpServer server;

    @BeforeEach
    void start() throws IOException {
        server = new BlockingHttpServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16, HeaderLimits.NGINX_DEFAULT,
                exchange -> {
                    handled.incrementAndGet();
                    byte[] names = String.join(",", exchange.getRequestHeaders().keySet()).getBytes(StandardCharsets.ISO_8859_1);
                    try (InputStream body = exchange.getRequestBody()) {
                        body.readAllBytes();
                    } catch (BlockingHttpServer.Refused e) {
                        exchange.sendResponseHeaders(e.status(), -1);
                        exchange.close();
                        return;
                    }
                    exchange.sendResponseHeaders(200, names.length);
                    exchange.getResponseBody().write(names);
                    exchange.close();
                }, (status, message) -> new BlockingHttpServer.RefusalAnswer(message.getBytes(StandardCharsets.ISO_8859_1)));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private String send(String request) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.address().getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.shutdownOutput();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void aHeadDrippedAByteAtATimeIsCutAtTheHeaderTimeoutAsNginxsClientHeaderTimeout() throws Exception {
        long before = BlockingHttpServer.headerTimeoutNanos;
        BlockingHttpServer.headerTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(600);
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.address().getPort())) {
            socket.setSoTimeout(10_000);
            long started = System.nanoTime();
            boolean cut = false;
            // each byte well within any per-read timeout; the head as a whole never within the deadline
            for (byte b : "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ".concat("y".repeat(40)).getBytes(StandardCharsets.ISO_8859_1)) {
                try {
                    socket.getOutputStream().write(b);
                    socket.getOutputStream().flush();
                } catch (IOException closed) {
                    cut = true;
                    break;
                }
                Thread.sleep(100);
            }
            if (!cut) {
                cut = socket.getInputStream().read() == -1;
            }
            assertThat(cut).isTrue();
            assertThat((System.nanoTime() - started) / 1_000_000).as("cut near the deadline, not after the drip").isLessThan(3_000L);
            assertThat(handled.get()).isZero();
        } finally {
            BlockingHttpServer.headerTimeoutNanos = before;
        }
    }

    @Test
    void aClientThatStopsReadingIsCutAtTheSendTimeoutAsNginxsSendTimeout() throws Exception {
        long before = BlockingHttpServer.sendTimeoutNanos;
        BlockingHttpServer.sendTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(500);
        java.util.concurrent.CompletableFuture<Throwable> handlerSaw = new java.util.concurrent.CompletableFuture<>();
        try (BlockingHttpServer flooding = new BlockingHttpServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16,
                HeaderLimits.NGINX_DEFAULT, exchange -> {
                    exchange.sendResponseHeaders(200, 0);
                    byte[] chunk = new byte[64 * 1024];
                    try {
                        for (int i = 0; i < 4096; i++) { // 256 MB: far more than the socket buffers hold
                            exchange.getResponseBody().write(chunk);
                        }
                        handlerSaw.complete(null);
                    } catch (IOException e) {
                        handlerSaw.complete(e);
                    }
                    exchange.close();
                }, (status, message) -> new BlockingHttpServer.RefusalAnswer(new byte[0]));
             Socket client = new Socket()) {
            client.setReceiveBufferSize(4096);
            client.connect(flooding.address());
            client.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            client.getOutputStream().flush();
            // and never reads
            assertThat(handlerSaw.get(10, TimeUnit.SECONDS)).as("the stalled write ends in an error, the connection closed").isNotNull();
        } finally {
            BlockingHttpServer.sendTimeoutNanos = before;
        }
    }

    @Test
    void theDateHeaderIsAnImfFixdateWithATwoDigitDay() throws IOException {
        assertThat(send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
                .containsPattern("\r\nDate: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT\r\n");
    }

    @Test
    void headerNamesAreWrittenWithEachWordCapitalized() {
        assertThat(BlockingHttpServer.wordCase("X-kong-request-id")).isEqualTo("X-Kong-Request-Id");
        assertThat(BlockingHttpServer.wordCase("Content-type")).isEqualTo("Content-Type");
        assertThat(BlockingHttpServer.wordCase("Via")).isEqualTo("Via");
    }

    @Test
    void anHttp11RequestWithoutHostOrWithTwoIsRefused() throws IOException {
        assertThat(send("GET / HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 400");
        assertThat(send("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")).startsWith("HTTP/1.1 400");
        assertThat(send("GET / HTTP/1.0\r\n\r\n")).startsWith("HTTP/1.1 200"); // nginx's status line for every client
        assertThat(handled.get()).isEqualTo(1);
    }

    @Test
    void anyHttp1xIsServedAsHttp11AndALaterMajorVersionIs505() throws IOException {
        assertThat(send("GET / HTTP/1.2\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 200");
        assertThat(send("GET / HTTP/2.0\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 505").endsWith("HTTP version not supported");
        assertThat(send("GET / HTTQ/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 400");
    }

    @Test
    void traceIsNotAllowedAndHttp10HasNoChunks() throws IOException {
        assertThat(send("TRACE / HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 405").endsWith("Method not allowed");
        assertThat(send("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")).contains(" 400 ");
        assertThat(handled.get()).isZero();
    }

    @Test
    void aTargetNginxTakesIsServedAndOneItRefusesIs400() throws IOException {
        assertThat(send("GET /search?q=a|b{c}\"d\" HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 200");
        assertThat(send("GET /search?q=50%zz HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 200");
        assertThat(send("GET /x%zz HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 400");
        assertThat(handled).hasValue(2);
    }

    @Test
    void aCrInsideAHeaderLineIsRefusedNotDropped() throws IOException {
        assertThat(send("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n")).startsWith("HTTP/1.1 400");
        assertThat(handled).hasValue(0);
    }

    @Test
    void controlBytesInANameOrNulInAValueAreRefusedAndOtherOddNamesDroppedAsNginxDoes() throws IOException {
        assertThat(send("GET / HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n")).startsWith("HTTP/1.1 400");
        assertThat(send("GET / HTTP/1.1\r\nHost: x\r\nX-Nul: a\0b\r\n\r\n")).startsWith("HTTP/1.1 400");
        // nginx's ignore_invalid_headers, and underscores_in_headers off: both names are dropped, the request served
        String kept = send("GET / HTTP/1.1\r\nHost: x\r\nX.Dotted: v\r\nX_Under-Score: v\r\nX-Kept: v\r\n\r\n");
        assertThat(kept).startsWith("HTTP/1.1 200").doesNotContain("X.dotted").doesNotContainIgnoringCase("X_under-score")
                .containsIgnoringCase("x-kept");
    }

    @Test
    void aChunkedBodyWithABadSizeOrMoreDataThanItsSizeIsABadRequest() throws IOException {
        String head = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
        assertThat(send(head + "zz\r\nhello\r\n0\r\n\r\n")).startsWith("HTTP/1.1 400");
        assertThat(send(head + "5\r\nhelloXX\r\n0\r\n\r\n")).startsWith("HTTP/1.1 400");
        assertThat(send(head + "5\r\nhello\r\n0\r\n\r\n")).startsWith("HTTP/1.1 200");
    }
}
