package io.kongjava.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A stop (SIGTERM, Ctrl-C) as Kong's graceful quit: a streamed answer in flight ends whole, with its log phase; no new connection is taken. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class GracefulStopTest {

    @TempDir
    Path dir;

    final CountingPluginServer logger = new CountingPluginServer("count-log");
    volatile CountDownLatch streaming = new CountDownLatch(1);
    HttpServer upstream;
    Gateway gateway;

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        if (upstream != null) {
            upstream.stop(0);
        }
    }

    @Test
    void aStreamInFlightEndsWholeAndNoNewConnectionIsTaken() throws Exception {
        upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        upstream.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        upstream.createContext("/", exchange -> {
            exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            OutputStream body = exchange.getResponseBody();
            for (int i = 1; i <= 5; i++) {
                body.write(("data: " + i + "\n\n").getBytes(StandardCharsets.UTF_8));
                body.flush();
                streaming.countDown();
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            exchange.close();
        });
        upstream.start();
        gateway = OnePluginGateway.global(dir, upstream.getAddress().getPort(), "count-log", "log", logger)
                .start(new InetSocketAddress("127.0.0.1", 0));
        int port = gateway.address().getPort();

        Socket idleClient = new Socket(InetAddress.getLoopbackAddress(), port); // keep-alive, between requests at the stop
        idleClient.setSoTimeout(5_000);
        idleClient.getOutputStream().write("GET /r/first HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        String first = readChunkedAnswer(idleClient.getInputStream());
        assertThat(first).contains("data: 5");
        try (idleClient; Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
            streaming = new CountDownLatch(1); // the stream below, not the first request's
            client.getOutputStream().write("GET /r/stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            client.getOutputStream().flush();
            assertThat(streaming.await(10, TimeUnit.SECONDS)).isTrue();

            AtomicInteger acceptErrors = new AtomicInteger();
            java.util.logging.Logger serverLog = java.util.logging.Logger.getLogger(io.kongjava.http.BlockingHttpServer.class.getName());
            java.util.logging.Handler counter = new java.util.logging.Handler() {
                @Override
                public void publish(java.util.logging.LogRecord record) {
                    if (String.valueOf(record.getMessage()).contains("accept failed")) {
                        acceptErrors.incrementAndGet();
                    }
                }

                @Override
                public void flush() {
                }

                @Override
                public void close() {
                }
            };
            serverLog.addHandler(counter);
            CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> gateway.closeGracefully(Duration.ofSeconds(10)));
            Thread.sleep(100);
            assertThatThrownBy(() -> {
                try (Socket late = new Socket(InetAddress.getLoopbackAddress(), port)) {
                    late.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                }
            }).as("a stopping gateway takes no new connection").isInstanceOf(IOException.class);

            long stopAt = System.nanoTime();
            assertThat(idleClient.getInputStream().read()).as("an idle keep-alive connection is closed at once, as nginx does").isEqualTo(-1);
            assertThat((System.nanoTime() - stopAt) / 1_000_000).isLessThan(800L);
            String answer = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(answer).contains("data: 1").contains("data: 5");
            stopping.get(10, TimeUnit.SECONDS);
            serverLog.removeHandler(counter);
            assertThat(acceptErrors.get()).as("the closed listener is not accepted on in a loop").isZero();
        }
        assertThat(logger.events.get()).as("both requests' log phases ran before the stop ended").isEqualTo(2);
    }

    @Test
    void aStreamOutlastingTheStopIsCutAndStillLogged() throws Exception {
        upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        upstream.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        upstream.createContext("/", exchange -> {
            exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            OutputStream body = exchange.getResponseBody();
            try {
                for (int i = 1; i <= 300; i++) { // a minute of answer
                    body.write(("data: " + i + "\n\n").getBytes(StandardCharsets.UTF_8));
                    body.flush();
                    streaming.countDown();
                    Thread.sleep(200);
                }
            } catch (InterruptedException | IOException e) {
                // the gateway went away
            }
            exchange.close();
        });
        upstream.start();
        gateway = OnePluginGateway.global(dir, upstream.getAddress().getPort(), "count-log", "log", logger)
                .start(new InetSocketAddress("127.0.0.1", 0));

        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), gateway.address().getPort())) {
            client.getOutputStream().write("GET /r/long HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            assertThat(streaming.await(10, TimeUnit.SECONDS)).isTrue();

            long began = System.nanoTime();
            gateway.closeGracefully(Duration.ofSeconds(1));

            assertThat((System.nanoTime() - began) / 1_000_000).as("the limit, then the cut requests' log phases")
                    .isLessThan(1_000 + Gateway.CUT_REQUESTS_LOG_WITHIN.toMillis());
            String answer = new String(client.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertThat(answer).contains("data: 1").doesNotEndWith("\r\n0\r\n\r\n");
        }
        assertThat(logger.events.get()).as("the cut request's log phase ran before the stop ended").isEqualTo(1);
    }

    /** One chunked answer, head and body, read to its last chunk (the connection stays open). */
    private static String readChunkedAnswer(java.io.InputStream in) throws IOException {
        StringBuilder text = new StringBuilder();
        while (!text.toString().endsWith("\r\n0\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            text.append((char) b);
        }
        return text.toString();
    }
}
