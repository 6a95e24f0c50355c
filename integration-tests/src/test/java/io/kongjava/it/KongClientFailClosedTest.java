package io.kongjava.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kongjava.it.KongHarness.KongVersion;
import io.kongjava.testing.anthropic.FakeAnthropic;
import io.kongjava.testing.anthropic.RecordedRequest;
import io.kongjava.testing.anthropic.Reply;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * java-ai-proxy fails closed under Kong's own plugin-server client (../shared/kong-harness, Kong 3.9.3's Lua here, 3.10's
 * in {@link KongClientFailClosedOnKong310Test}, nginx
 * with Kong's default 8k client_body_buffer_size). The Service is the fake Anthropic API itself, so a request Kong
 * proxied without the plugin (Kong fails open) would show up there with the client's key and model. One test per
 * failure mode of the access phase (too large, unreadable, a PDK error, relay not ready, an exception), as
 * {@link LocalGatewayFailClosedTest} has on the local gateway, each checking java-file-log's line too.
 */
@RequiresKongHarness
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KongClientFailClosedTest {

    static final String KEY = "sk-ant-api03-operators-key-for-the-kong-client";
    static final String CLIENT_KEY = "sk-the-clients-own-key";
    static final String PINNED = HowToGateway.PINNED_MODEL;
    static final ObjectMapper JSON = new ObjectMapper();

    FakeAnthropic anthropic;
    KongHarness kong;
    /** The same, with an upstream_path no URL can be built from: java-ai-proxy's access phase throws for every request. */
    KongHarness broken;
    /** The same, with a plugin server whose relay cannot start ({@link HowToGateway#RELAY_CANNOT_START}). */
    KongHarness relayless;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    void start() throws Exception {
        KongHarness.assumeAvailable();
        anthropic = FakeAnthropic.start().requireApiKey(KEY);
        kong = start("", Map.of());
        broken = start(",\"upstream_path\":\"" + HowToGateway.BROKEN_UPSTREAM_PATH + "\"", Map.of());
        relayless = start("", HowToGateway.RELAY_CANNOT_START);
    }

    /** The Kong whose plugin-server Lua is the client; {@link KongClientFailClosedOnKong310Test} runs the same on 3.10. */
    KongVersion version() {
        return KongVersion.V3_9_3;
    }

    KongHarness start(String extraOptions, Map<String, String> serverEnv) throws Exception {
        String aiProxy = """
                {"route_type":"llm/v1/chat","llm_format":"anthropic","max_request_body_size":524288,
                 "auth":{"header_name":"x-api-key","header_value":"%s"},
                 "model":{"provider":"anthropic","name":"%s","options":{"anthropic_version":"2023-06-01","upstream_url":"%s"%s}},
                 "logging":{"log_statistics":true}}""".formatted(KEY, PINNED, anthropic.url(), extraOptions);
        return KongHarness.start(version(), List.of(KongHarness.Plugin.of("java-ai-proxy", aiProxy),
                KongHarness.Plugin.of("java-file-log", "{\"path\": \"@RUN_DIR@/claude.json\"}")), anthropic.url(), 1, serverEnv);
    }

    @AfterAll
    void stop() {
        if (kong != null) {
            kong.close();
        }
        if (broken != null) {
            broken.close();
        }
        if (relayless != null) {
            relayless.close();
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

    static String message(String model, String text) {
        return "{\"model\":\"" + model + "\",\"max_tokens\":64,\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}";
    }

    HttpRequest.Builder claudeCode(HttpRequest.BodyPublisher body) {
        return claudeCode(kong, body);
    }

    HttpRequest.Builder claudeCode(KongHarness harness, HttpRequest.BodyPublisher body) {
        return HttpRequest.newBuilder(URI.create(harness.proxyUrl() + "/v1/messages?beta=true"))
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

    void assertNothingReachedTheProvider() throws Exception {
        assertThat(anthropic.takeRequest(Duration.ofMillis(300))).as("a request reached the provider").isEmpty();
    }

    /** java-file-log's line for the request, in the harness run's claude.json, waiting for Kong's log timer. */
    static JsonNode logLine(KongHarness harness, String requestId) throws Exception {
        Path file = harness.runDir().resolve("claude.json");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            if (Files.exists(file)) {
                for (String line : Files.readAllLines(file)) {
                    JsonNode entry = JSON.readTree(line);
                    if (entry.path("request").path("id").asText().equals(requestId)) {
                        return entry;
                    }
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no log line for request " + requestId + " in " + file);
    }

    /** java-file-log's line: the status the client got, what java-ai-proxy says happened, and no key in clear. */
    static JsonNode assertLogLine(KongHarness harness, String requestId, int status, String outcome, String requestModel) throws Exception {
        JsonNode line = logLine(harness, requestId);
        assertThat(line.path("response").path("status").asInt()).isEqualTo(status);
        JsonNode proxy = line.path("ai").path("proxy");
        assertThat(proxy.path("meta").path("outcome").asText()).as(line.toString()).isEqualTo(outcome);
        assertThat(proxy.path("meta").path("request_model").asText()).isEqualTo(requestModel);
        assertThat(proxy.path("meta").has("upstream_status")).as("no provider answered").isFalse();
        assertThat(proxy.path("usage").path("total_tokens").asLong()).isZero();
        assertThat(line.toString()).doesNotContain(CLIENT_KEY).doesNotContain(KEY);
        return line;
    }

    static List<String> newLines(List<String> lines, int before) {
        return lines.subList(Math.min(before, lines.size()), lines.size());
    }

    static String requestId(HttpResponse<String> response) {
        return response.headers().firstValue("x-kong-request-id").orElseThrow();
    }

    @Test
    void tooLarge_aChunkedBodyOverTheLimitGets413() throws Exception {
        int errorsBefore = kong.nginxErrors().size();
        HttpResponse<String> response = send(claudeCode(chunked(message("claude-opus-4-1", "x".repeat(600_000)))).build());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(413);
        assertThat(JSON.readTree(response.body()).path("error").path("type").asText()).isEqualTo("request_too_large");
        assertNothingReachedTheProvider();
        assertThat(newLines(kong.nginxErrors(), errorsBefore)).as("no Lua error in Kong's bridge").noneMatch(line -> line.contains("MessagePack"));
        assertLogLine(kong, requestId(response), 413, "rejected", "UNSPECIFIED");
    }

    @Test
    void tooLarge_aDeclaredBodyOverTheLimitGets413() throws Exception {
        HttpResponse<String> response = send(claudeCode(HttpRequest.BodyPublishers.ofString(message(PINNED, "x".repeat(600_000)))).build());

        assertThat(response.statusCode()).isEqualTo(413);
        assertNothingReachedTheProvider();
        assertLogLine(kong, requestId(response), 413, "rejected", "UNSPECIFIED");
    }

    @Test
    void aChunkedBodyOverKongsBufferButUnderTheLimitGoesThrough() throws Exception {
        anthropic.enqueue(Reply.text("ok"));
        String body = message(PINNED, "y".repeat(200_000));

        HttpResponse<String> response = send(claudeCode(chunked(body)).build());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        RecordedRequest seen = anthropic.takeRequest();
        assertThat(seen.body()).hasSize(body.length());
        assertThat(seen.header("x-api-key")).hasValue(KEY);
    }

    @Test
    void unreadable_aBodyThatIsNotJsonGets400() throws Exception {
        HttpResponse<String> response = send(claudeCode(HttpRequest.BodyPublishers.ofString("{\"model\":\"claude-opus-4-1\",\"messages\":[")).build());

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode error = JSON.readTree(response.body()).path("error");
        assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.path("message").asText()).isEqualTo("request body must be a JSON object");
        assertNothingReachedTheProvider();
        assertLogLine(kong, requestId(response), 400, "rejected", "UNSPECIFIED");
    }

    @Test
    void pdkError_aSpooledBodyKongCannotReadBackGetsKongs500() throws Exception {
        int errorsBefore = kong.nginxErrors().size();
        SpooledBodyRequest.Answer answer = SpooledBodyRequest.sendWithVanishingSpoolFile(URI.create(kong.proxyUrl()).getPort(), "/v1/messages",
                Map.of("x-api-key", CLIENT_KEY, "anthropic-version", "2023-06-01", "content-type", "application/json"),
                message(PINNED, "z".repeat(100_000)), kong.runDir().resolve("gw/tmp/client_body"));

        assertThat(answer.status()).as(answer.body()).isEqualTo(500);
        assertThat(JSON.readTree(answer.body()).path("message").asText()).isEqualTo("An unexpected error occurred");
        assertNothingReachedTheProvider();
        // Kong's get_raw_body answered nil + "failed to open ...", which Kong's bridge cannot send: a Lua error, Kong's 500
        assertThat(newLines(kong.nginxErrors(), errorsBefore)).anyMatch(line -> line.contains("MessagePack"));
        // Kong answered itself and never told the plugin, whose phase it abandoned
        assertLogLine(kong, answer.header("x-kong-request-id"), 500, "abandoned", "UNSPECIFIED");
    }

    @Test
    void relayNotReady_getsKongs500FromThePlugin() throws Exception {
        HttpResponse<String> response = send(claudeCode(relayless, HttpRequest.BodyPublishers.ofString(message(PINNED, "hi"))).build());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(500);
        JsonNode error = JSON.readTree(response.body());
        assertThat(error.path("message").asText()).isEqualTo("An unexpected error occurred");
        assertThat(error.path("request_id").asText()).as("the plugin's own answer").isEqualTo(requestId(response));
        assertNothingReachedTheProvider();
        assertThat(relayless.counts("p.java-ai-proxy.rpc_err.")).as("the plugin answered; Kong did not skip it").isEmpty();
        assertLogLine(relayless, requestId(response), 500, "internal_error", PINNED);
    }

    @Test
    void exception_inTheAccessPhaseGetsKongs500FromThePlugin() throws Exception {
        HttpResponse<String> response = send(claudeCode(broken, HttpRequest.BodyPublishers.ofString(message(PINNED, "hi"))).build());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(500);
        assertThat(JSON.readTree(response.body()).path("message").asText()).isEqualTo("An unexpected error occurred");
        assertNothingReachedTheProvider();
        assertThat(broken.counts("p.java-ai-proxy.rpc_err.")).as("the plugin answered; Kong did not skip it").isEmpty();
        assertLogLine(broken, requestId(response), 500, "internal_error", "UNSPECIFIED");
    }

    @Test
    void aModelNamedTwiceIsRefused() throws Exception {
        String twice = message(PINNED, "hi").replace("{\"model\":", "{\"model\":\"claude-opus-4-1\",\"model\":");

        HttpResponse<String> response = send(claudeCode(HttpRequest.BodyPublishers.ofString(twice)).build());

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(response.body()).path("error").path("message").asText()).isEqualTo("request body has a duplicate key: model");
        assertNothingReachedTheProvider();
    }

    @Test
    void aBodyThatIsNotAnObjectIsRefused() throws Exception {
        HttpResponse<String> response = send(claudeCode(HttpRequest.BodyPublishers.ofString("[" + message("claude-opus-4-1", "hi") + "]")).build());

        assertThat(response.statusCode()).isEqualTo(400);
        assertNothingReachedTheProvider();
    }

    @Test
    void theClientsCredentialsAreReplaced() throws Exception {
        anthropic.enqueue(Reply.text("4"));

        HttpResponse<String> response = send(claudeCode(HttpRequest.BodyPublishers.ofString(message(PINNED, "2+2?")))
                .header("authorization", "Bearer sk-ant-oat01-the-clients-oauth-token").build());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        RecordedRequest seen = anthropic.takeRequest();
        assertThat(seen.header("x-api-key")).hasValue(KEY);
        assertThat(seen.header("authorization")).isEmpty();
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.path("content").get(0).path("text").asText()).isEqualTo("4");
    }
}
