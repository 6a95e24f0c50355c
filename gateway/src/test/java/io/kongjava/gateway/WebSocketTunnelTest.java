package io.kongjava.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A WebSocket upgrade through a plain route, as Kong passes it on (handler.lua: Connection "keep-alive, Upgrade", Upgrade websocket). */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class WebSocketTunnelTest {

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

    private static String head(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void theUpgradeReachesTheUpstreamAndFramesGoBothWaysUntilTheClientLeaves() throws Exception {
        upstream = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
        CompletableFuture<String> upgradeSeen = new CompletableFuture<>();
        CompletableFuture<Boolean> clientLeft = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (Socket s = upstream.accept()) {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                upgradeSeen.complete(head(in));
                out.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: abc\r\n\r\n"
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                byte[] buffer = new byte[1024];
                int n;
                while ((n = in.read(buffer)) > 0) { // an echo
                    out.write(buffer, 0, n);
                    out.flush();
                }
                clientLeft.complete(true);
            } catch (IOException e) {
                clientLeft.complete(true);
            }
        });
        gateway = OnePluginGateway.global(dir, upstream.getLocalPort(), "noop", "log", new CountingPluginServer("noop"))
                .start(new InetSocketAddress("127.0.0.1", 0));

        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), gateway.address().getPort())) {
            client.setSoTimeout(10_000);
            client.getOutputStream().write(("GET /r/chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            client.getOutputStream().flush();

            String answer = head(client.getInputStream()).toLowerCase(java.util.Locale.ROOT);
            assertThat(answer).startsWith("http/1.1 101 switching protocols").contains("\r\nupgrade: websocket")
                    .contains("\r\nconnection: upgrade").contains("\r\nsec-websocket-accept: abc");
            assertThat(upgradeSeen.get(5, TimeUnit.SECONDS).toLowerCase(java.util.Locale.ROOT))
                    .contains("\r\nupgrade: websocket").contains("\r\nconnection: keep-alive, upgrade")
                    .contains("\r\nsec-websocket-key: dghlihnhbxbszsbub25jzq==");

            for (String frame : new String[] {"ping1", "ping2"}) {
                client.getOutputStream().write(frame.getBytes(StandardCharsets.ISO_8859_1));
                client.getOutputStream().flush();
                byte[] echo = client.getInputStream().readNBytes(frame.length());
                assertThat(new String(echo, StandardCharsets.ISO_8859_1)).isEqualTo(frame);
            }
        }
        assertThat(clientLeft.get(5, TimeUnit.SECONDS)).as("the upstream hears the client leave").isTrue();
    }

    @Test
    void aTunnelWhereOnlyTheUpstreamTalksOutlivesTheReadTimeoutAndAnIdleOneDoesNot() throws Exception {
        upstream = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            try (Socket s = upstream.accept()) {
                head(s.getInputStream());
                OutputStream out = s.getOutputStream();
                out.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                for (int i = 0; i < 6; i++) { // a push every 300 ms, past the 1 s read_timeout, the client silent
                    out.write(("p" + i).getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    Thread.sleep(300);
                }
                Thread.sleep(10_000); // then silence both ways
            } catch (IOException | InterruptedException e) {
                // the tunnel ended
            }
        });
        gateway = OnePluginGateway.global(dir, upstream.getLocalPort(), "noop", "log", new CountingPluginServer("noop"), 1000)
                .start(new InetSocketAddress("127.0.0.1", 0));

        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), gateway.address().getPort())) {
            client.setSoTimeout(8_000);
            client.getOutputStream().write("GET /r/push HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
                    .getBytes(StandardCharsets.ISO_8859_1));
            assertThat(head(client.getInputStream())).startsWith("HTTP/1.1 101");
            assertThat(new String(client.getInputStream().readNBytes(12), StandardCharsets.ISO_8859_1)).isEqualTo("p0p1p2p3p4p5");
            long quietSince = System.nanoTime();
            assertThat(client.getInputStream().read()).as("idle both ways: closed").isEqualTo(-1);
            assertThat((System.nanoTime() - quietSince) / 1_000_000).isBetween(500L, 4_000L);
        }
    }
}
