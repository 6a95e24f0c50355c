package io.kongjava.plugins.aiproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kongjava.pdk.InvalidConfigException;
import io.kongjava.pdk.exchange.ProcessRequestExchange;
import io.kongjava.pdk.testkit.PluginTester;
import io.kongjava.pdk.testkit.TestRequest;
import io.kongjava.pdk.testkit.TestRun;
import io.kongjava.testing.anthropic.FakeAnthropic;
import io.kongjava.testing.anthropic.RecordedRequest;
import io.kongjava.testing.anthropic.Reply;
import io.kongjava.testing.anthropic.Usage;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The plugin's access phase on the test kit, and the relay it hands requests to, against the fake
 * Anthropic API. {@link #kongForwards} plays Kong's proxying step: it sends the client's request to
 * where the access phase pointed Kong.
 */
class AiProxyPluginTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String KEY = "sk-ant-real-key-for-tests";
    static final String NATIVE = """
            {"route_type":"llm/v1/chat","llm_format":"anthropic","max_request_body_size":524288,
             "auth":{"header_name":"x-api-key","header_value":"%s"},
             "model":{"provider":"anthropic","name":"claude-sonnet-4-5-20250929",
                      "options":{"anthropic_version":"2023-06-01","upstream_url":"%s"}},
             "logging":{"log_statistics":true,"log_payloads":true}}""";
    static final String OPENAI = """
            {"route_type":"llm/v1/chat",
             "auth":{"header_name":"x-api-key","header_value":"%s"},
             "model":{"provider":"anthropic","name":"claude-haiku-4-5",
                      "options":{"anthropic_version":"2023-06-01","upstream_url":"%s","max_tokens":256,"input_cost":1.0,"output_cost":5.0}},
             "logging":{"log_statistics":true,"log_payloads":true}}""";

    FakeAnthropic anthropic;
    ProcessRequestExchange exchange;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        anthropic = FakeAnthropic.start().requireApiKey(KEY);
        exchange = new ProcessRequestExchange(Duration.ofMinutes(1), Duration.ofMinutes(5), System::nanoTime);
    }

    @AfterEach
    void stop() {
        anthropic.close();
    }

    PluginTester<AiProxyConfig> plugin(String config) throws InvalidConfigException {
        return PluginTester.of(new AiProxyPlugin()).configJson(config.formatted(KEY, anthropic.url())).exchange(exchange);
    }

    static TestRequest claudeCode(String path, String body) {
        return TestRequest.post("http://localhost:8000" + path, body)
                .header("content-type", "application/json")
                .header("x-api-key", "sk-dummy")
                .header("anthropic-version", "2023-06-01")
                .header("anthropic-beta", "claude-code-20250219")
                .requestId("req-" + System.nanoTime());
    }

    /** Kong's proxying: the client's request, with the upstream changes the plugin asked for, to its target. */
    HttpResponse<String> kongForwards(TestRun run, String pathAndQuery, String body, Map<String, String> clientHeaders) throws Exception {
        assertThat(run.exit()).isEmpty();
        var upstream = run.upstream();
        String query = pathAndQuery.contains("?") ? pathAndQuery.substring(pathAndQuery.indexOf('?')) : "";
        // The plugin leaves the path alone: Kong sends the one it computed for the Service (here the client's).
        String path = upstream.path() != null ? upstream.path() : pathAndQuery.replaceFirst("\\?.*", "");
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(upstream.scheme() + "://" + upstream.targetHost().orElseThrow() + ":"
                + upstream.targetPort() + path + query)).POST(HttpRequest.BodyPublishers.ofString(body));
        clientHeaders.forEach(request::header);
        upstream.headers().forEach((name, values) -> values.forEach(v -> request.setHeader(name, v)));
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<byte[]> kongForwardsBytes(TestRun run, String pathAndQuery, String body) throws Exception {
        var upstream = run.upstream();
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(upstream.scheme() + "://" + upstream.targetHost().orElseThrow() + ":"
                + upstream.targetPort() + pathAndQuery)).POST(HttpRequest.BodyPublishers.ofString(body));
        upstream.headers().forEach((name, values) -> values.forEach(v -> request.setHeader(name, v)));
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> aiBlock(String requestId) throws Exception {
        return (Map<String, Object>) exchange.await(requestId, AiProxyPlugin.AI_KEY, Duration.ofSeconds(5)).orElseThrow();
    }

    @Test
    void theAccessPhasePointsKongAtTheRelayWithoutEverTouchingTheKey() throws Exception {
        String body = "{\"model\":\"claude-sonnet-4-5-20250929\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        TestRun run = plugin(NATIVE).run(claudeCode("/anything/v1/messages?beta=true", body));

        assertThat(run.failures()).isEmpty();
        assertThat(run.upstream().targetHost().orElseThrow()).isEqualTo("127.0.0.1");
        assertThat(run.upstream().scheme()).isEqualTo("http");
        assertThat(run.upstream().headers()).containsKey(io.kongjava.relay.ResponseRelay.TICKET_HEADER);
        assertThat(run.upstream().headers().toString()).doesNotContain(KEY);
        assertThat(run.pdkCalls()).anySatisfy(call -> assertThat(call).startsWith("kong.request.get_raw_body[0]"))
                .anySatisfy(call -> assertThat(call).startsWith("kong.service.set_target[127.0.0.1, "));
    }

    @Test
    void theClientsCredentialsAreReplacedNotJoined() throws Exception {
        String body = "{\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        TestRun run = plugin(NATIVE).run(claudeCode("/anything/v1/messages", body));
        Map<String, String> client = Map.of("anthropic-version", "2023-06-01", "x-api-key", "sk-client-own",
                "authorization", "Bearer sk-ant-oat01-clients-oauth-token", "proxy-authorization", "Basic Y2xpZW50",
                // Kong passes underscores on; a provider's server that maps '_' to '-' would read these as the above
                "x_api_key", "sk-client-underscored", "Proxy_Authorization", "Basic dW5kZXI=", "anthropic_version", "1999-01-01");

        assertThat(kongForwards(run, "/anything/v1/messages", body, client).statusCode()).isEqualTo(200);
        RecordedRequest seen = anthropic.takeRequest();
        assertThat(seen.header("x-api-key")).hasValue(KEY);
        assertThat(seen.header("authorization")).isEmpty();
        assertThat(seen.header("proxy-authorization")).isEmpty();
        assertThat(seen.header("x_api_key")).isEmpty();
        assertThat(seen.header("proxy_authorization")).isEmpty();
        assertThat(seen.header("anthropic_version")).as("a header the plugin sets goes alone").isEmpty();
    }

    @Test
    void aQueryKeyReplacesTheClientsHoweverItsNameIsEncoded() throws Exception {
        anthropic.close();
        anthropic = FakeAnthropic.start();
        String config = """
                {"route_type":"llm/v1/chat","auth":{"param_name":"key","param_value":"%s","param_location":"query"},
                 "model":{"provider":"anthropic","name":"claude-sonnet-4-5-20250929",
                          "options":{"anthropic_version":"2023-06-01","upstream_url":"%s"}}}""";
        String body = "{\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        String pathAndQuery = "/anything/v1/messages?key=CLIENT1&%6Bey=CLIENT2&k%65y=CLIENT3&keep=1";
        TestRun run = PluginTester.of(new AiProxyPlugin()).configJson(config.formatted(KEY, anthropic.url())).exchange(exchange)
                .run(claudeCode(pathAndQuery, body).service(Map.of("name", "svc", "protocol", "http", "host", "127.0.0.1", "port", 9, "path", "/")));
        kongForwards(run, pathAndQuery, body, Map.of()); // the fake wants a header key: a 401, after it recorded the query
        RecordedRequest seen = anthropic.takeRequest();
        assertThat(seen.query()).doesNotContain("CLIENT").contains("keep=1").contains("key=" + KEY);
    }

    @Test
    void withAllowOverrideTheClientsOwnCredentialsGoThrough() throws Exception {
        String body = "{\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        anthropic.close();
        anthropic = FakeAnthropic.start();
        TestRun run = plugin(NATIVE.replace("\"header_value\":\"%s\"", "\"header_value\":\"%s\",\"allow_override\":true"))
                .run(claudeCode("/anything/v1/messages", body));
        Map<String, String> client = Map.of("anthropic-version", "2023-06-01", "x-api-key", "sk-client-own",
                "authorization", "Bearer sk-ant-oat01-clients-oauth-token");

        assertThat(kongForwards(run, "/anything/v1/messages", body, client).statusCode()).isEqualTo(200);
        RecordedRequest seen = anthropic.takeRequest();
        assertThat(seen.header("x-api-key")).hasValue("sk-client-own");
        assertThat(seen.header("authorization")).hasValue("Bearer sk-ant-oat01-clients-oauth-token");
    }

    @Test
    void thePinnedModelMayBeAVaultReference() throws Exception {
        JsonNode schema = JSON.valueToTree(io.kongjava.pdk.schema.PluginDescriptor.of(new AiProxyPlugin()).schema());
        JsonNode model = null;
        for (JsonNode field : schema.findValues("model")) {
            if (field.path("type").asText().equals("record")) {
                model = field;
            }
        }
        assertThat(model).as("model record in " + schema).isNotNull();
        JsonNode name = null;
        for (JsonNode field : model.path("fields")) {
            if (field.has("name")) {
                name = field.get("name");
            }
        }
        assertThat(name.path("referenceable").asBoolean()).as("model.name: " + name).isTrue();
    }

    @Test
    void aTicketWorksOnce() throws Exception {
        String body = "{\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        TestRun run = plugin(NATIVE).run(claudeCode("/anything/v1/messages", body));
        Map<String, String> client = Map.of("anthropic-version", "2023-06-01");

        assertThat(kongForwards(run, "/anything/v1/messages", body, client).statusCode()).isEqualTo(200);
        HttpResponse<String> replay = kongForwards(run, "/anything/v1/messages", body, client);
        assertThat(replay.statusCode()).isEqualTo(403);
        assertThat(replay.body()).contains("relay ticket").doesNotContain(KEY);
        RecordedRequest seen = anthropic.takeRequest();
        assertThat(seen.json().path("model").asText()).as("the pinned model fills a body without one").isEqualTo("claude-sonnet-4-5-20250929");
        assertThat(anthropic.takeRequest(Duration.ofMillis(200))).isEmpty();
    }

    @Test
    void anEmptyOrNullModelInTheBodyIsSentAsThePinnedOne() throws Exception {
        for (String model : List.of("\"\"", "null", " null ")) {
            String body = "{\"model\":" + model + ", \"max_tokens\" : 10,\"messages\":[{\"role\":\"user\",\"content\":\"caf\\u00e9\"}]}";
            TestRun run = plugin(NATIVE).run(claudeCode("/anything/v1/messages", body));

            assertThat(kongForwards(run, "/anything/v1/messages", body, Map.of("anthropic-version", "2023-06-01")).statusCode()).isEqualTo(200);
            assertThat(new String(anthropic.takeRequest().body(), java.nio.charset.StandardCharsets.UTF_8)).as("only the model's value is changed: every other byte is the client's")
                    .isEqualTo(body.replace(model.trim(), "\"claude-sonnet-4-5-20250929\""));
        }
    }

    @Test
    void anEmptyPinnedModelAsAnUnresolvedVaultReferenceLeavesItIsRefusedSoKongAnswers500NotAnUnpinnedRoute() {
        // Kong passes "" on for a reference it cannot resolve; an instance that cannot start makes Kong's access
        // phase raise (plugin_servers get_instance_id), which Kong answers with its 500
        assertThatThrownBy(() -> plugin(NATIVE.replace("\"name\":\"claude-sonnet-4-5-20250929\"", "\"name\":\"\"")))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("model.name: length must be at least 1");
    }

    @Test
    void refusalsUseKongsWordsAndAnthropicsErrorTypes() throws Exception {
        PluginTester<AiProxyConfig> plugin = plugin(NATIVE);
        record Case(String path, String body, int status, String type, String message) {
        }
        List<Case> cases = List.of(
                new Case("/anything/v1/messages", "{\"model\":\"claude-opus-4-1\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                        400, "invalid_request_error", "cannot use own model - must be: claude-sonnet-4-5-20250929"),
                new Case("/anything/v1/messages", "{\"messages\":[]}", 400, "invalid_request_error", "request body doesn't contain valid prompts"),
                new Case("/anything/v1/messages", "[1,2]", 400, "invalid_request_error", "request body must be a JSON object"),
                new Case("/anything/v1/messages", "\"claude-opus-4-1\"", 400, "invalid_request_error", "request body must be a JSON object"),
                new Case("/anything/v1/messages",
                        "{\"model\":\"claude-opus-4-1\",\"model\":\"claude-sonnet-4-5-20250929\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                        400, "invalid_request_error", "request body has a duplicate key: model"),
                new Case("/anything/v1/messages",
                        "{\"model\":\"claude-opus-4-1\",\"mod\\u0065l\":\"claude-sonnet-4-5-20250929\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                        400, "invalid_request_error", "request body has a duplicate key: model"),
                new Case("/anything/v1/messages",
                        "{\"model\":\"claude-sonnet-4-5-20250929\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]} {\"model\":\"claude-opus-4-1\"}",
                        400, "invalid_request_error", "request body must be a JSON object"),
                new Case("/anything/v1/messages", "", 400, "invalid_request_error", "content-type header does not match request body, or bad JSON formatting"),
                new Case("/anything/v1/models", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", 404, "not_found_error",
                        "java-ai-proxy serves /v1/messages and /v1/messages/count_tokens on this route, not /anything/v1/models"));
        for (Case c : cases) {
            TestRun run = plugin.run(claudeCode(c.path(), c.body()));

            TestRun.Exit exit = run.exit().orElseThrow(() -> new AssertionError("not refused: " + c));
            assertThat(exit.status()).as(c.body()).isEqualTo(c.status());
            JsonNode error = JSON.readTree(exit.body());
            assertThat(error.path("type").asText()).isEqualTo("error");
            assertThat(error.path("error").path("type").asText()).isEqualTo(c.type());
            assertThat(error.path("error").path("message").asText()).isEqualTo(c.message());
        }
    }

    @Test
    void aRefusedRequestIsStillLoggedWithZeroTokens() throws Exception {
        TestRequest request = claudeCode("/anything/v1/messages", "{\"model\":\"other\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}")
                .requestId("refused-1");
        plugin(NATIVE).run(request);

        Map<?, ?> meta = (Map<?, ?>) ((Map<?, ?>) aiBlock("refused-1").get("proxy")).get("meta");
        assertThat(meta.get("outcome")).isEqualTo("rejected");
        assertThat(meta.get("request_model")).as("Kong's UNSPECIFIED, never the client's made-up name (a metrics label)")
                .isEqualTo("UNSPECIFIED");
        assertThat(meta.get("client_model")).as("what the client asked for").isEqualTo("other");
        assertThat(meta.containsKey("response_model")).isFalse();
        assertThat(aiBlock("refused-1").get("redact_headers")).isEqualTo(List.of("x-api-key"));
        assertThat(aiBlock("refused-1").get("drop_headers")).isEqualTo(List.of(io.kongjava.relay.ResponseRelay.TICKET_HEADER));
        assertThat(meta.get("request_mode")).isEqualTo("oneshot");
        Map<?, ?> usage = (Map<?, ?>) ((Map<?, ?>) aiBlock("refused-1").get("proxy")).get("usage");
        assertThat(List.<Object>copyOf(usage.keySet())).as("the shape of a measured line's usage").containsExactly("prompt_tokens", "completion_tokens",
                "total_tokens", "cost", "time_per_token", "prompt_tokens_details", "completion_tokens_details");

        plugin(NATIVE).run(claudeCode("/anything/v1/messages", "{\"model\":\"other\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}")
                .requestId("refused-2"));
        Map<?, ?> streamed = (Map<?, ?>) ((Map<?, ?>) aiBlock("refused-2").get("proxy")).get("meta");
        assertThat(streamed.get("request_mode")).as("what the client asked for, though nothing was streamed").isEqualTo("stream");
    }

    @Test
    void aRefusedModelNameIsLoggedCutShort() throws Exception {
        String huge = "m".repeat(100_000);
        plugin(NATIVE).run(claudeCode("/anything/v1/messages", "{\"model\":\"" + huge + "\",\"messages\":[]}").requestId("refused-huge"));
        Map<?, ?> meta = (Map<?, ?>) ((Map<?, ?>) aiBlock("refused-huge").get("proxy")).get("meta");
        assertThat((String) meta.get("client_model")).hasSize(AiProxyPlugin.LOGGED_MODEL_LENGTH + 3).endsWith("m...");
        assertThat(meta.get("request_model")).isEqualTo("UNSPECIFIED");
    }

    @Test
    void theModelHeaderIsLeftOutWhenConfiguredSoUnlessTheClientSendsKongDebug() throws Exception {
        String config = NATIVE.replace("\"max_request_body_size\":524288", "\"model_name_header\":false");
        String body = "{\"model\":\"claude-sonnet-4-5-20250929\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        anthropic.enqueue(Reply.text("a").usage(Usage.of(1, 1)));
        anthropic.enqueue(Reply.text("b").usage(Usage.of(1, 1)));

        HttpResponse<String> plain = kongForwards(plugin(config).run(claudeCode("/v1/messages", body)), "/v1/messages", body, Map.of());
        HttpResponse<String> debugged = kongForwards(plugin(config).run(claudeCode("/v1/messages", body)), "/v1/messages", body,
                Map.of("Kong-Debug", "1"));

        assertThat(plain.headers().firstValue("x-kong-llm-model")).isEmpty();
        assertThat(debugged.headers().firstValue("x-kong-llm-model")).hasValue("anthropic/claude-sonnet-4-5-20250929");
    }

    @Test
    void streamingCanBeDenied() throws Exception {
        String config = NATIVE.replace("\"max_request_body_size\":524288", "\"response_streaming\":\"deny\"");
        for (String stream : List.of("true", "\"false\"", "0", "{}", "null")) {
            TestRun run = plugin(config).run(claudeCode("/v1/messages", "{\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"));

            assertThat(run.exit()).as("stream %s is true to Kong's Lua", stream).hasValueSatisfying(exit -> {
                assertThat(exit.status()).isEqualTo(400);
                assertThat(exit.body()).contains("response streaming is not enabled for this LLM");
            });
        }
        for (String stream : List.of("false")) {
            TestRun run = plugin(config).run(claudeCode("/v1/messages", "{\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"));
            assertThat(run.exit()).as("stream %s", stream).isEmpty();
        }
    }

    @Test
    void aPreserveRouteForwardsOnlyRequestsWithABodyKongCanRead() throws Exception {
        String preserve = NATIVE.replace("\"llm/v1/chat\",\"llm_format\":\"anthropic\"", "\"preserve\"")
                .replace("\"name\":\"claude-sonnet-4-5-20250929\",", "");
        PluginTester<AiProxyConfig> plugin = plugin(preserve);

        for (TestRequest bodiless : List.of(TestRequest.get("http://localhost:8000/v1/models"),
                TestRequest.post("http://localhost:8000/v1/files/abc", "").header("content-type", "application/json"),
                TestRequest.post("http://localhost:8000/v1/x", "not json").header("content-type", "text/plain"))) {
            TestRun run = plugin.run(bodiless.header("x-api-key", "sk-client"));
            assertThat(run.exit()).as("Kong's get_body gives nothing: its 400, and the operator's key lent to nobody")
                    .hasValueSatisfying(exit -> {
                        assertThat(exit.status()).isEqualTo(400);
                        assertThat(exit.body()).contains("content-type header does not match request body, or bad JSON formatting");
                    });
        }
        TestRun form = plugin.run(TestRequest.post("http://localhost:8000/v1/x", "a=1").header("content-type", "application/x-www-form-urlencoded"));
        assertThat(form.exit()).as("a form is a table to Kong's get_body").isEmpty();
        TestRun json = plugin.run(claudeCode("/v1/messages/batches", "{\"requests\":[]}"));
        assertThat(json.exit()).isEmpty();
    }

    @Test
    void anOpenAiClientIsTranslatedToAnthropicAndBack() throws Exception {
        anthropic.enqueue(Reply.text("Paris.").usage(Usage.of(30, 2)));
        String body = """
                {"model":"claude-haiku-4-5","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Capital of France?"}],
                 "tools":[{"type":"function","function":{"name":"lookup","description":"Look up","parameters":{"type":"object"}}}],
                 "tool_choice":"required","temperature":0.2}""";
        TestRequest request = TestRequest.post("http://localhost:8000/openai/v1/chat/completions", body)
                .header("content-type", "application/json").requestId("openai-1");
        TestRun run = plugin(OPENAI).run(request);

        HttpResponse<String> response = kongForwards(run, "/openai/v1/chat/completions", body, Map.of());

        JsonNode sent = anthropic.takeRequest().json();
        assertThat(sent.path("system").get(0).path("text").asText()).isEqualTo("Be brief.");
        assertThat(sent.path("messages")).hasSize(1);
        assertThat(sent.path("max_tokens").asInt()).isEqualTo(256);
        assertThat(sent.path("temperature").asDouble()).isEqualTo(0.2);
        assertThat(sent.path("tools").get(0).path("input_schema").path("type").asText()).isEqualTo("object");
        assertThat(sent.path("tool_choice").path("type").asText()).isEqualTo("any");
        JsonNode completion = JSON.readTree(response.body());
        assertThat(completion.path("object").asText()).isEqualTo("chat.completion");
        assertThat(completion.path("choices").get(0).path("message").path("content").asText()).isEqualTo("Paris.");
        assertThat(completion.path("choices").get(0).path("finish_reason").asText()).isEqualTo("stop");
        assertThat(completion.path("usage").path("total_tokens").asInt()).isEqualTo(32);
        Map<?, ?> usage = (Map<?, ?>) ((Map<?, ?>) aiBlock("openai-1").get("proxy")).get("usage");
        assertThat(usage.get("cost")).isEqualTo((30 * 1.0 + 2 * 5.0) / 1e6);
        Map<?, ?> payload = (Map<?, ?>) ((Map<?, ?>) aiBlock("openai-1").get("proxy")).get("payload");
        assertThat(payload.get("response")).as("the body the client got, as Kong logs it").isEqualTo(response.body());
    }

    @Test
    void anOpenAiStreamBecomesChatCompletionChunksWithToolCallsAndUsage() throws Exception {
        anthropic.enqueue(Reply.text("Let me check").usage(Usage.of(11, 7)).thenToolUse("toolu_9", "lookup", "{\"city\":\"Paris\"}"));
        String body = """
                {"messages":[{"role":"user","content":"Weather?"}],"stream":true,"stream_options":{"include_usage":true}}""";
        TestRun run = plugin(OPENAI).run(TestRequest.post("http://localhost:8000/openai", body).requestId("openai-2"));

        HttpResponse<String> response = kongForwards(run, "/openai", body, Map.of());

        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
        List<String> data = response.body().lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
        assertThat(data.getLast()).isEqualTo("[DONE]");
        StringBuilder text = new StringBuilder();
        StringBuilder arguments = new StringBuilder();
        String finish = null;
        JsonNode usage = null;
        for (String chunk : data.subList(0, data.size() - 1)) {
            JsonNode json = JSON.readTree(chunk);
            assertThat(json.path("object").asText()).isEqualTo("chat.completion.chunk");
            if (json.has("usage")) {
                usage = json.path("usage");
                continue;
            }
            JsonNode choice = json.path("choices").get(0);
            text.append(choice.path("delta").path("content").asText(""));
            arguments.append(choice.path("delta").path("tool_calls").path(0).path("function").path("arguments").asText(""));
            if (!choice.path("finish_reason").isNull()) {
                finish = choice.path("finish_reason").asText();
            }
        }
        assertThat(text.toString()).isEqualTo("Let me check");
        assertThat(JSON.readTree(arguments.toString()).path("city").asText()).isEqualTo("Paris");
        assertThat(finish).isEqualTo("tool_calls");
        assertThat(usage.path("completion_tokens").asInt()).isEqualTo(7);
        assertThat(((Map<?, ?>) ((Map<?, ?>) aiBlock("openai-2").get("proxy")).get("meta")).get("request_mode")).isEqualTo("stream");
        Map<?, ?> payload = (Map<?, ?>) ((Map<?, ?>) aiBlock("openai-2").get("proxy")).get("payload");
        assertThat(payload.get("response")).as("what the client got, translated").isEqualTo(response.body());
    }

    @Test
    void anAnswerInACodingThePluginCannotReadPassesAsItCameWithItsCoding() throws Exception {
        byte[] compressed = {(byte) 0x8b, 0x02, (byte) 0x80, 0x7b, 0x7d, 0x03};
        anthropic.enqueue(Reply.raw(200, "application/json", compressed).header("content-encoding", "br"));
        String body = "{\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        TestRun run = plugin(NATIVE).run(claudeCode("/anything/v1/messages", body));
        HttpResponse<byte[]> response = kongForwardsBytes(run, "/anything/v1/messages", body);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-encoding")).hasValue("br");
        assertThat(response.body()).isEqualTo(compressed);
    }

    private static final String STREAM_START = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"m\","
            + "\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}\n\n"
            + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n";
    private static final String STREAM_END = "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
            + "\"usage\":{\"output_tokens\":7}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

    @Test
    void aStreamThatEndsCleanlyBeforeMessageStopIsBrokenOffNotEndedAsIfWhole() throws Exception {
        anthropic.enqueue(Reply.raw(200, "text/event-stream", STREAM_START.getBytes(StandardCharsets.UTF_8)));
        String body = "{\"max_tokens\":10,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        TestRun run = plugin(NATIVE).run(claudeCode("/anything/v1/messages", body).requestId("short-1"));

        assertThatThrownBy(() -> kongForwardsBytes(run, "/anything/v1/messages", body)).as("the client sees it incomplete")
                .isInstanceOf(java.io.IOException.class);
        assertThat(String.valueOf(aiBlock("short-1"))).contains("truncated");
    }

    @Test
    void aStreamWhoseLinesEndInBareCarriageReturnsPassesWholeAndIsCounted() throws Exception {
        byte[] stream = (STREAM_START + STREAM_END).replace('\n', '\r').getBytes(StandardCharsets.UTF_8);
        anthropic.enqueue(Reply.raw(200, "text/event-stream", stream));
        String body = "{\"max_tokens\":10,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        TestRun run = plugin(NATIVE).run(claudeCode("/anything/v1/messages", body).requestId("cr-1"));

        HttpResponse<byte[]> answer = kongForwardsBytes(run, "/anything/v1/messages", body);

        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.body()).isEqualTo(stream);
        assertThat(String.valueOf(aiBlock("cr-1"))).contains("complete").contains("completion_tokens=7");
    }

    @Test
    void aLastEventWithoutItsBlankLineStillReachesTheClient() throws Exception {
        String stream = STREAM_START + STREAM_END.substring(0, STREAM_END.length() - 1); // the upstream left out the last \n
        anthropic.enqueue(Reply.raw(200, "text/event-stream", stream.getBytes(StandardCharsets.UTF_8)));
        String body = "{\"max_tokens\":10,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        TestRun run = plugin(NATIVE).run(claudeCode("/anything/v1/messages", body).requestId("no-blank-1"));

        HttpResponse<byte[]> answer = kongForwardsBytes(run, "/anything/v1/messages", body);

        assertThat(new String(answer.body(), StandardCharsets.UTF_8)).isEqualTo(stream);
        assertThat(String.valueOf(aiBlock("no-blank-1"))).contains("complete");
    }

    @Test
    void anSseEventThatNeverEndsBreaksTheStreamOffInsteadOfFillingTheHeap() throws Exception {
        String start = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"m\",\"usage\":"
                + "{\"input_tokens\":3,\"output_tokens\":1}}}\n\ndata: ";
        byte[] endless = (start + "x".repeat(io.kongjava.plugins.ai.SseParser.MAX_EVENT_BYTES + 100_000)).getBytes(StandardCharsets.UTF_8);
        anthropic.enqueue(Reply.raw(200, "text/event-stream", endless));
        String body = "{\"max_tokens\":10,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        TestRun run = plugin(NATIVE).run(claudeCode("/anything/v1/messages", body).requestId("endless-1"));
        assertThatThrownBy(() -> kongForwardsBytes(run, "/anything/v1/messages", body)).isInstanceOf(java.io.IOException.class);
        Map<String, Object> ai = aiBlock("endless-1");
        assertThat(String.valueOf(ai)).contains("truncated");
    }

    @Test
    void aLargeWholeAnswerWaitsForRoomInTheServersBudgetAndIsRefusedWhenNoneComes() throws Exception {
        io.kongjava.plugins.ai.BodyBudget small = new io.kongjava.plugins.ai.BodyBudget(4 << 20);
        io.kongjava.plugins.ai.BodyBudget before = AiProxyPlugin.bodyBudget;
        Duration waitBefore = AiProxyPlugin.bodyBudgetWait;
        AiProxyPlugin.bodyBudget = small;
        AiProxyPlugin.bodyBudgetWait = Duration.ofMillis(200);
        String text = "y".repeat(1_500_000);
        String body = "{\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        try {
            anthropic.enqueue(Reply.text(text).usage(Usage.of(5, 400_000)));
            TestRun fits = plugin(NATIVE).run(claudeCode("/anything/v1/messages", body));
            HttpResponse<String> whole = kongForwards(fits, "/anything/v1/messages", body, Map.of());
            assertThat(whole.statusCode()).isEqualTo(200);
            assertThat(whole.body()).contains(text);
            await().untilAsserted(() -> assertThat(small.availableBytes()).as("given back").isEqualTo(4 << 20));

            try (var others = small.reserve(2 << 20, Duration.ZERO).orElseThrow()) {
                anthropic.enqueue(Reply.text(text).usage(Usage.of(5, 400_000)));
                TestRun refused = plugin(NATIVE).run(claudeCode("/anything/v1/messages", body).requestId("no-room-1"));
                HttpResponse<String> answer = kongForwards(refused, "/anything/v1/messages", body, Map.of());
                assertThat(answer.statusCode()).as("no room for twice 1.5 MB beside 2 MB held: not read whole").isEqualTo(500);
                assertThat(String.valueOf(aiBlock("no-room-1"))).contains("truncated");
            }
            await().untilAsserted(() -> assertThat(small.availableBytes()).isEqualTo(4 << 20));
        } finally {
            AiProxyPlugin.bodyBudget = before;
            AiProxyPlugin.bodyBudgetWait = waitBefore;
        }
    }

    @Test
    void aWholeAnswerLargerThanThePluginReadsIsRefusedWithKongs502NotCalledTruncated() throws Exception {
        String body = "{\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        anthropic.enqueue(Reply.text("y".repeat(AiResponseFilter.MAX_BUFFERED_RESPONSE + 1000)).usage(Usage.of(5, 1_000_000)));
        TestRun run = plugin(NATIVE).run(claudeCode("/anything/v1/messages", body).requestId("too-large-1"));

        HttpResponse<String> answer = kongForwards(run, "/anything/v1/messages", body, Map.of());

        assertThat(answer.statusCode()).isEqualTo(502);
        assertThat(answer.body()).contains("An invalid response was received from the upstream server");
        assertThat(String.valueOf(aiBlock("too-large-1"))).contains("response_too_large").doesNotContain("truncated");
    }

    @Test
    void aPreservedPathIsEscapedAgainAsKongEscapesTheNormalizedPath() {
        assertThat(AiProxyPlugin.escapePath("/v1/files/a b\r\n\u0000/%2F/caf\u00e9/x")).isEqualTo("/v1/files/a%20b%0D%0A%00/%2F/caf%C3%A9/x");
        assertThat(AiProxyPlugin.escapePath("/v1/messages")).isEqualTo("/v1/messages");
    }

    @Test
    void kongStyleConfigErrors() {
        record Bad(String config, String field, String message) {
        }
        String base = NATIVE.formatted(KEY, "http://127.0.0.1:1");
        List<Bad> bad = List.of(
                new Bad(base.replace("\"options\":{\"anthropic_version\":\"2023-06-01\",", "\"options\":{"), "model.options.anthropic_version",
                        "required field missing"),
                new Bad(base.replace("\"provider\":\"anthropic\"", "\"provider\":\"openai\""), "model.provider", "expected one of: anthropic"),
                new Bad(base.replace("http://127.0.0.1:1", "http:///v1"), "model.options.upstream_url", "must be an http or https URL with a host"),
                new Bad(base.replace("http://127.0.0.1:1", "/v1/messages"), "model.options.upstream_url", "must be an http or https URL"),
                new Bad(base.replace("http://127.0.0.1:1", "ftp://files.example/v1"), "model.options.upstream_url", "must be an http or https URL"),
                new Bad(base.replace("\"header_name\":\"x-api-key\",\"header_value\":\"" + KEY + "\"",
                        "\"param_name\":\"key\",\"param_value\":\"v\",\"param_location\":\"body\""), "auth.param_location", "expected one of: query"),
                new Bad(base.replace("\"header_value\":\"" + KEY + "\"", "\"param_name\":\"key\""), "auth", "all or none"),
                new Bad(base.replace("\"route_type\":\"llm/v1/chat\"", "\"route_type\":\"llm/v1/completions\""), "route_type", "expected one of"),
                new Bad(base.replace("\"max_request_body_size\":524288", "\"max_request_body_size\":-1"), "max_request_body_size", "between"),
                // what a vault reference that resolved to nothing gives: never "no model pinned"
                new Bad(base.replace("\"name\":\"claude-sonnet-4-5-20250929\"", "\"name\":\"\""), "model.name", "length must be at least 1"),
                new Bad(base.replace("\"header_value\":\"" + KEY + "\"", "\"header_value\":\"\""), "auth.header_value", "length must be at least 1"),
                new Bad(base.replace("\"header_value\":\"" + KEY + "\"", "\"header_value\":\"k\\r\\nx: y\""), "auth.header_value", "line breaks"),
                new Bad(base.replace("\"header_name\":\"x-api-key\"", "\"header_name\":\"bad name\""), "auth.header_name", "not a valid header name"),
                new Bad(base.replace("http://127.0.0.1:1", "http://h/x y?key=sk-secret"), "model.options.upstream_url", "without spaces"));
        String dumped = io.kongjava.pdk.schema.KongSchema.derive("java-ai-proxy", AiProxyConfig.class).toString();
        // the same rules in the schema Kong gets, so that Kong refuses such a config when it is stored, not every request
        assertThat(dumped).contains("anthropic_version={type=string, required=true").contains("match=" + io.kongjava.plugins.ai.UpstreamSchema.HTTP_URL)
                .contains("match=" + io.kongjava.plugins.ai.UpstreamSchema.HEADER_NAME).contains("one_of=[query]");
        for (Bad b : bad) {
            assertThatThrownBy(() -> PluginTester.of(new AiProxyPlugin()).configJson(b.config()))
                    .as(b.config())
                    .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.errors().entrySet())
                            .anySatisfy(entry -> {
                                assertThat(entry.getKey()).startsWith(b.field());
                                assertThat(entry.getValue()).contains(b.message());
                            }));
        }
    }

    @Test
    void aConfigAsKongDumpsItsAiProxyIsAccepted() throws Exception {
        // what decK dumps for an anthropic ai-proxy on Kong 3.9 / Enterprise: every other provider's fields, defaults filled in
        String dumped = NATIVE.formatted(KEY, "https://api.anthropic.com")
                .replace("\"header_value\":\"" + KEY + "\"", "\"header_value\":\"" + KEY + "\",\"allow_override\":false,"
                        + "\"gcp_use_service_account\":false,\"gcp_service_account_json\":null,\"aws_access_key_id\":null,"
                        + "\"aws_secret_access_key\":null,\"azure_use_managed_identity\":false,\"azure_client_id\":null,"
                        + "\"azure_client_secret\":null,\"azure_tenant_id\":null,\"param_name\":null,\"param_value\":null,\"param_location\":null")
                .replace("\"anthropic_version\":\"2023-06-01\"", "\"anthropic_version\":\"2023-06-01\",\"azure_api_version\":\"2023-05-15\","
                        + "\"azure_instance\":null,\"azure_deployment_id\":null,\"llama2_format\":null,\"mistral_format\":null,"
                        + "\"gemini\":null,\"bedrock\":{\"aws_region\":null},\"huggingface\":null,\"max_tokens\":null,\"upstream_path\":null");

        @SuppressWarnings("unchecked")
        AiProxyConfig config = io.kongjava.pdk.schema.ConfigBinder.bind(AiProxyConfig.class, JSON.readValue(dumped, Map.class));

        assertThat(config.options().azureApiVersion()).isEqualTo("2023-05-15");
        assertThatThrownBy(() -> PluginTester.of(new AiProxyPlugin()).configJson(dumped.replace("\"gemini\":null", "\"gemini\":{\"project_id\":\"p\"}")))
                .as("Kong's entity check on gemini").isInstanceOfSatisfying(InvalidConfigException.class,
                        e -> assertThat(e.errors()).containsKey("model.options.gemini.@entity"));
    }

    @Test
    void kongsOpenSourceDefaultBodyLimitIsWarnedAboutNotSilentlyApplied() throws Exception {
        List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Logger log = java.util.logging.Logger.getLogger(AiProxyPlugin.class.getName());
        java.util.logging.Handler handler = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord record) {
                warnings.add(record.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        log.addHandler(handler);
        try {
            plugin(NATIVE.replace("\"max_request_body_size\":524288", "\"max_request_body_size\":8192"));
        } finally {
            log.removeHandler(handler);
        }
        assertThat(warnings).anySatisfy(w -> assertThat(w).contains("max_request_body_size is 8192").contains("Claude Code"));
    }

    @Test
    void theHowTosConfigIsAcceptedWithKongsDefaults() throws Exception {
        @SuppressWarnings("unchecked")
        Map<String, Object> kong = JSON.readValue(NATIVE.formatted(KEY, "https://api.anthropic.com"), Map.class);
        AiProxyConfig config = io.kongjava.pdk.schema.ConfigBinder.bind(AiProxyConfig.class, kong);

        assertThat(config.responseStreaming()).isEqualTo("allow");
        assertThat(config.modelNameHeader()).isTrue();
        assertThat(config.auth().flatMap(AiProxyConfig.Auth::headerName)).isEqualTo(Optional.of("x-api-key"));
        assertThat(AiProxyPlugin.upstream(config, ProxyCall.Endpoint.COUNT_TOKENS, "/x").toString())
                .isEqualTo("https://api.anthropic.com:443/v1/messages/count_tokens");
    }
}
