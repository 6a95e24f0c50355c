package io.kongjava.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kongjava.testing.anthropic.FakeAnthropic;
import io.kongjava.testing.anthropic.Reply;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

/**
 * java-ai-sanitizer's checks, the same under the local gateway and under Kong's own client: the fake Anthropic
 * API answers with a text holding an Anthropic key, a bearer token split across two stream deltas (the fake
 * splits its text at spaces) and an e-mail address; the client must see none of them, streamed or not, with
 * every SSE event whole and valid, and the log line must count what was redacted.
 */
final class SanitizerScenarios {

    static final String KEY = "sk-ant-api03-" + "k".repeat(40);
    static final String TOKEN = "Bearer " + "t".repeat(32);
    static final String MAIL = "jane.doe@example.org";
    static final String TEXT = "Your key is " + KEY + " and the header is " + TOKEN + " ; write to " + MAIL + " please.";
    static final String REDACTED = "Your key is [REDACTED] and the header is [REDACTED] ; write to [REDACTED] please.";
    static final String BODY = "{\"model\":\"%s\",\"max_tokens\":50,\"stream\":%s,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"show me the secrets\"}]}";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** What a scenario needs of its gateway: where to send, and the log line of a request. */
    interface Gateway {
        String messagesUrl();

        /** The client's key: any for java-ai-proxy (it puts the operator's), the provider's own without it. */
        default String apiKey() {
            return "sk-client";
        }

        JsonNode logLine(String requestId) throws Exception;
    }

    private SanitizerScenarios() {
    }

    static HttpResponse<String> send(Gateway gateway, String model, boolean stream) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(gateway.messagesUrl()))
                .header("content-type", "application/json").header("anthropic-version", "2023-06-01").header("x-api-key", gateway.apiKey())
                .POST(HttpRequest.BodyPublishers.ofString(BODY.formatted(model, stream))).build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** A streamed answer: every event whole and valid JSON, the text redacted, the log line counting 3. */
    static void streamed(Gateway gateway, FakeAnthropic anthropic, String model) throws Exception {
        anthropic.enqueue(Reply.text(TEXT));
        HttpResponse<String> response = send(gateway, model, true);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
        assertThat(response.body()).doesNotContain("sk-ant-").doesNotContain("tttttttt").doesNotContain("jane.doe");
        StringBuilder text = new StringBuilder();
        List<String> types = new ArrayList<>();
        for (String event : response.body().split("\n\n")) {
            String[] lines = event.split("\n");
            assertThat(lines).hasSize(2);
            assertThat(lines[0]).startsWith("event: ");
            assertThat(lines[1]).startsWith("data: ");
            JsonNode data = JSON.readTree(lines[1].substring(6));
            assertThat(data.path("type").asText()).isEqualTo(lines[0].substring(7));
            types.add(data.path("type").asText());
            if (data.path("delta").path("type").asText().equals("text_delta")) {
                text.append(data.path("delta").path("text").asText());
            }
        }
        assertThat(text.toString()).isEqualTo(REDACTED);
        assertThat(types.getFirst()).isEqualTo("message_start");
        assertThat(types.getLast()).isEqualTo("message_stop");
        JsonNode line = gateway.logLine(response.headers().firstValue("x-kong-request-id").orElseThrow());
        assertThat(line.path("ai").path("sanitizer").path("redactions").asInt()).isEqualTo(3);
        assertThat(line.path("relay").path("outcome").asText()).isEqualTo("complete");
        assertThat(line.path("relay").path("filters").get(0).asText()).as("the sanitizer filters first").isEqualTo("java-ai-sanitizer");
        assertThat(line.toString()).doesNotContain(KEY);
    }

    /** A whole answer: the text value redacted, the rest of the message as the provider sent it. */
    static void whole(Gateway gateway, FakeAnthropic anthropic, String model) throws Exception {
        anthropic.enqueue(Reply.text(TEXT));
        HttpResponse<String> response = send(gateway, model, false);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode message = JSON.readTree(response.body());
        assertThat(message.path("content").get(0).path("text").asText()).isEqualTo(REDACTED);
        assertThat(message.path("usage").path("output_tokens").asInt()).isPositive();
        assertThat(response.headers().firstValue("content-length")).hasValue(String.valueOf(response.body().getBytes(
                java.nio.charset.StandardCharsets.UTF_8).length));
        JsonNode line = gateway.logLine(response.headers().firstValue("x-kong-request-id").orElseThrow());
        assertThat(line.path("ai").path("sanitizer").path("redactions").asInt()).isEqualTo(3);
    }
}
