package io.kongjava.it;

import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kongjava.it.KongHarness.KongVersion;
import io.kongjava.metrics.Samples;
import io.kongjava.testing.anthropic.FakeAnthropic;
import io.kongjava.testing.anthropic.Reply;
import io.kongjava.testing.anthropic.Usage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import java.time.Duration;

/**
 * The metrics endpoint, enabled through {@code KONG_JAVA_METRICS_LISTEN}, after AI requests through Kong's own
 * plugin-server client (kong-harness): Kong's kong_ai_llm_* series count exactly the requests and tokens sent, and the
 * server's series count the phases Kong's client ran.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MetricsHarnessTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "sk-ant-api03-operator-key-for-the-metrics-test";
    private static final String MODEL = "claude-sonnet-4-5-20250929";
    private static final int REQUESTS = 4;

    @ParameterizedTest(name = "{0}")
    @EnumSource(KongVersion.class)
    void kongsClientsTrafficIsCountedExactly(KongVersion version) throws Exception {
        KongHarness.assumeAvailable();
        HttpClient http = HttpClient.newHttpClient();
        try (FakeAnthropic anthropic = FakeAnthropic.start().requireApiKey(KEY)) {
            ObjectNode aiProxy = JSON.createObjectNode().put("route_type", "llm/v1/chat").put("llm_format", "anthropic");
            aiProxy.set("auth", JSON.createObjectNode().put("header_name", "x-api-key").put("header_value", KEY));
            aiProxy.set("logging", JSON.createObjectNode().put("log_statistics", true).put("log_payloads", false));
            aiProxy.set("model", JSON.createObjectNode().put("provider", "anthropic").put("name", MODEL)
                    .set("options", JSON.createObjectNode().put("anthropic_version", "2023-06-01")
                            .put("upstream_url", anthropic.url() + "/v1/messages").put("input_cost", 3.0).put("output_cost", 15.0)));
            int metricsPort = KongHarness.freePort();
            try (KongHarness harness = KongHarness.start(version, List.of(
                    KongHarness.Plugin.of("java-ai-proxy", JSON.writeValueAsString(aiProxy)),
                    KongHarness.Plugin.of("java-file-log", "{\"path\": \"@RUN_DIR@/metrics.json\"}")), anthropic.url(), 1,
                    Map.of("KONG_JAVA_METRICS_LISTEN", "127.0.0.1:" + metricsPort))) {
                for (int i = 1; i <= REQUESTS; i++) {
                    anthropic.enqueue(Reply.text("answer " + i).usage(Usage.of(100 * i, 10 * i)));
                    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(harness.proxyUrl() + "/v1/messages"))
                            .header("x-api-key", "sk-dummy").header("anthropic-version", "2023-06-01").header("content-type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(ClaudeCodeHowToTest.message(MODEL, i % 2 == 0))).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertThat(response.statusCode()).as("answer %d: %s; server log: %s", i, response.body(), harness.serverLog()).isEqualTo(200);
                }
                Path logFile = harness.runDir().resolve("metrics.json");
                Samples samples = awaitLogPhases(http, metricsPort, REQUESTS);

                Map<String, String> kong = new HashMap<>(Map.of("ai_provider", "anthropic", "ai_model", MODEL, "cache_status", "",
                        "vector_db", "", "embeddings_provider", "", "embeddings_model", "", "workspace", "default"));
                assertThat(samples.sum("kong_ai_llm_requests_total", kong)).isEqualTo(REQUESTS);
                // 100+200+300+400 prompt tokens, 10+20+30+40 completion tokens
                assertThat(samples.sum("kong_ai_llm_tokens_total", with(kong, "prompt_tokens"))).isEqualTo(1000);
                assertThat(samples.sum("kong_ai_llm_tokens_total", with(kong, "completion_tokens"))).isEqualTo(100);
                assertThat(samples.sum("kong_ai_llm_tokens_total", with(kong, "total_tokens"))).isEqualTo(1100);
                // $3 per million prompt tokens, $15 per million completion tokens
                assertThat(samples.sum("kong_ai_llm_cost_total", kong)).isCloseTo((1000 * 3.0 + 100 * 15.0) / 1_000_000, org.assertj.core.data.Offset.offset(1e-12));
                assertThat(samples.sum("kong_ai_llm_provider_latency_ms_count", kong)).isEqualTo(REQUESTS);
                assertThat(samples.sum("kong_java_events_total", Map.of("plugin", "java-ai-proxy", "phase", "access", "outcome", "ok"))).isEqualTo(REQUESTS);
                assertThat(samples.sum("kong_java_pdk_call_duration_seconds_count", Map.of("plugin", "java-ai-proxy", "phase", "access")))
                        .isGreaterThanOrEqualTo(REQUESTS * 5);
                assertThat(samples.sum("kong_java_errors_total", Map.of())).isZero();
                List<String> lines = Files.readAllLines(logFile);
                assertThat(lines).hasSize(REQUESTS);
                assertThat(samples.sum("kong_java_file_log_lines_written_total", Map.of("path", logFile.toAbsolutePath().normalize().toString())))
                        .isEqualTo(REQUESTS);
                double loggedCost = 0;
                for (String line : lines) {
                    loggedCost += JSON.readTree(line).path("ai").path("proxy").path("usage").path("cost").asDouble();
                }
                assertThat(samples.sum("kong_ai_llm_cost_total", kong)).isCloseTo(loggedCost, org.assertj.core.data.Offset.offset(1e-12));
                assertThat(harness.counts("p.java-ai-proxy.rpc_err.")).as("RPC errors Kong's client saw").isEmpty();
            }
        }
    }

    private static Map<String, String> with(Map<String, String> labels, String tokenType) {
        Map<String, String> more = new HashMap<>(labels);
        more.put("token_type", tokenType);
        return more;
    }

    /** Scrapes until java-file-log's log phase has ended {@code count} times (Kong runs it after the response). */
    private static Samples awaitLogPhases(HttpClient http, int port, int count) throws Exception {
        Map<String, String> logDone = Map.of("plugin", "java-file-log", "phase", "log", "outcome", "ok");
        return await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100)).until(() -> {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            return Samples.parse(response.body());
        }, samples -> samples.sum("kong_java_events_total", logDone) >= count);
    }
}
