package io.kongjava.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The server's connections as nginx's stub_status counts them, which kong.nginx.get_statistics answers from. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BlockingHttpServerStatisticsTest {

    @Test
    void connectionsAreCountedAsWaitingReadingOrWriting() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (BlockingHttpServer server = new BlockingHttpServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16,
                HeaderLimits.NGINX_DEFAULT, exchange -> {
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    exchange.sendResponseHeaders(204, -1);
                    exchange.close();
                }, (status, message) -> new BlockingHttpServer.RefusalAnswer(new byte[0]));
             Socket idle = new Socket(InetAddress.getLoopbackAddress(), server.address().getPort());
             Socket halfway = new Socket(InetAddress.getLoopbackAddress(), server.address().getPort());
             Socket served = new Socket(InetAddress.getLoopbackAddress(), server.address().getPort())) {
            halfway.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
            OutputStream out = served.getOutputStream();
            out.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));

            Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(server.statistics()).isEqualTo(new BlockingHttpServer.Statistics(3, 1, 1, 1, 3, 3, 1)));

            release.countDown();
            Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(server.statistics()).as("the served connection waits for its next request")
                            .isEqualTo(new BlockingHttpServer.Statistics(3, 1, 0, 2, 3, 3, 1)));
        }
    }
}
