package io.kongjava.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A call cancelled from another thread ends at once, waiting for a head or in a paused body, and is not pooled. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class UpstreamClientCancellationTest {

    /** Reads a request, answers {@code answer} (maybe nothing), then stays silent until the connection ends. */
    private static CompletableFuture<Long> silentUpstream(ServerSocket listener, String answer) {
        CompletableFuture<Long> closedAt = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (Socket socket = listener.accept()) {
                InputStream in = socket.getInputStream();
                byte[] buffer = new byte[4096];
                in.read(buffer);
                socket.getOutputStream().write(answer.getBytes(StandardCharsets.ISO_8859_1));
                socket.getOutputStream().flush();
                while (in.read(buffer) >= 0) {
                    // only the end matters
                }
                closedAt.complete(System.nanoTime());
            } catch (Exception e) {
                closedAt.complete(System.nanoTime());
            }
        });
        return closedAt;
    }

    @Test
    void aCancelWhileWaitingForTheHeadEndsTheTryAndClosesTheConnection() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 4, InetAddress.getLoopbackAddress()); UpstreamClient client = new UpstreamClient()) {
            CompletableFuture<Long> closedAt = silentUpstream(listener, "");
            UpstreamClient.Cancellation cancellation = new UpstreamClient.Cancellation();
            CompletableFuture<Throwable> failed = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> {
                try {
                    client.send(new UpstreamClient.Address(false, "127.0.0.1", listener.getLocalPort()), "GET", "/", List.<String[]>of(new String[] {"host", "x"}),
                            new byte[0], 1000, 1000, 20_000, cancellation).close();
                    failed.complete(null);
                } catch (Throwable e) {
                    failed.complete(e);
                }
            });
            Thread.sleep(300);
            assertThat(failed).isNotDone();
            long cancelled = System.nanoTime();
            cancellation.cancel();
            assertThat(failed.get(2, TimeUnit.SECONDS)).isInstanceOf(UpstreamClient.AttemptFailed.class);
            await().atMost(Duration.ofSeconds(2)).until(closedAt::isDone);
            assertThat(TimeUnit.NANOSECONDS.toMillis(closedAt.get() - cancelled)).isLessThan(1000);
        }
    }

    @Test
    void aCancelInAPausedBodyEndsTheReadAndTheConnectionIsNotReused() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 4, InetAddress.getLoopbackAddress()); UpstreamClient client = new UpstreamClient()) {
            silentUpstream(listener, "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\none\r\n");
            UpstreamClient.Cancellation cancellation = new UpstreamClient.Cancellation();
            UpstreamClient.Response response = client.send(new UpstreamClient.Address(false, "127.0.0.1", listener.getLocalPort()), "GET", "/",
                    List.<String[]>of(new String[] {"host", "x"}), new byte[0], 1000, 1000, 20_000, cancellation);
            byte[] first = new byte[3];
            assertThat(response.body.readNBytes(first, 0, 3)).isEqualTo(3);
            Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException ignored) {
                    // cancel now
                }
                cancellation.cancel();
            });
            assertThatThrownBy(() -> response.body.read()).isInstanceOf(java.io.IOException.class);
            response.close();
            assertThat(cancellation.cancelled()).isTrue();
        }
    }
}
