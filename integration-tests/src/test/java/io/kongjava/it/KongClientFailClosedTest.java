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
 * java-ai-proxy fails closed under Kong's own plugin-server client (../shared/kong-harness, Kong 3.9.3's Lua, nginx
 * with Kong's default 8k client_body_buffer_size). The Service is the fake Anthropic API itself, so a request Kong
 * proxied without the plugin (Kong fails open) would show up there with the client's key and model.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KongClientFailClosedTest {

    static final String KEY = "sk-ant-api03-operators-key-for-the-kong-client";
    static final String PINNED = HowToGateway.PINNED_MODEL;
    static final ObjectMapper JSON = new ObjectMapper();

    FakeAnthropic anthropic;
    KongHarness kong;
    /** The same, with an upstream_path no URL can be built from: java-ai-proxy's access phase throws for every request. */
    KongHarness broken;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    void start() throws Exception {
        KongHarness.assumeAvailable();
        anthropic = FakeAnthropic.start().requireApiKey(KEY);
        kong = start("");
        broken = start(",\"upstream_path\":\"" + HowToGateway.BROKEN_UPSTREAM_PATH + "\"");
    }

    KongHarness start(String extraOptions) throws Exception {
        String aiProxy = """
                {"route_type":"llm/v1/chat","llm_format":"anthropic","max_request_body_size":524288,
                 "auth":{"header_name":"x-api-key","header_value":"%s"},
                 "model":{"provider":"anthropic","name":"%s","options":{"anthropic_version":"2023-06-01","upstream_url":"%s"%s}},
                 "logging":{"log_statistics":true}}""".formatted(KEY, PINNED, anthropic.url(), extraOptions);
        return KongHarness.start(KongVersion.V3_9_3, List.of(KongHarness.Plugin.of("java-ai-proxy", aiProxy),
                KongHarness.Plugin.of("java-file-log", "{\"path\": \"@RUN_DIR@/claude.json\"}")), anthropic.url(), 1);
    }

    @AfterAll
    void stop() {
        if (kong != null) {
            kong.close();
        }
        if (broken != null) {
            broken.close();
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
        return HttpRequest.newBuilder(URI.create(kong.proxyUrl() + "/v1/messages?beta=true"))
                .header("x-api-key", "sk-the-clients-own-key")
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

    @Test
    void aChunkedBodyOverTheLimitGets413() throws Exception {
        HttpResponse<String> response = send(claudeCode(chunked(message("claude-opus-4-1", "x".repeat(600_000)))).build());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(413);
        assertThat(JSON.readTree(response.body()).path("error").path("type").asText()).isEqualTo("request_too_large");
        assertNothingReachedTheProvider();
        assertThat(kong.nginxErrors()).noneMatch(line -> line.contains("MessagePack"));
    }

    @Test
    void aDeclaredBodyOverTheLimitGets413() throws Exception {
        HttpResponse<String> response = send(claudeCode(HttpRequest.BodyPublishers.ofString(message(PINNED, "x".repeat(600_000)))).build());

        assertThat(response.statusCode()).isEqualTo(413);
        assertNothingReachedTheProvider();
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
    void anExceptionInTheAccessPhaseGetsKongs500AndNothingReachesTheProvider() throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(broken.proxyUrl() + "/v1/messages"))
                .header("x-api-key", "sk-the-clients-own-key").header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(message(PINNED, "hi"))).build());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(500);
        assertThat(JSON.readTree(response.body()).path("message").asText()).isEqualTo("An unexpected error occurred");
        assertNothingReachedTheProvider();
        assertThat(broken.counts("p.java-ai-proxy.rpc_err.")).as("the plugin answered; Kong did not skip it").isEmpty();
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
