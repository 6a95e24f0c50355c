package io.kongjava.testing.anthropic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FakeAnthropicTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BODY = """
            {"model":"claude-sonnet-4-5-20250929","max_tokens":64,"messages":[{"role":"user","content":"Say hi"}]}""";
    private static final String STREAM_BODY = BODY.replace("\"max_tokens\":64", "\"max_tokens\":64,\"stream\":true");

    private final HttpClient http = HttpClient.newHttpClient();
    private FakeAnthropic anthropic;

    @BeforeEach
    void start() throws IOException {
        anthropic = FakeAnthropic.start();
    }

    @AfterEach
    void stop() {
        anthropic.close();
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(anthropic.url() + path))
                .header("x-api-key", "sk-test").header("anthropic-version", "2023-06-01")
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aMessageIsAnsweredAsJsonWithTheQueuedUsage() throws Exception {
        anthropic.enqueue(Reply.text("Hi there").usage(Usage.of(12, 3).withCache(100, 50)));

        HttpResponse<String> response = post("/v1/messages?beta=true", BODY);

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode message = JSON.readTree(response.body());
        assertThat(message.path("type").asText()).isEqualTo("message");
        assertThat(message.path("model").asText()).isEqualTo("claude-sonnet-4-5-20250929");
        assertThat(message.path("content").get(0).path("text").asText()).isEqualTo("Hi there");
        assertThat(message.path("usage").path("input_tokens").asLong()).isEqualTo(12);
        assertThat(message.path("usage").path("cache_creation_input_tokens").asLong()).isEqualTo(100);
        assertThat(message.path("usage").path("cache_read_input_tokens").asLong()).isEqualTo(50);
        assertThat(message.path("usage").path("output_tokens").asLong()).isEqualTo(3);
        RecordedRequest seen = anthropic.takeRequest();
        assertThat(seen.target()).isEqualTo("/v1/messages?beta=true");
        assertThat(seen.header("X-Api-Key")).contains("sk-test");
        assertThat(seen.json().path("messages").get(0).path("content").asText()).isEqualTo("Say hi");
    }

    @Test
    void aStreamFollowsAnthropicsEventOrderWithCumulativeUsageInMessageDelta() throws Exception {
        anthropic.enqueue(Reply.text("Hello big world").usage(Usage.of(7, 3)).thenToolUse("toolu_1", "ls", "{\"path\":\"/tmp\"}"));

        HttpResponse<String> response = post("/v1/messages", STREAM_BODY);

        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
        List<String> names = new ArrayList<>();
        Matcher events = Pattern.compile("event: (\\w+)\ndata: (.*)\n\n").matcher(response.body());
        JsonNode messageDelta = null;
        JsonNode messageStart = null;
        StringBuilder toolInput = new StringBuilder();
        while (events.find()) {
            names.add(events.group(1));
            JsonNode data = JSON.readTree(events.group(2));
            assertThat(data.path("type").asText()).isEqualTo(events.group(1));
            switch (events.group(1)) {
                case "message_start" -> messageStart = data;
                case "message_delta" -> messageDelta = data;
                case "content_block_delta" -> toolInput.append(data.path("delta").path("partial_json").asText(""));
                default -> { }
            }
        }
        assertThat(names.getFirst()).isEqualTo("message_start");
        assertThat(names.subList(names.size() - 2, names.size())).containsExactly("message_delta", "message_stop");
        assertThat(names).contains("ping", "content_block_start", "content_block_delta", "content_block_stop");
        assertThat(messageStart.path("message").path("usage").path("input_tokens").asLong()).isEqualTo(7);
        assertThat(messageStart.path("message").path("usage").path("output_tokens").asLong()).isEqualTo(1);
        assertThat(messageDelta.path("usage").path("output_tokens").asLong()).isEqualTo(3);
        assertThat(messageDelta.path("delta").path("stop_reason").asText()).isEqualTo("tool_use");
        assertThat(JSON.readTree(toolInput.toString()).path("path").asText()).isEqualTo("/tmp");
    }

    @Test
    void countTokensAnswersInputTokensOnly() throws Exception {
        HttpResponse<String> response = post("/v1/messages/count_tokens", BODY.replace("\"max_tokens\":64,", ""));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(response.body()).path("input_tokens").asLong()).isPositive();
    }

    @Test
    void whatTheRealApiRejectsGetsAnthropicsErrorBodies() throws Exception {
        HttpResponse<String> noVersion = http.send(HttpRequest.newBuilder(URI.create(anthropic.url() + "/v1/messages"))
                .header("x-api-key", "k").POST(HttpRequest.BodyPublishers.ofString(BODY)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(noVersion.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(noVersion.body()).path("error").path("type").asText()).isEqualTo("invalid_request_error");

        assertThat(post("/v1/messages", "not json").statusCode()).isEqualTo(400);
        assertThat(post("/v1/messages", "{\"model\":\"m\",\"messages\":[]}").body()).contains("max_tokens: Field required");

        anthropic.requireApiKey("sk-real");
        HttpResponse<String> wrongKey = post("/v1/messages", BODY);
        assertThat(wrongKey.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(wrongKey.body()).path("error").path("type").asText()).isEqualTo("authentication_error");
    }

    @Test
    void queuedErrorsCarryTheirStatusAndHeaders() throws Exception {
        anthropic.enqueue(Reply.error(429, "rate_limit_error", "slow down").header("retry-after", "7"));

        HttpResponse<String> response = post("/v1/messages", BODY);

        assertThat(response.statusCode()).isEqualTo(429);
        assertThat(response.headers().firstValue("retry-after")).contains("7");
        assertThat(JSON.readTree(response.body()).path("error").path("message").asText()).isEqualTo("slow down");
    }

    @Test
    void aTruncatedStreamEndsTheConnectionBeforeMessageStop() throws Exception {
        anthropic.enqueue(Reply.text("one two three").truncatedAfterEvents(3));

        assertThatThrownBy(() -> post("/v1/messages", STREAM_BODY)).isInstanceOf(IOException.class);
    }

    @Test
    void aMidStreamErrorEventFollowsA200() throws Exception {
        anthropic.enqueue(Reply.text("one two").errorAfterEvents(2, "overloaded_error", "Overloaded"));

        HttpResponse<String> response = post("/v1/messages", STREAM_BODY);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\"")
                .doesNotContain("message_stop");
    }

    @Test
    void silenceHoldsTheRequestWithoutAnAnswer() throws Exception {
        anthropic.enqueue(Reply.silence(Duration.ofSeconds(5)));
        HttpRequest request = HttpRequest.newBuilder(URI.create(anthropic.url() + "/v1/messages"))
                .header("x-api-key", "k").header("anthropic-version", "2023-06-01").timeout(Duration.ofMillis(300))
                .POST(HttpRequest.BodyPublishers.ofString(BODY)).build();

        assertThatThrownBy(() -> http.send(request, HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(java.net.http.HttpTimeoutException.class);
    }
}
