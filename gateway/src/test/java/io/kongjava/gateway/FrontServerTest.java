package io.kongjava.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's HTTP/1.1 front as clients meet it on the wire: keep-alive, HTTP/1.0 clients,
 * {@code Expect: 100-continue}, chunked bodies both ways, and the requests nginx refuses.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class FrontServerTest {

    @TempDir
    Path dir;

    private UpstreamSemanticsTest.RawUpstream upstream;
    private Gateway gateway;

    @BeforeEach
    void start() throws Exception {
        upstream = new UpstreamSemanticsTest.RawUpstream((request, out) -> {
            String text = request.headers().containsKey("x-names") ? new java.util.TreeSet<>(request.headers().keySet()).toString()
                    : request.method() + " " + request.body();
            if (request.method().equals("HEAD")) { // the length of what a GET would get, and no body
                out.write("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n".getBytes(StandardCharsets.UTF_8));
                return true;
            }
            if (request.headers().containsKey("x-stream")) { // an answer of unknown length: chunked to the client
                out.write(("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(text.length()) + "\r\n" + text
                        + "\r\n0\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            } else {
                out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + text.length() + "\r\n\r\n" + text).getBytes(StandardCharsets.UTF_8));
            }
            return true;
        });
        Path file = dir.resolve("kong.yaml");
        Files.writeString(file, """
                _format_version: "3.0"
                services:
                  - name: svc
                    url: http://127.0.0.1:%d
                    routes:
                      - name: svc
                        paths: [/svc]
                """.formatted(upstream.port()));
        gateway = new Gateway(DeclarativeConfig.load(file, Map.of(), List.of()), Map.of(), 1 << 20)
                .start(new InetSocketAddress("127.0.0.1", 0));
    }

    @AfterEach
    void stop() throws IOException {
        gateway.close();
        upstream.close();
    }

    @Test
    void anHttp11ConnectionCarriesRequestAfterRequest() throws Exception {
        try (Connection c = new Connection()) {
            for (int i = 0; i < 3; i++) {
                c.send("POST /svc HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
                assertThat(c.answer()).startsWith("HTTP/1.1 200 OK").endsWith("POST hello");
            }
        }
        assertThat(upstream.connections.get()).as("and the gateway reuses its upstream connection").isEqualTo(1);
    }

    @Test
    void anHttp10ClientIsAnsweredAsNginxAnswersItAndItsConnectionClosedUnlessItAsksToKeepIt() throws Exception {
        try (Connection c = new Connection()) {
            c.send("GET /svc HTTP/1.0\r\n\r\n");
            assertThat(c.rest()).startsWith("HTTP/1.1 200 OK").endsWith("\r\n\r\nGET");
        }
        try (Connection c = new Connection()) {
            c.send("GET /svc HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
            assertThat(c.answer()).startsWith("HTTP/1.1 200 OK").containsIgnoringCase("connection: keep-alive");
            c.send("GET /svc HTTP/1.0\r\n\r\n");
            assertThat(c.rest()).startsWith("HTTP/1.1 200 OK");
        }
    }

    @Test
    void expect100ContinueIsAnsweredBeforeTheClientSendsItsBody() throws Exception {
        try (Connection c = new Connection()) {
            c.send("POST /svc HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
            assertThat(c.line()).isEqualTo("HTTP/1.1 100 Continue");
            assertThat(c.line()).isEmpty();
            c.send("hello");
            assertThat(c.answer()).startsWith("HTTP/1.1 200 OK").endsWith("POST hello");
        }
    }

    @Test
    void aRequestAnsweredBeforeItsBodyIsReadGetsNo100ContinueAsFromNginx() throws Exception {
        try (Connection c = new Connection()) {
            // no route: Kong answers in access, and nginx reads a body (sending 100 Continue) only when someone reads it
            c.send("POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
            assertThat(c.line()).startsWith("HTTP/1.1 404");
        }
    }

    @Test
    void aDeclaredBodyOverTheLimitIs413AtOnceWithoutAsking100Continue() throws Exception {
        try (Connection c = new Connection()) {
            c.send("POST /svc HTTP/1.1\r\nHost: x\r\nContent-Length: " + ((1 << 20) + 1) + "\r\nExpect: 100-continue\r\n\r\n");
            assertThat(c.rest()).startsWith("HTTP/1.1 413").contains("Payload too large").doesNotContain("100 Continue");
        }
        assertThat(upstream.requests.get()).isZero();
    }

    @Test
    void chunkedBodiesAreDecodedOnTheWayInAndAnAnswerOfUnknownLengthIsChunkedOnTheWayOut() throws Exception {
        try (Connection c = new Connection()) {
            c.send("POST /svc HTTP/1.1\r\nHost: x\r\nX-Stream: 1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n");
            String answer = c.rest(); // read until the chunked answer's end, then the test closes
            assertThat(answer).startsWith("HTTP/1.1 200 OK").containsIgnoringCase("transfer-encoding: chunked").contains("POST abcde");
        }
    }

    @Test
    void requestsNginxRefusesAreRefusedWithKongsJsonAndTheConnectionClosed() throws Exception {
        try (Connection c = new Connection()) {
            c.send("POST /svc HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
            assertThat(c.rest()).startsWith("HTTP/1.1 400").contains("\"message\":\"Bad request\"").containsIgnoringCase("connection: close");
        }
        try (Connection c = new Connection()) {
            c.send("POST /svc HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n");
            assertThat(c.rest()).startsWith("HTTP/1.1 501");
        }
        try (Connection c = new Connection()) {
            c.send("NOT A REQUEST\r\n\r\n");
            assertThat(c.rest()).startsWith("HTTP/1.1 400");
        }
        try (Connection c = new Connection()) { // a bare CR: dropped, it would join "b: 1" into the value
            c.send("GET /svc HTTP/1.1\r\nHost: x\r\nX-A: a\rb: 1\r\n\r\n");
            assertThat(c.rest()).startsWith("HTTP/1.1 400").contains("\"message\":\"Bad request\"");
        }
        assertThat(upstream.requests.get()).isZero();
    }

    @Test
    void aHeaderWithAnUnderscoreInItsNameIsPassedOnAsKongsNginxTemplatePassesIt() throws Exception {
        // kong/templates/nginx_kong.lua: underscores_in_headers on (every 3.x); nginx's own default would drop it
        try (Connection c = new Connection()) {
            c.send("GET /svc HTTP/1.1\r\nHost: x\r\nX-Names: 1\r\nx_tenant: t1\r\nX.Dotted: 1\r\nX-Ok: 1\r\n\r\n");
            assertThat(c.answer()).startsWith("HTTP/1.1 200").contains("x-ok").contains("x_tenant").doesNotContain("x.dotted");
        }
    }

    @Test
    void aHeadAnswerKeepsTheUpstreamsLengthAndHasNoBody() throws Exception {
        try (Connection c = new Connection()) {
            c.send("HEAD /svc HTTP/1.1\r\nHost: x\r\n\r\n");
            StringBuilder head = new StringBuilder();
            String line;
            while (!(line = c.line()).isEmpty()) {
                head.append(line).append("\n");
            }
            assertThat(head.toString()).startsWith("HTTP/1.1 200 OK").containsIgnoringCase("content-length: 1234");
            c.send("POST /svc HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok");
            assertThat(c.answer()).as("no body came after the HEAD answer").startsWith("HTTP/1.1 200 OK").endsWith("POST ok");
        }
    }

    @Test
    void theJdkServerCanStillBeChosenAndRefusesOversizedHeadsTheSameWay() throws Exception {
        System.setProperty("kong.java.gateway.server", "jdk");
        Gateway jdk;
        try {
            jdk = new Gateway(DeclarativeConfig.load(dir.resolve("kong.yaml"), Map.of(), List.of()), Map.of(), 1 << 20)
                    .start(new InetSocketAddress("127.0.0.1", 0));
        } finally {
            System.clearProperty("kong.java.gateway.server");
        }
        try (jdk; Socket socket = new Socket("127.0.0.1", jdk.address().getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("POST /svc HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"
                    + "GET /svc HTTP/1.1\r\nHost: x\r\nX-Large: " + "a".repeat(10 * 1024) + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            String answers = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertThat(answers).startsWith("HTTP/1.1 200 OK").contains("POST hi").contains("HTTP/1.1 400 Bad Request")
                    .contains("\"message\":\"Bad request\"");
        }
    }

    /** A client connection read line by line. */
    private final class Connection implements AutoCloseable {
        private final Socket socket = new Socket("127.0.0.1", gateway.address().getPort());
        private final BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
        private final OutputStream out = socket.getOutputStream();

        Connection() throws IOException {
            socket.setSoTimeout(10_000);
        }

        void send(String text) throws IOException {
            out.write(text.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }

        String line() throws IOException {
            return in.readLine();
        }

        /** One answer with a Content-Length: its head and body. */
        String answer() throws IOException {
            StringBuilder text = new StringBuilder();
            int length = 0;
            String line;
            while (!(line = in.readLine()).isEmpty()) {
                text.append(line).append("\r\n");
                if (line.toLowerCase().startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring(15).strip());
                }
            }
            char[] body = new char[length];
            int read = 0;
            while (read < length) {
                read += in.read(body, read, length - read);
            }
            return text.append("\r\n").append(body).toString();
        }

        /** Everything until the gateway closes the connection, or until a chunked answer ends. */
        String rest() throws IOException {
            StringBuilder text = new StringBuilder();
            String line;
            while ((line = in.readLine()) != null) {
                text.append(line).append("\r\n");
                if (line.equals("0") && text.toString().toLowerCase().contains("transfer-encoding: chunked")) {
                    break;
                }
            }
            return text.toString().strip();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
