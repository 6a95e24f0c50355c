package io.kongjava.it;

import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kongjava.it.KongHarness.KongVersion;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** KongHarness itself: a gateway of our own in front of java-file-log, and the conformance result it parses. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KongHarnessTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void javaFileLogWritesOneLinePerRequestThroughKongsOwnClient() throws Exception {
        try (KongHarness harness = KongHarness.start(KongVersion.V3_10_DEV,
                List.of(KongHarness.Plugin.of("java-file-log", "{\"path\": \"@RUN_DIR@/file.log\"}")))) {
            HttpClient http = HttpClient.newHttpClient();
            Set<String> requestIds = new HashSet<>();
            int requests = 20;
            for (int i = 0; i < requests; i++) {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(harness.proxyUrl() + "/harness/" + i)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).as("status of request %d: %s", i, response.body()).isEqualTo(200);
                requestIds.add(response.headers().firstValue("x-kong-request-id").orElseThrow());
            }

            JsonNode plugin = harness.status().path("plugin");
            assertThat(plugin.path("name").asText()).isEqualTo("java-file-log");
            Path log = harness.runDir().resolve("file.log");
            await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50))
                    .until(() -> Files.exists(log) && Files.readAllLines(log).size() >= requests);
            List<String> lines = Files.readAllLines(log);
            assertThat(lines).hasSize(requests);
            Set<String> logged = new HashSet<>();
            for (String line : lines) {
                logged.add(JSON.readTree(line).path("request").path("id").asText());
            }
            assertThat(logged).isEqualTo(requestIds);
            assertThat(harness.count("p.java-file-log.event.log")).isEqualTo(requests);
            assertThat(harness.counts("p.java-file-log.rpc_err.")).isEmpty();
            assertThat(harness.nginxErrors()).isEmpty();
            assertThat(harness.serverAlive()).isTrue();
        }
    }

    @Test
    void aFailingCheckNamesItselfInTheFailureMessage() throws Exception {
        Path dir = Files.createTempDirectory("kong-harness-test");
        Path config = dir.resolve("config.json");
        Files.writeString(config, "{\"path\": \"@RUN_DIR@/file.log\"}");
        String server = KongHarness.pluginServer().toString();
        // java-hello is not what java-file-log's dump names first: Kong would load the wrong plugin
        KongHarness.Conformance run = KongHarness.runConformance(KongVersion.V3_9_3, List.of(
                server + " -kong-prefix " + dir + " --socket " + dir + "/java.sock", dir + "/java.sock", "java-hello", config.toString(),
                "--query-cmd", server + " --dump-plugin-info java-file-log"), Duration.ofSeconds(90));

        assertThat(run.exitStatus()).isNotZero();
        assertThat(run.failed()).isPositive();
        assertThat(run.failures()).anySatisfy(failure -> assertThat(failure).contains("first plugin is 'java-hello'"));
        assertThatThrownBy(run::assertPassed).isInstanceOf(AssertionError.class).hasMessageContaining("first plugin is 'java-hello'");
    }

    @Test
    void theSummaryAndTheChecksAreParsed() {
        KongHarness.Conformance run = KongHarness.Conformance.parse(List.of("x"), 1, """
                PASS  dump: query command exits 0
                FAIL  burst: log file: one line per request  -- 2981 lines for 3000 requests
                1 passed, 1 failed
                """);
        assertThat(run.passed()).isEqualTo(1);
        assertThat(run.failed()).isEqualTo(1);
        assertThat(run.pass("query command")).isPresent();
        assertThat(run.failures()).containsExactly("FAIL burst: log file: one line per request  -- 2981 lines for 3000 requests");
        assertThatThrownBy(run::assertPassed).hasMessageContaining("2981 lines for 3000 requests");
    }
}
