package io.kongjava.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kong routes on the normalized path and sends that path upstream, escaped again: a request cannot reach one route's
 * upstream path through another route (and so around that route's plugins) with dot segments, encoded dots or
 * doubled slashes.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PathNormalizationTest {

    @TempDir
    Path dir;

    private HttpServer upstream;
    private Gateway gateway;

    @BeforeEach
    void start() throws Exception {
        // answers with the request target it received
        upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        upstream.createContext("/", exchange -> {
            byte[] target = exchange.getRequestURI().toString().getBytes(StandardCharsets.ISO_8859_1);
            exchange.sendResponseHeaders(200, target.length);
            exchange.getResponseBody().write(target);
            exchange.close();
        });
        upstream.start();
        Path file = dir.resolve("kong.yaml");
        Files.writeString(file, """
                _format_version: "3.0"
                services:
                  - name: public
                    url: http://127.0.0.1:%1$d/public-api
                    routes:
                      - name: public
                        paths: [/public]
                  - name: admin
                    url: http://127.0.0.1:%1$d/admin-api
                    routes:
                      - name: admin
                        paths: [/admin]
                """.formatted(upstream.getAddress().getPort()));
        gateway = new Gateway(DeclarativeConfig.load(file, Map.of(), List.of()), Map.of(), 1 << 20).start(new InetSocketAddress("127.0.0.1", 0));
    }

    @AfterEach
    void stop() {
        gateway.close();
        upstream.stop(0);
    }

    @Test
    void dotSegmentsAreResolvedBeforeRouting() throws IOException {
        assertThat(get("/public/../admin/users")).isEqualTo("/admin-api/users");
        assertThat(get("/public/%2e%2e/admin/users")).isEqualTo("/admin-api/users");
        assertThat(get("/public/./x/../y")).isEqualTo("/public-api/y");
    }

    @Test
    void slashesAreMergedAndUnreservedEscapesDecoded() throws IOException {
        assertThat(get("//admin//users")).isEqualTo("/admin-api/users");
        assertThat(get("/%61dmin/%75sers")).isEqualTo("/admin-api/users");
    }

    @Test
    void reservedEscapesStayEncodedAndUnsafeBytesAreEscapedUpstream() throws IOException {
        assertThat(get("/public/a%2fb")).isEqualTo("/public-api/a%2Fb");
        assertThat(get("/public/caf%C3%A9%20x")).isEqualTo("/public-api/caf%C3%A9%20x");
        assertThat(get("/public/\u00e9")).isEqualTo("/public-api/%E9");
    }

    /** Sends {@code target} byte for byte (no client library normalizes it) and returns what the upstream saw. */
    private String get(String target) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", gateway.address().getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            assertThat(response).startsWith("HTTP/1.1 200");
            return response.substring(response.indexOf("\r\n\r\n") + 4);
        }
    }
}
