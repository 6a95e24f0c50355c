package io.kongjava.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * java-ai-proxy fails closed on the local gateway with the shipped kong.conf and kong.yaml ({@link HowToGateway}, Kong's
 * default 8 KiB client_body_buffer_size), one test per failure mode of its access phase: a body too large (chunked),
 * a body it cannot read, a PDK call Kong answers with an error, a relay that is not ready, an exception. Each checks
 * the client's answer, that the fake provider (also the Service, so a fail-open would show there) got nothing, and
 * java-file-log's line for the request. {@link KongClientFailClosedTest} does the same under Kong's own client.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LocalGatewayFailClosedTest {

    static final String REAL_KEY = "sk-ant-api03-the-operators-key-for-fail-closed";
    static final String CLIENT_KEY = "sk-the-clients-own-key-fail-closed";
    static final String PINNED = HowToGateway.PINNED_MODEL;
    static final ObjectMapper JSON = new ObjectMapper();

    HowToGateway howTo;
    /** The same gateway and config, with a plugin server whose relay cannot start ({@link HowToGateway#RELAY_CANNOT_START}). */
    HowToGateway relayless;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    void start() throws Exception {
        howTo = HowToGateway.start(REAL_KEY);
        relayless = HowToGateway.start(REAL_KEY, "", HowToGateway.RELAY_CANNOT_START);
    }

    @AfterAll
    void stop() {
        if (howTo != null) {
            howTo.close();
        }
        if (relayless != null) {
            relayless.close();
        }
    }

    @BeforeEach
    void forgetEarlierRequests() throws Exception {
        for (HowToGateway gateway : new HowToGateway[] {howTo, relayless}) {
            while (gateway.anthropic.takeRequest(Duration.ZERO).isPresent()) {
                // drained
            }
        }
    }

    static String message(String model, String text) {
        return "{\"model\":\"" + model + "\",\"max_tokens\":64,\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}";
    }

    HttpRequest.Builder claudeCode(HowToGateway gateway, String path, HttpRequest.BodyPublisher body) {
        return HttpRequest.newBuilder(URI.create(gateway.baseUrl() + path))
                .header("x-api-key", CLIENT_KEY)
                .header("anthropic-version", "2023-06-01")
                .header("content-type", "application/json")
                .POST(body);
    }

    static HttpRequest.BodyPublisher chunked(String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes));
    }

    HttpResponse<String> send(HttpRequest request) throws Exception {
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    static void assertNothingReachedTheProvider(HowToGateway gateway) throws Exception {
        assertThat(gateway.anthropic.takeRequest(Duration.ofMillis(300))).as("a request reached the provider").isEmpty();
    }

    /** java-file-log's line: the status the client got, what java-ai-proxy says happened, and no client key in clear. */
    static JsonNode assertLogLine(HowToGateway gateway, String requestId, int status, String outcome, String requestModel) throws Exception {
        JsonNode line = gateway.logLine(requestId);
        assertThat(line.path("response").path("status").asInt()).isEqualTo(status);
        JsonNode proxy = line.path("ai").path("proxy");
        assertThat(proxy.path("meta").path("outcome").asText()).as(line.toString()).isEqualTo(outcome);
        assertThat(proxy.path("meta").path("request_model").asText()).isEqualTo(requestModel);
        assertThat(proxy.path("meta").has("upstream_status")).as("no provider answered").isFalse();
        assertThat(proxy.path("usage").path("total_tokens").asLong()).isZero();
        assertThat(line.toString()).doesNotContain(CLIENT_KEY).doesNotContain(REAL_KEY);
        return line;
    }

    static String requestId(HttpResponse<String> response) {
        return response.headers().firstValue("x-kong-request-id").orElseThrow();
    }

    @Test
    void tooLarge_aChunkedBodyOverTheLimitGets413() throws Exception {
        HttpResponse<String> response = send(claudeCode(howTo, "/anything/v1/messages",
                chunked(message("claude-opus-4-1", "x".repeat(11_000_000)))).build());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(413);
        assertThat(JSON.readTree(response.body()).path("error").path("type").asText()).isEqualTo("request_too_large");
        assertNothingReachedTheProvider(howTo);
        // refused from the declared size or the bytes read, before the body was parsed: the model is not known
        assertLogLine(howTo, requestId(response), 413, "rejected", "UNSPECIFIED");
    }

    @Test
    void tooLarge_aDeclaredBodyOverTheLimitGets413() throws Exception {
        HttpResponse<String> response = send(claudeCode(howTo, "/anything/v1/messages",
                HttpRequest.BodyPublishers.ofString(message(PINNED, "x".repeat(11_000_000)))).build());

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(JSON.readTree(response.body()).path("error").path("type").asText()).isEqualTo("request_too_large");
        assertNothingReachedTheProvider(howTo);
        assertLogLine(howTo, requestId(response), 413, "rejected", "UNSPECIFIED");
    }

    @Test
    void unreadable_aBodyThatIsNotJsonGets400() throws Exception {
        HttpResponse<String> response = send(claudeCode(howTo, "/anything/v1/messages",
                HttpRequest.BodyPublishers.ofString("{\"model\":\"claude-opus-4-1\",\"messages\":[")).build());

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode error = JSON.readTree(response.body()).path("error");
        assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.path("message").asText()).isEqualTo("request body must be a JSON object");
        assertNothingReachedTheProvider(howTo);
        assertLogLine(howTo, requestId(response), 400, "rejected", "UNSPECIFIED");
    }

    @Test
    void pdkError_aSpooledBodyKongCannotReadBackGetsKongs500() throws Exception {
        SpooledBodyRequest.Answer answer = SpooledBodyRequest.sendWithVanishingSpoolFile(howTo.proxyPort, "/anything/v1/messages",
                Map.of("x-api-key", CLIENT_KEY, "anthropic-version", "2023-06-01", "content-type", "application/json"),
                message(PINNED, "z".repeat(100_000)), howTo.prefix.resolve("client_body_temp"));

        assertThat(answer.status()).as(answer.body()).isEqualTo(500);
        assertThat(JSON.readTree(answer.body()).path("message").asText()).isEqualTo("An unexpected error occurred");
        assertNothingReachedTheProvider(howTo);
        // Kong's get_raw_body raised and Kong answered 500 itself. Over the socket Kong never tells the plugin, whose
        // phase it abandons ("abandoned": KongClientFailClosedTest); in process (gateway.sh) the plugin hears of it at
        // once, as a PdkException, and its log block says its access phase failed
        assertLogLine(howTo, answer.header("x-kong-request-id"), 500, "internal_error", "UNSPECIFIED");
    }

    @Test
    void relayNotReady_getsKongs500FromThePlugin() throws Exception {
        HttpResponse<String> response = send(claudeCode(relayless, "/anything/v1/messages",
                HttpRequest.BodyPublishers.ofString(message(PINNED, "hi"))).build());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(500);
        JsonNode error = JSON.readTree(response.body());
        assertThat(error.path("message").asText()).isEqualTo("An unexpected error occurred");
        assertThat(error.path("request_id").asText()).as("the plugin's own answer").isEqualTo(requestId(response));
        assertNothingReachedTheProvider(relayless);
        assertLogLine(relayless, requestId(response), 500, "internal_error", PINNED);
    }

    @Test
    void exception_inTheAccessPhaseGetsKongs500FromThePlugin() throws Exception {
        HttpResponse<String> response = send(claudeCode(howTo, "/broken/v1/messages",
                HttpRequest.BodyPublishers.ofString(message(PINNED, "hi"))).build());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(500);
        JsonNode error = JSON.readTree(response.body());
        assertThat(error.path("message").asText()).isEqualTo("An unexpected error occurred");
        assertThat(error.path("request_id").asText()).isEqualTo(requestId(response));
        assertNothingReachedTheProvider(howTo);
        assertLogLine(howTo, requestId(response), 500, "internal_error", "UNSPECIFIED");
    }
}
