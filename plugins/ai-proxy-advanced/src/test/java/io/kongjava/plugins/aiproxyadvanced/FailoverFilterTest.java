package io.kongjava.plugins.aiproxyadvanced;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kongjava.pdk.exchange.ProcessRequestExchange;
import io.kongjava.pdk.filter.StreamEnd;
import io.kongjava.pdk.testkit.FakeUpstream;
import io.kongjava.pdk.testkit.FilterTester;
import io.kongjava.pdk.testkit.PluginTester;
import io.kongjava.pdk.testkit.TestRequest;
import io.kongjava.pdk.testkit.Upstream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The plugin's real filter, which makes the upstream calls itself, driven by the test kit without Kong: the access
 * phase on the emulated Kong gives the filter, {@link FilterTester#exchange} runs it as the relay would, and two
 * {@link FakeUpstream}s play the targets.
 */
class FailoverFilterTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String REQUEST = "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":64,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    static final List<String> STREAM = List.of(
            "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\","
                    + "\"model\":\"claude-sonnet-4-5\",\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":12,\"output_tokens\":1}}}\n\n",
            "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello\"}}\n\n",
            "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
            "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":7}}\n\n",
            "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");

    FakeUpstream overloaded;
    FakeUpstream working;
    final ProcessRequestExchange exchange = new ProcessRequestExchange(Duration.ofSeconds(5), Duration.ofSeconds(5), System::nanoTime);

    @BeforeEach
    void start() throws Exception {
        overloaded = FakeUpstream.start();
        working = FakeUpstream.start();
    }

    @AfterEach
    void stop() {
        overloaded.close();
        working.close();
    }

    static String target(String url, int weight) {
        return """
                {"weight":%d,"model":{"provider":"anthropic","name":"claude-sonnet-4-5",
                  "options":{"anthropic_version":"2023-06-01","upstream_url":"%s"}},
                 "auth":{"header_name":"x-api-key","header_value":"sk-ant-target-%d"},"logging":{"log_statistics":true}}"""
                .formatted(weight, url, weight);
    }

    /** The overloaded target first (the priority algorithm serves the highest weight first), the working one as its fallback; 503 counts as a failure. */
    String config() {
        return """
                {"llm_format":"anthropic",
                 "balancer":{"algorithm":"priority","failover_criteria":["error","timeout","http_503"]},
                 "targets":[%s,%s]}""".formatted(target(overloaded.url(), 10), target(working.url(), 1));
    }

    FilterTester filterFor(String requestId) throws Exception {
        TestRequest request = TestRequest.post("http://gateway.test/anything/v1/messages", REQUEST)
                .header("content-type", "application/json").header("x-api-key", "sk-client-own").requestId(requestId);
        return PluginTester.of(new AdvancedProxyPlugin()).configJson(config()).exchange(exchange).responseFilter(request)
                .orElseThrow(() -> new AssertionError("the access phase refused the request"));
    }

    @Test
    void aStreamFailsOverFromA503TargetToAWorkingOneWithoutTheClientSeeingTheFailure() throws Exception {
        overloaded.enqueue(Upstream.answer(503, Map.of("content-type", List.of("application/json")),
                "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}"));
        working.enqueue(Upstream.sse(STREAM.toArray(String[]::new)));

        FilterTester.Relayed relayed = filterFor("req-failover")
                .exchange("POST", "http://java-ai-proxy-placeholder.invalid/v1/messages", Map.of(), REQUEST);

        assertThat(relayed.status()).isEqualTo(200);
        assertThat(relayed.headers().get("content-type").getFirst()).startsWith("text/event-stream");
        assertThat(relayed.body()).as("the working target's stream, and nothing of the 503").isEqualTo(String.join("", STREAM))
                .doesNotContain("overloaded_error");
        assertThat(relayed.end()).isEqualTo(new StreamEnd.Completed(200));

        // each target got the checked request with its own key, not the client's
        assertThat(overloaded.takeRequest().header("x-api-key")).isEqualTo("sk-ant-target-10");
        FakeUpstream.Received served = working.takeRequest();
        assertThat(served.path()).isEqualTo("/v1/messages");
        assertThat(served.header("x-api-key")).isEqualTo("sk-ant-target-1");
        assertThat(JSON.readTree(served.body()).path("stream").asBoolean()).isTrue();

        JsonNode line = JSON.valueToTree(exchange.await("req-failover", AdvancedProxyPlugin.AI_KEY, Duration.ofSeconds(5)).orElseThrow());
        JsonNode tried = line.path("proxy").path("tried_targets");
        assertThat(tried).hasSize(2);
        assertThat(tried.get(0).path("status").asInt()).isEqualTo(503);
        assertThat(tried.get(1).path("completion_tokens").asLong()).isEqualTo(7);
        assertThat(line.path("proxy").path("meta").path("outcome").asText()).isEqualTo("complete");
    }

    @Test
    void theLoggedPayloadIsTheAnswerAsItLeftTheFilterChainNotTheProvidersOwnBytes() throws Exception {
        working.enqueue(Upstream.sse(STREAM.toArray(String[]::new)));
        String config = """
                {"llm_format":"anthropic","targets":[%s]}""".formatted(target(working.url(), 1)
                .replace("\"logging\":{\"log_statistics\":true}", "\"logging\":{\"log_statistics\":true,\"log_payloads\":true}"));
        TestRequest request = TestRequest.post("http://gateway.test/anything/v1/messages", REQUEST)
                .header("content-type", "application/json").requestId("req-payload");
        FilterTester filter = PluginTester.of(new AdvancedProxyPlugin()).configJson(config).exchange(exchange).responseFilter(request)
                .orElseThrow();

        FilterTester.Relayed relayed = filter.exchange("POST", "http://java-ai-proxy-placeholder.invalid/v1/messages", Map.of(), REQUEST);

        JsonNode line = JSON.valueToTree(exchange.await("req-payload", AdvancedProxyPlugin.AI_KEY, Duration.ofSeconds(5)).orElseThrow());
        // what a filter before this one in the chain (java-ai-sanitizer's redactions) made of it is what is logged
        assertThat(line.path("proxy").path("payload").path("response").asText()).isEqualTo(relayed.body());
    }

    @Test
    void whenTheLastTargetCannotBeReachedEitherThePluginAnswersKongs502Itself() throws Exception {
        overloaded.enqueue(Upstream.answer(503, Map.of(), "{}"));
        working.enqueue(Upstream.noAnswer());

        FilterTester.Relayed relayed = filterFor("req-both-fail")
                .exchange("POST", "http://java-ai-proxy-placeholder.invalid/v1/messages", Map.of(), REQUEST);

        // The filter wrote the answer (its head and body), so for the relay the exchange completed.
        assertThat(relayed.status()).isEqualTo(502);
        JsonNode page = JSON.readTree(relayed.body());
        assertThat(page.path("message").asText()).isEqualTo("An invalid response was received from the upstream server");
        assertThat(page.path("request_id").asText()).as("Kong's page names the request").isEqualTo("req-both-fail");
        assertThat(relayed.end()).isEqualTo(new StreamEnd.Completed(502));
        JsonNode line = JSON.valueToTree(exchange.await("req-both-fail", AdvancedProxyPlugin.AI_KEY, Duration.ofSeconds(5)).orElseThrow());
        assertThat(line.path("proxy").path("tried_targets")).extracting(target -> target.path("outcome").asText()).hasSize(2);
        assertThat(line.path("proxy").path("meta").path("outcome").asText()).isEqualTo("upstream_unreachable");
        assertThat(line.path("proxy").path("meta").path("served").asBoolean()).isFalse();
    }
}
