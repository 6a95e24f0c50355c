package io.kongjava.plugins.aiproxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kongjava.pdk.schema.ConfigBinder;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** What the log line says, and what it leaves out when there is nothing true to say. */
class AnalyticsTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @SuppressWarnings("unchecked")
    static ProxyCall call(ProxyCall.Endpoint endpoint, String asked, boolean stream) throws Exception {
        AiProxyConfig config = ConfigBinder.bind(AiProxyConfig.class, JSON.readValue("""
                {"route_type":"llm/v1/chat","llm_format":"anthropic",
                 "model":{"provider":"anthropic","name":"claude-opus-5-5","options":{"anthropic_version":"2023-06-01","input_cost":4.0}},
                 "logging":{"log_statistics":true}}""", Map.class));
        return new ProxyCall("r1", "p1", config, endpoint, asked, "claude-opus-5-5", stream, false,
                URI.create("http://127.0.0.1:9/v1/messages"), new byte[0], System.nanoTime(),
                new CompletableFuture<>());
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> part(Map<String, Object> block, String name) {
        return (Map<String, Object>) ((Map<String, Object>) block.get("proxy")).get(name);
    }

    @Test
    void aStreamThatEndedBeforeAnyTokenHasNoTimeToFirstTokenAndItsResponseModelIsTheOneAskedFor() throws Exception {
        Meter meter = new Meter(System.nanoTime(), 0);
        meter.end();

        Map<String, Object> block = Analytics.block(call(ProxyCall.Endpoint.MESSAGES, null, true), meter, Outcome.TRUNCATED, 200, null);

        assertThat(part(block, "usage")).doesNotContainKey("time_to_first_token");
        // the body named no model: Kong logs the effective (pinned) model it sent upstream, as request and response model
        assertThat(part(block, "meta")).containsEntry("response_model", "claude-opus-5-5").containsEntry("request_model", "claude-opus-5-5");

        Map<String, Object> refused = Analytics.block(call(ProxyCall.Endpoint.MESSAGES, null, true), meter, Outcome.UPSTREAM_UNREACHABLE, 0, null);
        assertThat(part(refused, "meta")).as("no answer, no response model").doesNotContainKey("response_model");
        Map<String, Object> leftEarly = Analytics.block(call(ProxyCall.Endpoint.MESSAGES, null, true), meter, Outcome.CLIENT_DISCONNECTED, 0, null);
        assertThat(part(leftEarly, "meta")).as("the client left before any answer").doesNotContainKey("response_model");
        Map<String, Object> leftMidStream = Analytics.block(call(ProxyCall.Endpoint.MESSAGES, null, true), meter, Outcome.CLIENT_DISCONNECTED, 200, null);
        assertThat(part(leftMidStream, "meta")).containsEntry("response_model", "claude-opus-5-5");
    }

    @Test
    void aStreamedTokenIsTimedAndTheClientsModelIsTheRequestModel() throws Exception {
        long start = System.nanoTime();
        Meter meter = new Meter(start, 0);
        meter.responseModel("claude-opus-5-5-20260922");
        Thread.sleep(20);
        meter.token("Hi");
        Thread.sleep(20);
        meter.end();

        Map<String, Object> block = Analytics.block(call(ProxyCall.Endpoint.MESSAGES, "claude-opus-5-5", true), meter, Outcome.COMPLETE, 200, null);

        assertThat((Long) part(block, "usage").get("time_to_first_token")).isBetween(20L, meter.latencyMillis() - 1);
        assertThat(part(block, "meta")).containsEntry("request_model", "claude-opus-5-5").containsEntry("response_model", "claude-opus-5-5-20260922");
    }

    @Test
    void aCountConsumesNothing() throws Exception {
        Meter meter = new Meter(System.nanoTime(), 0);
        meter.counted(42);
        meter.end();

        Map<String, Object> block = Analytics.block(call(ProxyCall.Endpoint.COUNT_TOKENS, "claude-opus-5-5", false), meter, Outcome.COMPLETE, 200, null);

        assertThat(part(block, "usage")).containsEntry("prompt_tokens", 0L).containsEntry("total_tokens", 0L).containsEntry("cost", 0.0)
                .doesNotContainKey("time_to_first_token");
        assertThat(part(block, "meta")).containsEntry("counted_input_tokens", 42L);
        assertThat(block.get("drop_headers")).isEqualTo(java.util.List.of(io.kongjava.relay.ResponseRelay.TICKET_HEADER));
    }
}
