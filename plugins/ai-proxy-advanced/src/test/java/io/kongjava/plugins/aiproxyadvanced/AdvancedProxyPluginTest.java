package io.kongjava.plugins.aiproxyadvanced;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kongjava.pdk.InvalidConfigException;
import io.kongjava.pdk.exchange.ProcessRequestExchange;
import io.kongjava.pdk.testkit.PluginTester;
import io.kongjava.pdk.testkit.TestRequest;
import io.kongjava.pdk.testkit.TestRun;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Config refused as Kong words it, and requests refused in the access phase before any target is called. */
class AdvancedProxyPluginTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static final String ANTHROPIC = """
            {"model":{"provider":"anthropic","name":"claude-sonnet-4-5","options":{"anthropic_version":"2023-06-01","upstream_url":"http://127.0.0.1:1"}},
             "auth":{"header_name":"x-api-key","header_value":"sk-ant-secret"}}""";
    static final String BEDROCK = """
            {"model":{"provider":"bedrock","name":"us.anthropic.claude-sonnet-4-5-20250929-v1:0","options":{"bedrock":{"aws_region":"us-east-1"}}}}""";
    static final String VERTEX = """
            {"model":{"provider":"gemini","name":"claude-sonnet-4-5@20250929","options":{"gemini":{"project_id":"p","location_id":"us-east5"}}}}""";

    static String config(String extra, String... targets) {
        return "{\"llm_format\":\"anthropic\",\"model_aliases\":[\"claude-sonnet-4-5\"]" + extra + ",\"targets\":[" + String.join(",", targets) + "]}";
    }

    @Test
    void kongsDefaultsAreFilledIn() throws Exception {
        @SuppressWarnings("unchecked")
        AdvancedConfig config = io.kongjava.pdk.schema.ConfigBinder.bind(AdvancedConfig.class, JSON.readValue(config("", ANTHROPIC), Map.class));
        AdvancedConfig.Balancer balancer = config.balancerOrDefaults();
        assertThat(balancer.algorithm()).isEqualTo(AdvancedConfig.Algorithm.ROUND_ROBIN);
        assertThat(balancer.retries()).isEqualTo(5);
        assertThat(balancer.failoverCriteria()).containsExactly(AdvancedConfig.FailoverCriterion.ERROR, AdvancedConfig.FailoverCriterion.TIMEOUT);
        assertThat(balancer.maxFails()).isZero();
        assertThat(balancer.failTimeout()).isEqualTo(10000);
        assertThat(balancer.hashOnHeader()).isEqualTo("X-Kong-LLM-Request-ID");
        assertThat(config.targets().getFirst().weight()).isEqualTo(100);
    }

    @Test
    void invalidConfigIsRefusedAtStartInstanceWithKongStyleMessages() {
        record Bad(String config, String field, String message) {
        }
        List<Bad> bad = List.of(
                new Bad(config("", ANTHROPIC).replace("\"llm_format\":\"anthropic\"", "\"llm_format\":\"openai\""), "llm_format", "set llm_format to 'anthropic'"),
                new Bad(config(""), "targets", "length must be at least 1"),
                new Bad(config("", ANTHROPIC.replace("\"anthropic_version\":\"2023-06-01\",", "")), "targets.1.@entity",
                        "must set 'model.options.anthropic_version' for anthropic provider"),
                new Bad(config("", ANTHROPIC, BEDROCK.replace("\"bedrock\":{\"aws_region\":\"us-east-1\"}", "\"input_cost\":1")),
                        "targets.2.model.options.bedrock.aws_region", "must set 'model.options.bedrock.aws_region'"),
                new Bad(config("", VERTEX.replace("\"project_id\":\"p\",", "")), "targets.1.model.options.gemini", "project_id"),
                new Bad(config("", ANTHROPIC.replace("\"provider\":\"anthropic\"", "\"provider\":\"openai\"")), "targets[1].model.provider", "expected one of"),
                new Bad(config(",\"balancer\":{\"algorithm\":\"random\"}", ANTHROPIC), "balancer.algorithm", "expected one of: round-robin, lowest-latency"),
                new Bad(config(",\"balancer\":{\"failover_criteria\":[\"error\",\"http_418\"]}", ANTHROPIC), "balancer.failover_criteria", "expected one of"),
                new Bad(config(",\"balancer\":{\"retries\":-1}", ANTHROPIC), "balancer.retries", "between"),
                new Bad(config("", ANTHROPIC.replace("http://127.0.0.1:1", "ftp://x")), "targets.1.model.options.upstream_url", "unsupported scheme"),
                new Bad(config("", ANTHROPIC.replace("\"header_value\":\"sk-ant-secret\"", "\"param_name\":\"k\"")), "targets", "all or none"),
                new Bad(config("", VERTEX.replace("}}}}", "}}},\"auth\":{\"gcp_service_account_json\":\"{\\\"type\\\":\\\"user\\\"}\"}}")),
                        "targets.1.auth.gcp_service_account_json", "service account"));
        for (Bad b : bad) {
            assertThatThrownBy(() -> PluginTester.of(new AdvancedProxyPlugin()).configJson(b.config()))
                    .as(b.config())
                    .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.errors().entrySet())
                            .as(e.errors().toString())
                            .anySatisfy(entry -> {
                                assertThat(entry.getKey().replace("[", ".").replace("]", "")).startsWith(b.field().replace("[", ".").replace("]", ""));
                                assertThat(entry.getValue()).contains(b.message());
                            }));
        }
    }

    TestRun run(String configJson, TestRequest request) throws Exception {
        return PluginTester.of(new AdvancedProxyPlugin((config, http) -> {
            throw new AssertionError("a refused request never reaches the targets");
        })).configJson(configJson).run(request);
    }

    static TestRequest messages(String body) {
        return TestRequest.post("http://gateway.test/anything/v1/messages", body).header("content-type", "application/json");
    }

    @Test
    void requestsAreRefusedBeforeAnyTargetWithAnthropicShapedErrors() throws Exception {
        String config = config("", ANTHROPIC, BEDROCK);
        record Refused(TestRequest request, int status, String message) {
        }
        List<Refused> refused = List.of(
                new Refused(messages("{\"model\":\"claude-opus-5-5\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"), 400,
                        "cannot use own model - must be one of: claude-sonnet-4-5, us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
                new Refused(messages("{\"model\":\"claude-opus-5-5\",\"model\":\"claude-sonnet-4-5\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"), 400,
                        "duplicate key"),
                new Refused(messages("[1,2]"), 400, "doesn't contain valid prompts"),
                new Refused(messages("{\"model\":\"claude-sonnet-4-5\",\"messages\":[]}"), 400, "doesn't contain valid prompts"),
                new Refused(TestRequest.post("http://gateway.test/anything/v1/complete", "{}"), 404, "serves /v1/messages"));
        for (Refused r : refused) {
            TestRun run = run(config, r.request());
            TestRun.Exit exit = run.exit().orElseThrow(() -> new AssertionError("not refused: " + r));
            assertThat(exit.status()).as(r.message()).isEqualTo(r.status());
            JsonNode body = JSON.readTree(exit.body());
            assertThat(body.path("type").asText()).isEqualTo("error");
            assertThat(body.path("error").path("message").asText()).contains(r.message());
        }
    }

    @Test
    void anErrorInTheAccessPhaseFailsClosedWithKongs500() throws Exception {
        ProcessRequestExchange exchange = new ProcessRequestExchange(Duration.ofSeconds(5), Duration.ofSeconds(5), System::nanoTime);
        TestRun run = PluginTester.of(new AdvancedProxyPlugin((config, http) -> {
            throw new IllegalStateException("no credentials");
        })).configJson(config("", ANTHROPIC.replace("\"auth\"", "\"logging\":{\"log_statistics\":true},\"auth\""))).exchange(exchange)
                .run(messages("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
                        .requestId("req-500"));
        TestRun.Exit exit = run.exit().orElseThrow();
        assertThat(exit.status()).isEqualTo(500);
        assertThat(JSON.readTree(exit.body()).path("message").asText()).isEqualTo("An unexpected error occurred");
        assertThat(run.upstream().toString()).doesNotContain("sk-ant-secret");
        // The line says so, and had the block not come, java-file-log's fallback would still name the outcome.
        for (var expected : Map.of(AdvancedProxyPlugin.AI_KEY, "internal_error", AdvancedProxyPlugin.AI_PENDING_KEY, "abandoned").entrySet()) {
            JsonNode block = JSON.valueToTree(exchange.await("req-500", expected.getKey(), Duration.ofSeconds(1)).orElseThrow());
            assertThat(block.path("proxy").path("meta").path("outcome").asText()).as(expected.getKey()).isEqualTo(expected.getValue());
            assertThat(block.path("redact_headers").toString()).contains("x-api-key");
        }
    }
}
