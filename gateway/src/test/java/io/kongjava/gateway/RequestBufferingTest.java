package io.kongjava.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A route's {@code request_buffering}: by default the gateway reads the client's body whole before it calls the
 * upstream, as Kong does; with {@code false} the body goes upstream as it comes (nginx's
 * {@code proxy_request_buffering off}), so the upstream sees its first bytes while the client is still sending.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RequestBufferingTest {

    @TempDir
    Path dir;
    HttpServer upstream;
    volatile CountDownLatch firstBytes = new CountDownLatch(1);
    volatile String framing;

    @BeforeEach
    void startUpstream() throws Exception {
        upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        upstream.createContext("/", exchange -> {
            framing = exchange.getRequestHeaders().getFirst("Transfer-Encoding") != null ? "chunked"
                    : "length " + exchange.getRequestHeaders().getFirst("Content-Length");
            InputStream in = exchange.getRequestBody();
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            byte[] buffer = new byte[1024];
            int n = in.read(buffer);
            if (n > 0) {
                body.write(buffer, 0, n);
            }
            firstBytes.countDown();
            in.transferTo(body);
            byte[] answer = ("got " + body.toString(StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        upstream.start();
    }

    @AfterEach
    void stop() {
        upstream.stop(0);
    }

    @Test
    void withRequestBufferingOffTheUpstreamGetsTheFirstChunkWhileTheClientIsStillSending() throws Exception {
        try (Gateway gateway = gateway()) {
            String answer = sendInTwoParts(gateway, "/streamed", "Transfer-Encoding: chunked", "5\r\nhello\r\n", "6\r\n world\r\n0\r\n\r\n", true);
            assertThat(answer).endsWith("got hello world");
            assertThat(framing).as("a chunked body goes on chunked").isEqualTo("chunked");

            firstBytes = new CountDownLatch(1);
            answer = sendInTwoParts(gateway, "/streamed", "Content-Length: 11", "hello", " world", true);
            assertThat(answer).startsWith("HTTP/1.1 200").endsWith("got hello world");
            assertThat(framing).as("a declared length goes on").isEqualTo("length 11");
        }
    }

    @Test
    void byDefaultTheBodyIsReadWholeBeforeTheUpstreamIsCalled() throws Exception {
        try (Gateway gateway = gateway()) {
            String answer = sendInTwoParts(gateway, "/buffered", "Transfer-Encoding: chunked", "5\r\nhello\r\n", "6\r\n world\r\n0\r\n\r\n", false);
            assertThat(answer).startsWith("HTTP/1.1 200").endsWith("got hello world");
            assertThat(framing).as("Kong's request buffering: sent with its length").isEqualTo("length 11");
        }
    }

    /** Sends the head and the first part, waits for the upstream's first bytes (or 1 s), sends the rest; the answer. */
    private String sendInTwoParts(Gateway gateway, String path, String framingHeader, String first, String rest, boolean expectEarly)
            throws Exception {
        try (Socket client = new Socket("127.0.0.1", gateway.address().getPort())) {
            OutputStream out = client.getOutputStream();
            out.write(("POST " + path + " HTTP/1.1\r\nHost: gateway\r\n" + framingHeader + "\r\nConnection: close\r\n\r\n" + first)
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            boolean early = firstBytes.await(expectEarly ? 10 : 1, TimeUnit.SECONDS);
            assertThat(early).as("the upstream had the first part before the client sent the rest").isEqualTo(expectEarly);
            out.write(rest.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private Gateway gateway() throws Exception {
        Path file = dir.resolve("kong.yaml");
        Files.writeString(file, """
                _format_version: "3.0"
                services:
                  - name: s
                    url: http://127.0.0.1:%d
                    routes:
                      - {name: streamed, paths: [/streamed], request_buffering: false}
                      - {name: buffered, paths: [/buffered]}
                """.formatted(upstream.getAddress().getPort()));
        DeclarativeConfig config = DeclarativeConfig.load(file, Map.of(), List.of(), name -> null);
        assertThat(config.warnings).isEmpty();
        return new Gateway(config, Map.of(), Integer.MAX_VALUE - 9).start(new InetSocketAddress("127.0.0.1", 0));
    }
}
