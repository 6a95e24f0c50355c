package io.kongjava.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kongjava.it.KongHarness.KongVersion;
import io.kongjava.testing.anthropic.FakeAnthropic;
import io.kongjava.testing.anthropic.Reply;
import io.kongjava.testing.anthropic.Usage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * java-file-log's line tells the truth under Kong's own plugin-server client (../shared/kong-harness, Kong 3.9.3's
 * Lua), as {@link ClaudeCodeHowToTest} checks on the local gateway: the model asked for, a response model only when a
 * response named one, a time to first token only when a token came, the cost with Anthropic's cache tiers, a
 * count_tokens call with its count in its own field and zero usage, and no relay ticket in the line.
 */
@RequiresKongHarness
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KongClientLogLineTest {

    static final String KEY = "sk-ant-api03-operators-key-for-the-log-line";
    static final String PINNED = HowToGateway.PINNED_MODEL;
    /** java-ai-proxy's relay ticket header, which Kong's serializer sees and the line must not show. */
    static final String TICKET_HEADER = "x-kong-java-relay-ticket";
    static final ObjectMapper JSON = new ObjectMapper();

    FakeAnthropic anthropic;
    KongHarness kong;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /** The Kong whose plugin-server Lua is the client; {@link KongClientLogLineOnKong310Test} runs the same on 3.10. */
    KongVersion version() {
        return KongVersion.V3_9_3;
    }

    @BeforeAll
    void start() throws Exception {
        KongHarness.assumeAvailable();
        anthropic = FakeAnthropic.start().requireApiKey(KEY);
        // kong.yaml's prices (USD per million): input 4, 5-minute cache write 5, 1-hour 8, cache read 0.2, output 20
        String aiProxy = """
                {"route_type":"llm/v1/chat","llm_format":"anthropic","max_request_body_size":524288,
                 "auth":{"header_name":"x-api-key","header_value":"%s"},
                 "model":{"provider":"anthropic","name":"%s","options":{"anthropic_version":"2023-06-01","upstream_url":"%s",
                          "input_cost":4.0,"output_cost":20.0,"cache_write_cost":5.0,"cache_write_1h_cost":8.0,"cache_read_cost":0.2}},
                 "logging":{"log_statistics":true}}""".formatted(KEY, PINNED, anthropic.url());
        kong = KongHarness.start(version(), List.of(KongHarness.Plugin.of("java-ai-proxy", aiProxy),
                KongHarness.Plugin.of("java-file-log", "{\"path\": \"@RUN_DIR@/claude.json\"}")), anthropic.url(), 1);
    }

    @AfterAll
    void stop() {
        if (kong != null) {
            kong.close();
        }
        if (anthropic != null) {
            anthropic.close();
        }
    }

    @BeforeEach
    void forgetEarlierRequests() throws Exception {
        while (anthropic.takeRequest(Duration.ZERO).isPresent()) {
            // drained
        }
    }

    static String message(boolean stream) {
        return "{\"model\":\"" + PINNED + "\",\"max_tokens\":64,\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"What is 2+2?\"}]}";
    }

    HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(kong.proxyUrl() + path))
                .header("x-api-key", "sk-the-clients-own-key").header("anthropic-version", "2023-06-01")
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    JsonNode line(HttpResponse<String> response) throws Exception {
        return KongClientFailClosedTest.logLine(kong, response.headers().firstValue("x-kong-request-id").orElseThrow());
    }

    @Test
    void aMessageIsLoggedWithItsModelsItsFirstTokenAndItsCostWithCacheTiers() throws Exception {
        anthropic.enqueue(Reply.text("4").usage(Usage.of(21, 5).withCache(300, 1200)));

        HttpResponse<String> response = post("/v1/messages?beta=true", message(false));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode line = line(response);
        JsonNode meta = line.path("ai").path("proxy").path("meta");
        JsonNode usage = line.path("ai").path("proxy").path("usage");
        assertThat(meta.path("request_model").asText()).isEqualTo(PINNED);
        assertThat(meta.path("response_model").asText()).isEqualTo(PINNED);
        assertThat(usage.path("prompt_tokens").asLong()).isEqualTo(21 + 300 + 1200);
        assertThat(usage.path("prompt_tokens_details").path("cached_tokens").asLong()).isEqualTo(1200);
        assertThat(usage.path("cost").asDouble()).isCloseTo((21 * 4.0 + 300 * 5.0 + 1200 * 0.2 + 5 * 20.0) / 1e6, within(1e-12));
        assertThat(usage.has("time_to_first_token")).isTrue();
        assertThat(line.path("request").path("headers").has(TICKET_HEADER)).isFalse();
        assertThat(Files.readString(kong.runDir().resolve("claude.json"))).doesNotContain(TICKET_HEADER).doesNotContain(KEY);
    }

    @Test
    void aStreamsFirstTokenComesBeforeItsEnd() throws Exception {
        anthropic.enqueue(Reply.text("one two three four").usage(Usage.of(40, 4)).eventDelay(Duration.ofMillis(100)));

        HttpResponse<String> response = post("/v1/messages", message(true));

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode line = line(response);
        JsonNode meta = line.path("ai").path("proxy").path("meta");
        assertThat(meta.path("request_mode").asText()).isEqualTo("stream");
        assertThat(line.path("ai").path("proxy").path("usage").path("time_to_first_token").asLong())
                .isPositive().isLessThan(meta.path("llm_latency").asLong());
    }

    @Test
    void countTokensConsumesNothingAndLogsTheCountInItsOwnField() throws Exception {
        HttpResponse<String> response = post("/v1/messages/count_tokens",
                "{\"model\":\"" + PINNED + "\",\"messages\":[{\"role\":\"user\",\"content\":\"count me\"}]}");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        long counted = JSON.readTree(response.body()).path("input_tokens").asLong();
        JsonNode proxy = line(response).path("ai").path("proxy");
        assertThat(counted).isPositive();
        assertThat(proxy.path("meta").path("counted_input_tokens").asLong()).isEqualTo(counted);
        assertThat(proxy.path("usage").path("total_tokens").asLong()).isZero();
        assertThat(proxy.path("usage").path("cost").asDouble()).isZero();
        assertThat(proxy.path("usage").has("time_to_first_token")).isFalse();
    }

    @Test
    void anErrorAnswerIsLoggedUnderTheRequestedModelWithNoFirstToken() throws Exception {
        anthropic.enqueue(Reply.error(429, "rate_limit_error", "slow down"));

        HttpResponse<String> response = post("/v1/messages", message(false));

        assertThat(response.statusCode()).isEqualTo(429);
        JsonNode proxy = line(response).path("ai").path("proxy");
        assertThat(proxy.path("meta").path("outcome").asText()).isEqualTo("upstream_error");
        assertThat(proxy.path("meta").path("request_model").asText()).isEqualTo(PINNED);
        // Kong 3.9.3 serialize-analytics.lua: an answer that names no model is logged under the requested one
        assertThat(proxy.path("meta").path("response_model").asText()).isEqualTo(PINNED);
        assertThat(proxy.path("usage").has("time_to_first_token")).isFalse();
    }
}
