package io.kongjava.it;

import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kongjava.metrics.Samples;
import io.kongjava.testing.anthropic.Reply;
import io.kongjava.testing.anthropic.Usage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The plugin server's Prometheus endpoint ({@code --metrics-listen}) after the how-to's traffic through the
 * local gateway: the AI series under Kong's names count exactly the requests and tokens sent, the server's own
 * series count its phases, and the Grafana dashboard in kong-config/ asks only for series the endpoint has.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class MetricsHowToTest {

    static final String REAL_KEY = "sk-ant-api03-the-operators-real-key-0123456789";
    static final String MODEL = HowToGateway.PINNED_MODEL;
    static final ObjectMapper JSON = new ObjectMapper();

    HowToGateway howTo;
    OtlpReceiver otlp;
    int metricsPort;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    final List<JsonNode> lines = new ArrayList<>();

    @BeforeAll
    void sendTheHowTosTraffic() throws Exception {
        metricsPort = LocalGatewayScenarios.freePort();
        otlp = new OtlpReceiver();
        howTo = HowToGateway.start(REAL_KEY, "--metrics-listen 127.0.0.1:" + metricsPort + " --otlp-endpoint " + otlp.url());
        howTo.anthropic.enqueue(Reply.text("4").usage(Usage.of(21, 5).withCache(300, 1200)));
        howTo.anthropic.enqueue(Reply.text("four").usage(Usage.of(10, 3)));
        howTo.anthropic.enqueue(Reply.text("one two three").usage(Usage.of(40, 6)).eventDelay(Duration.ofMillis(20)));
        for (boolean stream : new boolean[] {false, false, true}) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(howTo.baseUrl() + "/anything/v1/messages?beta=true"))
                    .header("x-api-key", "sk-dummy-from-claude-code").header("anthropic-version", "2023-06-01")
                    .header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(ClaudeCodeHowToTest.message(MODEL, stream))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            lines.add(howTo.logLine(response.headers().firstValue("x-kong-request-id").orElseThrow()));
        }
    }

    @AfterAll
    void stop() {
        if (howTo != null) {
            howTo.close();
        }
        if (otlp != null) {
            otlp.close();
        }
    }

    Samples scrape() throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
        return Samples.parse(response.body());
    }

    /** Scrapes until {@code name}{labels} reaches {@code expected}: the log phase ends just after its line is written. */
    Samples scrapeUntil(String name, Map<String, String> labels, double expected) throws Exception {
        return await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(this::scrape, samples -> samples.sum(name, labels) >= expected);
    }

    static Map<String, String> kong(String... more) {
        Map<String, String> labels = new HashMap<>(Map.of("ai_provider", "anthropic", "ai_model", MODEL, "cache_status", "",
                "vector_db", "", "embeddings_provider", "", "embeddings_model", "", "workspace", "default"));
        for (int i = 0; i < more.length; i += 2) {
            labels.put(more[i], more[i + 1]);
        }
        return labels;
    }

    @Test
    void theAiSeriesCountTheRequestsAndTokensSent() throws Exception {
        Samples samples = scrape();
        assertThat(samples.sum("kong_ai_llm_requests_total", kong())).isEqualTo(3);
        // Anthropic's input_tokens plus its cache reads and writes, as java-ai-proxy's prompt_tokens counts them.
        assertThat(samples.sum("kong_ai_llm_tokens_total", kong("token_type", "prompt_tokens"))).isEqualTo(21 + 300 + 1200 + 10 + 40);
        assertThat(samples.sum("kong_ai_llm_tokens_total", kong("token_type", "completion_tokens"))).isEqualTo(5 + 3 + 6);
        assertThat(samples.sum("kong_ai_llm_tokens_total", kong("token_type", "total_tokens"))).isEqualTo(1521 + 50 + 14);
        assertThat(samples.sum("kong_ai_llm_tokens_total", kong("token_type", "cached_tokens"))).isEqualTo(1200);
        assertThat(samples.sum("kong_ai_llm_tokens_total", kong("token_type", "cache_creation_tokens"))).isEqualTo(300);
        double loggedCost = lines.stream().mapToDouble(l -> l.path("ai").path("proxy").path("usage").path("cost").asDouble()).sum();
        assertThat(samples.sum("kong_ai_llm_cost_total", kong())).isCloseTo(loggedCost, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(samples.sum("kong_ai_llm_provider_latency_ms_count", kong())).isEqualTo(3);
        double loggedLatency = lines.stream().mapToDouble(l -> l.path("ai").path("proxy").path("meta").path("llm_latency").asDouble()).sum();
        assertThat(samples.sum("kong_ai_llm_provider_latency_ms_sum", kong())).isEqualTo(loggedLatency);
        assertThat(samples.sum("kong_java_ai_llm_time_to_first_token_ms_count", kong())).isEqualTo(3);
        assertThat(samples.sum("kong_java_ai_streams_open", Map.of())).isZero();
        assertThat(samples.sum("kong_java_ai_requests_unmeasured_total", Map.of())).isZero();
        assertThat(samples.sum("kong_java_ai_outcomes_total", Map.of("ai_model", MODEL, "outcome", "complete"))).isEqualTo(3);
    }

    @Test
    void theServersOwnSeriesCountItsPhasesCallsAndLines() throws Exception {
        Map<String, String> fileLogDone = Map.of("plugin", "java-file-log", "phase", "log", "outcome", "ok");
        Samples samples = scrapeUntil("kong_java_events_total", fileLogDone, 3);
        assertThat(samples.sum("kong_java_events_total", Map.of("plugin", "java-ai-proxy", "phase", "access", "outcome", "ok"))).isEqualTo(3);
        assertThat(samples.sum("kong_java_events_total", fileLogDone)).isEqualTo(3);
        assertThat(samples.sum("kong_java_event_duration_seconds_count", Map.of("plugin", "java-ai-proxy", "phase", "access"))).isEqualTo(3);
        // java-ai-proxy reads the request and sets the upstream through Kong in every access phase.
        assertThat(samples.sum("kong_java_pdk_call_duration_seconds_count", Map.of("plugin", "java-ai-proxy", "phase", "access")))
                .isGreaterThanOrEqualTo(3 * 5);
        assertThat(samples.sum("kong_java_instances", Map.of("plugin", "java-ai-proxy"))).isGreaterThanOrEqualTo(1);
        assertThat(samples.sum("kong_java_instance_starts_total", Map.of("plugin", "java-file-log"))).isGreaterThanOrEqualTo(1);
        assertThat(samples.sum("kong_java_errors_total", Map.of())).isZero();
        long written = Files.readAllLines(howTo.logFile).size();
        assertThat(samples.sum("kong_java_file_log_lines_written_total", Map.of("path", howTo.logFile.toAbsolutePath().normalize().toString())))
                .isEqualTo(written).isEqualTo(3);
        assertThat(samples.sum("kong_java_file_log_lines_lost_total", Map.of())).isZero();
        assertThat(samples.sum("jvm_memory_used_bytes", Map.of("area", "heap"))).isPositive();
        assertThat(samples.has("jvm_gc_collection_seconds_count")).isTrue();
    }

    @Test
    void eachAiRequestIsOneGenAiSpanSentOverOtlp() throws Exception {
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> otlp.spans.size() >= 3);
        assertThat(otlp.spans).hasSize(3);
        assertThat(otlp.contentTypes).allSatisfy(type -> assertThat(type).isEqualTo("application/x-protobuf"));
        for (JsonNode line : lines) {
            String requestId = line.path("request").path("id").asText();
            OtlpReceiver.ReceivedSpan span = otlp.spans.stream().filter(s -> requestId.equals(s.attributes().get("kong.request.id")))
                    .findFirst().orElseThrow(() -> new AssertionError("no span for request " + requestId + " in " + otlp.spans));
            JsonNode usage = line.path("ai").path("proxy").path("usage");
            JsonNode meta = line.path("ai").path("proxy").path("meta");
            assertThat(span.name()).isEqualTo("chat " + MODEL);
            assertThat(span.attributes()).containsEntry("gen_ai.operation.name", "chat")
                    .containsEntry("gen_ai.provider.name", "anthropic")
                    .containsEntry("gen_ai.request.model", MODEL)
                    .containsEntry("gen_ai.response.model", meta.path("response_model").asText())
                    .containsEntry("gen_ai.usage.input_tokens", usage.path("prompt_tokens").asLong())
                    .containsEntry("gen_ai.usage.output_tokens", usage.path("completion_tokens").asLong())
                    .containsEntry("gen_ai.response.finish_reasons", List.of("end_turn"))
                    .containsEntry("gen_ai.server.time_to_first_token", usage.path("time_to_first_token").asDouble() / 1000);
        }
    }

    /** Metric names in PromQL expressions: identifiers followed by a selector, a range or a closing parenthesis. */
    static final Pattern METRIC = Pattern.compile("\\b((?:kong_ai_llm|kong_java|jvm|process)_[a-zA-Z0-9_]+)");

    @Test
    void theGrafanaDashboardAsksOnlyForSeriesTheEndpointHas() throws Exception {
        JsonNode dashboard = JSON.readTree(Distribution.repositoryRoot().resolve("kong-config/grafana-dashboard.json").toFile());
        TreeSet<String> asked = new TreeSet<>();
        List<String> expressions = dashboard.findValuesAsText("expr");
        dashboard.findValues("query").forEach(q -> expressions.add(q.isTextual() ? q.asText() : q.path("query").asText()));
        for (String expr : expressions) {
            Matcher m = METRIC.matcher(expr);
            while (m.find()) {
                asked.add(m.group(1));
            }
        }
        assertThat(asked).as("the dashboard's metrics").contains("kong_ai_llm_requests_total", "kong_ai_llm_tokens_total", "kong_ai_llm_cost_total",
                "kong_java_ai_llm_time_to_first_token_ms_bucket", "kong_ai_llm_provider_latency_ms_bucket", "kong_java_errors_total",
                "kong_java_events_total", "kong_java_pdk_call_duration_seconds_bucket", "jvm_memory_used_bytes");
        Samples samples = scrapeUntil("kong_java_events_total", Map.of("plugin", "java-file-log", "phase", "log"), 3);
        assertThat(asked).allSatisfy(name -> assertThat(samples.has(name)).as(name + " on the endpoint").isTrue());
        assertThat(dashboard.path("panels").size()).isGreaterThan(10);
        assertThat(dashboard.path("templating").path("list").findValuesAsText("name")).contains("datasource");
        for (JsonNode panel : dashboard.path("panels")) {
            assertThat(panel.path("title").asText()).isNotBlank();
            assertThat(panel.path("gridPos").path("w").asInt()).isBetween(1, 24);
            if (!panel.path("type").asText().equals("row")) {
                assertThat(panel.path("datasource").path("uid").asText()).as(panel.path("title").asText()).isEqualTo("${datasource}");
                assertThat(panel.path("targets").findValuesAsText("expr")).as(panel.path("title").asText()).isNotEmpty();
            }
        }
    }
}
