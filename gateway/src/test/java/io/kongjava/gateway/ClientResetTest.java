package io.kongjava.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A client that resets its connection (Ctrl-C) while the upstream thinks still gets its request's log phase, as in nginx. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ClientResetTest {

    @TempDir
    Path dir;

    final CountingPluginServer logger = new CountingPluginServer("count-log");
    final CountDownLatch requested = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    HttpServer upstream;
    Gateway gateway;

    @AfterEach
    void stop() {
        release.countDown();
        if (gateway != null) {
            gateway.close();
        }
        if (upstream != null) {
            upstream.stop(0);
        }
    }

    @Test
    void aResetWhileTheUpstreamThinksStillRunsTheLogPhaseOnce() throws Exception {
        upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        upstream.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        upstream.createContext("/", exchange -> {
            requested.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] body = "late".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        upstream.start();
        gateway = OnePluginGateway.global(dir, upstream.getAddress().getPort(), "count-log", "log", logger)
                .start(new InetSocketAddress("127.0.0.1", 0));

        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), gateway.address().getPort())) {
            OutputStream out = client.getOutputStream();
            out.write("GET /r HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            assertThat(requested.await(10, TimeUnit.SECONDS)).isTrue();
            client.setSoLinger(true, 0); // close with a reset, as a killed client's kernel does
        }
        release.countDown();

        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> logger.events.get() == 1);
        Thread.sleep(300);
        assertThat(logger.events.get()).as("exactly one log phase").isEqualTo(1);
    }
}
