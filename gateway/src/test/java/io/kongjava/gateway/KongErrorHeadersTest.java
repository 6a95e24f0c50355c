package io.kongjava.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Kong's header_filter runs on its own error pages too: which of Kong's headers each kind of error carries. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class KongErrorHeadersTest {

    @TempDir
    Path dir;

    Gateway gateway;

    @BeforeEach
    void start() throws Exception {
        int closedPort;
        try (ServerSocket gone = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = gone.getLocalPort(); // nobody listens there once this closes: the upstream refuses
        }
        gateway = OnePluginGateway.global(dir, closedPort, "noop", "log", new CountingPluginServer("noop")).start(new InetSocketAddress("127.0.0.1", 0));
    }

    @AfterEach
    void stop() {
        gateway.close();
    }

    private String send(String request) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), gateway.address().getPort())) {
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.shutdownOutput();
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            return answer.substring(0, answer.indexOf("\r\n\r\n") + 2).toLowerCase(java.util.Locale.ROOT);
        }
    }

    @Test
    void noRouteCarriesTheResponseLatencyAndTheRequestId() throws IOException {
        String head = send("GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n");

        assertThat(head).startsWith("http/1.1 404").contains("\r\nx-kong-response-latency: ").contains("\r\nx-kong-request-id: ")
                .contains("\r\nserver: kong-java-gateway").doesNotContain("x-kong-proxy-latency");
    }

    @Test
    void anUpstreamThatRefusesGets502WithTheProxiedHeaders() throws IOException {
        String head = send("GET /r HTTP/1.1\r\nHost: x\r\n\r\n");

        assertThat(head).startsWith("http/1.1 502").contains("\r\nx-kong-proxy-latency: ").contains("\r\nvia: 1.1 kong-java-gateway")
                .contains("\r\nx-kong-request-id: ").doesNotContain("x-kong-response-latency");
    }

    @Test
    void aHeadNginxRefusesCarriesTheRequestIdOfItsBody() throws IOException {
        String head = send("GET /r HTTP/1.1\r\nHost: x\r\nX-Big: " + "y".repeat(20_000) + "\r\n\r\n");

        assertThat(head).startsWith("http/1.1 400").contains("\r\nx-kong-request-id: ").contains("\r\nserver: kong-java-gateway");
    }
}
