package io.kongjava.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A client that leaves while the provider says nothing (a model thinking before its first byte): the Service
 * reads the request and stays silent, the client closes its connection to the gateway, and the upstream call
 * must end within a second, with the filters told and the log line saying so. The chain is client, gateway (our
 * local one, or Kong's nginx), the plugin server's relay, the Service: each hop has to pass the close on.
 */
final class ClientLeavesScenario implements AutoCloseable {

    static final String BODY = "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":10,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ServerSocket listener = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
    private final CountDownLatch requested = new CountDownLatch(1);
    private final CompletableFuture<Long> upstreamClosedAtNanos = new CompletableFuture<>();

    /** The silent Service: answers nothing, and notes when its connection ends. */
    ClientLeavesScenario() throws IOException {
        Thread.ofVirtual().start(() -> {
            try (Socket socket = listener.accept()) {
                InputStream in = socket.getInputStream();
                readHead(in);
                requested.countDown();
                socket.setSoTimeout(30_000);
                while (in.read() >= 0) {
                    // the request body, then nothing: only the end of the connection matters
                }
                upstreamClosedAtNanos.complete(System.nanoTime());
            } catch (IOException e) {
                upstreamClosedAtNanos.complete(System.nanoTime()); // a reset ends it too; a read timeout fails the bound
            }
        });
    }

    String url() {
        return "http://127.0.0.1:" + listener.getLocalPort();
    }

    /**
     * Sends the request to {@code gatewayUrl} (path included) on a raw socket, waits until the Service has it, lets
     * the silence last, closes, and checks how soon the Service's connection ended; returns the request's log line.
     */
    JsonNode run(String gatewayUrl, String apiKey, Path logFile) throws Exception {
        return run(gatewayUrl, apiKey, logFile, false);
    }

    /** As above; with {@code reset} the client closes with a TCP reset, as the kernel of a killed client (Ctrl-C) does. */
    JsonNode run(String gatewayUrl, String apiKey, Path logFile, boolean reset) throws Exception {
        URI uri = URI.create(gatewayUrl);
        long leftAtNanos;
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), uri.getPort())) {
            byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
            String head = "POST " + uri.getRawPath() + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort()
                    + "\r\ncontent-type: application/json\r\nanthropic-version: 2023-06-01\r\nx-api-key: " + apiKey
                    + "\r\ncontent-length: " + body.length + "\r\n\r\n";
            client.getOutputStream().write(head.getBytes(StandardCharsets.ISO_8859_1));
            client.getOutputStream().write(body);
            client.getOutputStream().flush();
            assertThat(requested.await(15, TimeUnit.SECONDS)).as("the Service got the request").isTrue();
            Thread.sleep(500); // the Service stays silent: nothing to write anywhere, nothing failed
            assertThat(upstreamClosedAtNanos).as("the Service's connection while the client is still there").isNotDone();
            if (reset) {
                client.setSoLinger(true, 0);
            }
            leftAtNanos = System.nanoTime();
        }
        await().atMost(Duration.ofSeconds(5)).until(upstreamClosedAtNanos::isDone);
        long millis = TimeUnit.NANOSECONDS.toMillis(upstreamClosedAtNanos.get() - leftAtNanos);
        assertThat(millis).as("ms from the client's close to the end of the upstream call").isLessThan(1_000);
        JsonNode line = logLine(logFile, uri.getRawPath());
        assertThat(line.path("relay").path("outcome").asText()).as(line.toString()).isEqualTo("client_disconnected");
        assertThat(line.path("relay").path("error").asText()).contains("client closed the connection");
        return line;
    }

    /** The log line (java-file-log's) of the one request to {@code path}: the client never saw its request id. */
    private static JsonNode logLine(Path logFile, String path) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            if (Files.exists(logFile)) {
                for (String line : Files.readAllLines(logFile)) {
                    JsonNode entry = JSON.readTree(line);
                    if (entry.path("request").path("uri").asText().startsWith(path)) {
                        return entry;
                    }
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no log line for a request to " + path + " in " + logFile);
    }

    private static void readHead(InputStream in) throws IOException {
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the connection ended in the request head");
            }
            matched = b == end[matched] ? matched + 1 : b == '\r' ? 1 : 0;
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
    }
}
