package io.kongjava.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** An upstream's response head larger than nginx's proxy_buffer_size (4 KB unless kong.conf sets it) is Kong's 502. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ProxyBufferSizeTest {

    @TempDir
    Path dir;

    Gateway gateway;
    ServerSocket upstream;

    @AfterEach
    void stop() throws IOException {
        if (gateway != null) {
            gateway.close();
        }
        upstream.close();
    }

    /** Answers every request with a 5 KB header. */
    private int bigHeaderUpstream() throws IOException {
        upstream = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (!upstream.isClosed()) {
                try (Socket s = upstream.accept()) {
                    InputStream in = s.getInputStream();
                    byte[] buffer = new byte[8192];
                    int read = in.read(buffer); // the request head, small
                    if (read <= 0) {
                        continue;
                    }
                    s.getOutputStream().write(("HTTP/1.1 200 OK\r\nX-Policy: " + "p".repeat(5000) + "\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
                            .getBytes(StandardCharsets.ISO_8859_1));
                } catch (IOException e) {
                    // next
                }
            }
        });
        return upstream.getLocalPort();
    }

    private String get() throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), gateway.address().getPort())) {
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write("GET /r HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void aResponseHeadOverFourKilobytesIsA502AsUnderKong() throws Exception {
        gateway = OnePluginGateway.global(dir, bigHeaderUpstream(), "noop", "log", new CountingPluginServer("noop"))
                .start(new InetSocketAddress("127.0.0.1", 0));

        assertThat(get()).startsWith("HTTP/1.1 502 ");
    }

    @Test
    void aLargerProxyBufferSizeLetsItThrough() throws Exception {
        gateway = OnePluginGateway.global(dir, bigHeaderUpstream(), "noop", "log", new CountingPluginServer("noop"))
                .proxyBufferSize(16 * 1024).start(new InetSocketAddress("127.0.0.1", 0));

        assertThat(get()).startsWith("HTTP/1.1 200 ").endsWith("ok");
    }
}
