package io.kongjava.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kongjava.testing.anthropic.Reply;
import io.kongjava.testing.anthropic.Usage;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A plugin server told to stop (SIGTERM: Kong sends it from the nginx worker that exits on a reload or a graceful
 * quit, while other workers still stream) lets the answers it is relaying finish, then ends; a request that comes
 * meanwhile is refused with 503, not proxied without the plugin.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class PluginServerDrainTest {

    private static final String REAL_KEY = "sk-ant-drain-test";

    @Test
    void aStreamInFlightWhenTheServerIsStoppedReachesItsEndAndTheServerEndsAfterIt() throws Exception {
        try (HowToGateway howTo = HowToGateway.start(REAL_KEY, "--drain-timeout 30");
             HttpClient http = HttpClient.newHttpClient()) {
            howTo.anthropic.enqueue(Reply.text("one two three four five six seven eight nine ten").usage(Usage.of(20, 10))
                    .eventDelay(Duration.ofMillis(250)));
            String body = "{\"model\":\"" + HowToGateway.PINNED_MODEL + "\",\"max_tokens\":64,\"stream\":true,"
                    + "\"messages\":[{\"role\":\"user\",\"content\":\"count\"}]}";
            HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + howTo.proxyPort
                            + "/anything/v1/messages"))
                    .header("x-api-key", "sk-dummy").header("anthropic-version", "2023-06-01").header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(response.statusCode()).isEqualTo(200);
            ProcessHandle server = ProcessHandle.of(howTo.pluginServerPid()).orElseThrow();

            List<String> lines = new ArrayList<>();
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                lines.add(reader.readLine());
                server.destroy(); // SIGTERM, mid-stream
                assertThat(howTo.anthropic.takeRequest(Duration.ofSeconds(5))).as("the stream's own request").isPresent();
                // The signal takes a moment to reach the server's shutdown hook: until then a new request is served by the
                // plugin (the provider gets the operator's key); from then on it is refused, never proxied without it.
                int status = 0;
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (status != 503 && System.nanoTime() < until) {
                    howTo.anthropic.enqueue(Reply.text("served before the drain began").usage(Usage.of(3, 4)));
                    status = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + howTo.proxyPort + "/anything/v1/messages"))
                            .header("x-api-key", "sk-client-own").header("anthropic-version", "2023-06-01").header("content-type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body.replace(",\"stream\":true", ""))).build(),
                            HttpResponse.BodyHandlers.ofString()).statusCode();
                    if (status == 200) {
                        assertThat(howTo.anthropic.takeRequest(Duration.ofSeconds(1)).orElseThrow().header("x-api-key").orElse(null))
                                .as("served by the plugin, with the operator's key").isEqualTo(REAL_KEY);
                    }
                }
                assertThat(status).as("a new request while the server drains: refused, never proxied without the plugin").isEqualTo(503);
                assertThat(howTo.anthropic.takeRequest(Duration.ofMillis(300))).isEmpty();
                String line;
                while ((line = reader.readLine()) != null) {
                    lines.add(line);
                }
            }

            assertThat(lines.getFirst()).isEqualTo("event: message_start");
            assertThat(lines).as("the whole stream, after the SIGTERM").contains("event: message_stop");
            await("the stopped server ends once its stream is done").atMost(Duration.ofSeconds(10)).until(() -> !server.isAlive());
        }
    }
}
