package io.kongjava.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kongjava.pdk.exchange.ProcessRequestExchange;
import io.kongjava.testing.anthropic.FakeAnthropic;
import io.kongjava.testing.anthropic.RecordedRequest;
import io.kongjava.testing.anthropic.Reply;
import io.kongjava.testing.anthropic.Usage;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/** The how-to's traffic, request by request, through {@link HowToGateway}: what Claude Code sends and what can go wrong. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClaudeCodeHowToTest {

    static final String REAL_KEY = "sk-ant-api03-the-operators-real-key-0123456789";
    static final String PINNED_MODEL = HowToGateway.PINNED_MODEL;
    static final ObjectMapper JSON = new ObjectMapper();

    HowToGateway howTo;
    FakeAnthropic anthropic;
    Path logFile;
    int proxyPort;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    void startTheHowTo() throws Exception {
        howTo = HowToGateway.start(REAL_KEY);
        anthropic = howTo.anthropic;
        logFile = howTo.logFile;
        proxyPort = howTo.proxyPort;
    }

    @AfterAll
    void stop() {
        if (howTo != null) {
            howTo.close();
        }
    }

    @BeforeEach
    void forgetEarlierRequests() throws Exception {
        while (anthropic.takeRequest(Duration.ZERO).isPresent()) {
            // drained
        }
    }

    HttpResponse<String> post(String path, String body, String contentType) throws Exception {
        return http.send(claudeCodeRequest(path, body, contentType).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpRequest.Builder claudeCodeRequest(String path, String body, String contentType) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxyPort + path))
                .header("x-api-key", "sk-dummy-from-claude-code")
                .header("anthropic-version", "2023-06-01")
                .header("anthropic-beta", "claude-code-20250219,interleaved-thinking-2025-05-14")
                .header("content-type", contentType)
                .header("user-agent", "claude-cli/2.0.0 (external, cli)")
                .POST(HttpRequest.BodyPublishers.ofString(body));
    }

    static String message(String model, boolean stream) {
        return """
                {"model":"%s","max_tokens":1024,"stream":%s,"system":[{"type":"text","text":"You are Claude Code.","cache_control":{"type":"ephemeral"}}],
                 "messages":[{"role":"user","content":"What is 2+2?"}],
                 "tools":[{"name":"Bash","description":"Run a command","input_schema":{"type":"object","properties":{"command":{"type":"string"}}}}]}"""
                .formatted(model, stream);
    }

    JsonNode logLine(String requestId) throws Exception {
        return howTo.logLine(requestId);
    }

    @Test
    void aMessageReachesAnthropicWithTheOperatorsKeyAndIsLoggedWithExactUsage() throws Exception {
        anthropic.enqueue(Reply.text("4").usage(Usage.of(21, 5).withCache(300, 1200)));

        HttpResponse<String> response = post("/anything/v1/messages?beta=true", message(PINNED_MODEL, false), "application/json");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(response.body()).path("content").get(0).path("text").asText()).isEqualTo("4");
        assertThat(response.headers().firstValue("x-kong-llm-model")).hasValue("anthropic/" + PINNED_MODEL);
        RecordedRequest upstream = anthropic.takeRequest();
        assertThat(upstream.target()).isEqualTo("/v1/messages?beta=true");
        assertThat(upstream.header("x-api-key")).hasValue(REAL_KEY);
        assertThat(upstream.header("anthropic-version")).hasValue("2023-06-01");
        assertThat(upstream.header("anthropic-beta")).hasValue("claude-code-20250219,interleaved-thinking-2025-05-14");
        assertThat(upstream.header("x-kong-java-relay-ticket")).isEmpty();
        assertThat(upstream.json()).isEqualTo(JSON.readTree(message(PINNED_MODEL, false)));

        JsonNode line = logLine(response.headers().firstValue("x-kong-request-id").orElseThrow());
        JsonNode usage = line.path("ai").path("proxy").path("usage");
        assertThat(usage.path("prompt_tokens").asLong()).isEqualTo(21 + 300 + 1200);
        assertThat(usage.path("completion_tokens").asLong()).isEqualTo(5);
        assertThat(usage.path("total_tokens").asLong()).isEqualTo(1526);
        assertThat(usage.path("prompt_tokens_details").path("cached_tokens").asLong()).isEqualTo(1200);
        // kong.yaml's prices for claude-opus-5-5 (USD per million): input 4, 5-minute cache write 5, cache read 0.2, output 20
        assertThat(usage.path("cost").asDouble()).isCloseTo((21 * 4.0 + 300 * 5.0 + 1200 * 0.2 + 5 * 20.0) / 1e6, within(1e-12));
        JsonNode meta = line.path("ai").path("proxy").path("meta");
        assertThat(meta.path("provider_name").asText()).isEqualTo("anthropic");
        assertThat(meta.path("request_model").asText()).isEqualTo(PINNED_MODEL);
        assertThat(meta.path("response_model").asText()).isEqualTo(PINNED_MODEL);
        assertThat(meta.path("request_mode").asText()).isEqualTo("oneshot");
        assertThat(meta.path("llm_latency").asLong()).isEqualTo(usage.path("time_to_first_token").asLong());
        assertThat(usage.path("time_per_token").asDouble()).isEqualTo(meta.path("llm_latency").asDouble() / 5);
        assertThat(line.path("response").path("status").asInt()).isEqualTo(200);
        assertThat(line.path("request").path("uri").asText()).isEqualTo("/anything/v1/messages?beta=true");
        assertThat(line.path("latencies").properties()).as("whole milliseconds, as Kong's").allSatisfy(latency ->
                assertThat(latency.getValue().isIntegralNumber()).as(latency.getKey()).isTrue());
        assertThat(line.path("route").path("created_at").isIntegralNumber()).as("DB-less Kong fills it in").isTrue();
        assertThat(line.path("service").path("updated_at").isIntegralNumber()).isTrue();
        assertThat(line.path("request").path("headers").path("x-api-key").asText()).isNotEqualTo("sk-dummy-from-claude-code");
        assertThat(line.path("request").path("headers").has("x-kong-java-relay-ticket")).as("the ticket, not even as REDACTED").isFalse();
        assertThat(Files.readString(logFile)).doesNotContain("x-kong-java-relay-ticket");
        assertThat(Files.readString(logFile)).doesNotContain(REAL_KEY);
    }

    @Test
    void onceARequestIsLoggedTheGatewayForgetsWhatItsPluginsExchanged() throws Exception {
        List<String> published = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (AutoCloseable watching = ProcessRequestExchange.shared().observe(new ProcessRequestExchange.Observer() {
            @Override
            public void published(String requestId, String key) {
                published.add(requestId + " " + key);
            }

            @Override
            public void completed(String requestId, String key, Object value) {
            }
        })) {
            anthropic.enqueue(Reply.text("4").usage(Usage.of(21, 5)));

            HttpResponse<String> response = post("/anything/v1/messages", message(PINNED_MODEL, false), "application/json");
            String requestId = response.headers().firstValue("x-kong-request-id").orElseThrow();
            logLine(requestId);

            List<String> keys = published.stream().filter(p -> p.startsWith(requestId + " ")).map(p -> p.substring(requestId.length() + 1)).toList();
            assertThat(keys).contains("ai", "relay");
            // Left to expire, each would stay a second after java-file-log read it; the gateway knows its log phases ended.
            await().atMost(Duration.ofMillis(500)).untilAsserted(() -> assertThat(keys)
                    .allSatisfy(key -> assertThat(ProcessRequestExchange.shared().lookup(requestId, key)).as(key).isEmpty()));
        }
    }

    @Test
    void aStreamArrivesEventByEventAndItsTokensAreCountedOnce() throws Exception {
        anthropic.enqueue(Reply.text("one two three four five six").usage(Usage.of(40, 6)).eventDelay(Duration.ofMillis(150)));

        long sent = System.nanoTime();
        HttpResponse<InputStream> response = http.send(claudeCodeRequest("/anything/v1/messages?beta=true", message(PINNED_MODEL, true),
                "application/json").build(), HttpResponse.BodyHandlers.ofInputStream());
        List<String> events = new ArrayList<>();
        long firstEventMillis = -1;
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            for (String l = reader.readLine(); l != null; l = reader.readLine()) {
                if (l.startsWith("event: ")) {
                    if (firstEventMillis < 0) {
                        firstEventMillis = (System.nanoTime() - sent) / 1_000_000;
                    }
                    events.add(l.substring(7));
                }
            }
        }
        long lastEventMillis = (System.nanoTime() - sent) / 1_000_000;

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
        assertThat(events.getFirst()).isEqualTo("message_start");
        assertThat(events.getLast()).isEqualTo("message_stop");
        // 15 events 150 ms apart: buffering would deliver the first one together with the last.
        assertThat(lastEventMillis - firstEventMillis).isGreaterThan(1000);

        JsonNode line = logLine(response.headers().firstValue("x-kong-request-id").orElseThrow());
        JsonNode usage = line.path("ai").path("proxy").path("usage");
        assertThat(usage.path("prompt_tokens").asLong()).isEqualTo(40);
        assertThat(usage.path("completion_tokens").asLong()).as("message_start's provisional count is not added").isEqualTo(6);
        JsonNode meta = line.path("ai").path("proxy").path("meta");
        assertThat(meta.path("request_mode").asText()).isEqualTo("stream");
        assertThat(meta.path("outcome").asText()).isEqualTo("complete");
        assertThat(usage.path("time_to_first_token").asLong()).isPositive().isLessThan(meta.path("llm_latency").asLong());
    }

    @Test
    void countTokensGoesToItsOwnEndpointAndIsNotBilled() throws Exception {
        String body = "{\"model\":\"" + PINNED_MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"count me\"}]}";

        HttpResponse<String> response = post("/anything/v1/messages/count_tokens?beta=true", body, "application/json");

        assertThat(response.statusCode()).isEqualTo(200);
        long counted = JSON.readTree(response.body()).path("input_tokens").asLong();
        assertThat(anthropic.takeRequest().target()).isEqualTo("/v1/messages/count_tokens?beta=true");
        JsonNode proxy = logLine(response.headers().firstValue("x-kong-request-id").orElseThrow()).path("ai").path("proxy");
        JsonNode usage = proxy.path("usage");
        assertThat(counted).isPositive();
        assertThat(proxy.path("meta").path("counted_input_tokens").asLong()).as("the count, in its own field").isEqualTo(counted);
        assertThat(usage.path("prompt_tokens").asLong()).as("a count consumes nothing").isZero();
        assertThat(usage.path("total_tokens").asLong()).isZero();
        assertThat(usage.path("completion_tokens").asLong()).isZero();
        assertThat(usage.path("cost").asDouble()).isZero();
        assertThat(usage.has("time_to_first_token")).as("no token came").isFalse();
    }

    @Test
    void theModelIsPinnedWhateverTheContentTypeSays() throws Exception {
        for (String contentType : List.of("application/json", "text/plain", "application/x-www-form-urlencoded")) {
            HttpResponse<String> response = post("/anything/v1/messages", message("claude-opus-4-1", false), contentType);

            assertThat(response.statusCode()).as(contentType).isEqualTo(400);
            assertThat(JSON.readTree(response.body()).path("error").path("message").asText())
                    .isEqualTo("cannot use own model - must be: " + PINNED_MODEL);
            JsonNode meta = logLine(response.headers().firstValue("x-kong-request-id").orElseThrow()).path("ai").path("proxy").path("meta");
            assertThat(meta.path("request_model").asText()).as("Kong's, for a refusal: never a client's name (a metrics label)")
                    .isEqualTo("UNSPECIFIED");
            assertThat(meta.path("client_model").asText()).as("what the client asked for").isEqualTo("claude-opus-4-1");
        }
        HttpResponse<String> garbage = post("/anything/v1/messages", "model=claude-opus-4-1", "application/x-www-form-urlencoded");
        assertThat(garbage.statusCode()).isEqualTo(400);
        assertThat(anthropic.takeRequest(Duration.ofMillis(300))).isEmpty();
    }

    @Test
    void aBodyNamingTheModelTwiceIsRefusedAndNothingReachesTheProvider() throws Exception {
        String twice = message(PINNED_MODEL, false).replace("{\"model\":", "{\"model\":\"claude-opus-4-1\",\"model\":");

        HttpResponse<String> response = post("/anything/v1/messages", twice, "application/json");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(response.body()).path("error").path("message").asText()).isEqualTo("request body has a duplicate key: model");
        assertThat(anthropic.takeRequest(Duration.ofMillis(300))).isEmpty();
    }

    @Test
    void theClientsBearerTokenIsNotForwardedNextToTheOperatorsKey() throws Exception {
        anthropic.enqueue(Reply.text("4"));
        HttpRequest request = claudeCodeRequest("/anything/v1/messages", message(PINNED_MODEL, false), "application/json")
                .header("authorization", "Bearer sk-ant-oat01-the-clients-own-token").build();

        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        RecordedRequest upstream = anthropic.takeRequest();
        assertThat(upstream.header("x-api-key")).hasValue(REAL_KEY);
        assertThat(upstream.header("authorization")).isEmpty();
    }

    @Test
    void aClaudeCodeSizedBodyOverKongs8KiBBufferGoesThrough() throws Exception {
        String big = message(PINNED_MODEL, false).replace("What is 2+2?", "y".repeat(200_000));

        HttpResponse<String> response = post("/anything/v1/messages", big, "application/json");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(anthropic.takeRequest().body().length).isEqualTo(big.getBytes(StandardCharsets.UTF_8).length);
    }

    @Test
    void anthropicsErrorsReachTheClientUnchangedAndAreLogged() throws Exception {
        anthropic.enqueue(Reply.error(429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit")
                .header("retry-after", "17"));

        HttpResponse<String> response = post("/anything/v1/messages", message(PINNED_MODEL, false), "application/json");

        assertThat(response.statusCode()).isEqualTo(429);
        assertThat(response.headers().firstValue("retry-after")).hasValue("17");
        assertThat(JSON.readTree(response.body()).path("error").path("type").asText()).isEqualTo("rate_limit_error");
        JsonNode proxy = logLine(response.headers().firstValue("x-kong-request-id").orElseThrow()).path("ai").path("proxy");
        JsonNode meta = proxy.path("meta");
        assertThat(meta.path("outcome").asText()).isEqualTo("upstream_error");
        assertThat(meta.path("upstream_status").asInt()).isEqualTo(429);
        assertThat(meta.path("request_model").asText()).isEqualTo(PINNED_MODEL);
        assertThat(meta.path("response_model").asText()).as("no answer named a model: Kong logs the requested one").isEqualTo(PINNED_MODEL);
        assertThat(proxy.path("usage").has("time_to_first_token")).as("no token came").isFalse();
    }

    @Test
    void aStreamThatBreaksOffIsBrokenOffAfterItsLastWholeEventAndIsLoggedAsTruncated() throws Exception {
        anthropic.enqueue(Reply.text("one two three four").usage(Usage.of(9, 4)).truncatedAfterEvents(5));

        HttpResponse<java.io.InputStream> response = http.send(claudeCodeRequest("/anything/v1/messages", message(PINNED_MODEL, true),
                "application/json").build(), HttpResponse.BodyHandlers.ofInputStream());

        assertThat(response.statusCode()).isEqualTo(200);
        // the whole events, then no proper end of the answer: as nginx leaves an upstream's broken answer, and Claude
        // Code retries it as a dropped connection (an added error event made it give up streaming for the turn)
        java.io.ByteArrayOutputStream received = new java.io.ByteArrayOutputStream();
        try (java.io.InputStream body = response.body()) {
            assertThatThrownBy(() -> body.transferTo(received)).isInstanceOf(java.io.IOException.class);
        }
        assertThat(received.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("event: message_start").doesNotContain("event: message_stop")
                .doesNotContain("drops here").doesNotContain("event: error").endsWith("\n\n");
        JsonNode proxy = logLine(response.headers().firstValue("x-kong-request-id").orElseThrow()).path("ai").path("proxy");
        assertThat(proxy.path("meta").path("outcome").asText()).isEqualTo("truncated");
        assertThat(proxy.path("usage").path("prompt_tokens").asLong()).isEqualTo(9);
    }

    @Test
    void aDeadProviderGetsKongs502AndTheKeyAppearsNowhere() throws Exception {
        HttpResponse<String> response = post("/dead/v1/messages", message(PINNED_MODEL, false), "application/json");

        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(JSON.readTree(response.body()).path("message").asText()).isEqualTo("An invalid response was received from the upstream server");
        assertThat(response.body()).doesNotContain(REAL_KEY);
        JsonNode meta = logLine(response.headers().firstValue("x-kong-request-id").orElseThrow()).path("ai").path("proxy").path("meta");
        assertThat(meta.path("outcome").asText()).isEqualTo("upstream_unreachable");
        assertThat(Files.readString(logFile)).doesNotContain(REAL_KEY);
    }

    @Test
    void aSilentProviderIsGivenUpAfterTheServicesReadTimeoutWithKongs504() throws Exception {
        anthropic.enqueue(Reply.silence(Duration.ofSeconds(20)));

        long sent = System.nanoTime();
        HttpResponse<String> response = post("/slow/v1/messages", message(PINNED_MODEL, false), "application/json");
        long tookMillis = (System.nanoTime() - sent) / 1_000_000;

        assertThat(response.statusCode()).isEqualTo(504);
        assertThat(JSON.readTree(response.body()).path("message").asText()).isEqualTo("The upstream server is timing out");
        assertThat(tookMillis).as("the service's read_timeout, not the relay's default").isBetween(1000L, 6000L);
        JsonNode meta = logLine(response.headers().firstValue("x-kong-request-id").orElseThrow()).path("ai").path("proxy").path("meta");
        assertThat(meta.path("outcome").asText()).isEqualTo("upstream_timeout");
    }

    @Test
    void aStreamThatFallsSilentIsGivenUpAfterTheReadTimeoutAndLoggedAsATimeout() throws Exception {
        anthropic.enqueue(Reply.text("one two three").usage(Usage.of(9, 3)).silentAfterEvents(4, Duration.ofSeconds(4)));

        HttpResponse<java.io.InputStream> response = http.send(claudeCodeRequest("/slow/v1/messages", message(PINNED_MODEL, true),
                "application/json").build(), HttpResponse.BodyHandlers.ofInputStream());
        try (java.io.InputStream body = response.body()) {
            body.readAllBytes();
        } catch (IOException brokenOff) {
            // a stream whose head had gone out is broken off, as nginx leaves it
        }

        JsonNode meta = logLine(response.headers().firstValue("x-kong-request-id").orElseThrow()).path("ai").path("proxy").path("meta");
        assertThat(meta.path("outcome").asText()).as("the provider's silence ended it, not a reset").isEqualTo("upstream_timeout");
    }

    @Test
    void aClientThatLeavesMidStreamEndsTheProviderCallAndTheLineSaysSo() throws Exception {
        anthropic.enqueue(Reply.text("word ".repeat(40).strip()).usage(Usage.of(30, 40)).eventDelay(Duration.ofMillis(200)));

        long sent = System.nanoTime();
        HttpResponse<InputStream> response = http.send(claudeCodeRequest("/anything/v1/messages", message(PINNED_MODEL, true),
                "application/json").build(), HttpResponse.BodyHandlers.ofInputStream());
        String requestId = response.headers().firstValue("x-kong-request-id").orElseThrow();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            assertThat(reader.readLine()).isEqualTo("event: message_start");
        }

        JsonNode line = logLine(requestId);
        long loggedAfterMillis = (System.nanoTime() - sent) / 1_000_000;
        JsonNode meta = line.path("ai").path("proxy").path("meta");
        assertThat(meta.path("outcome").asText()).isEqualTo("client_disconnected");
        assertThat(meta.path("request_mode").asText()).isEqualTo("stream");
        // about 45 events 200 ms apart: a relay that kept reading would log only after ~9 s
        assertThat(loggedAfterMillis).isLessThan(6000);
    }
}
