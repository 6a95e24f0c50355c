package io.kongjava.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.kongjava.gateway.GatewayMain;
import io.kongjava.testing.anthropic.Usage;
import io.kongjava.testing.clouds.FakeBedrock;
import io.kongjava.testing.clouds.FakeVertex;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.TestInstance;

/**
 * java-ai-proxy-advanced on the local gateway with the repository's kong-config/kong-failover.conf and
 * kong-failover.yaml: Claude Code's streamed {@code /v1/messages} while the Anthropic target is dead is served by
 * the Bedrock fake (which checks the SigV4 signature on its own), and when Bedrock throttles, by the Vertex fake
 * (which checks the service account's token). The client sees one clean Anthropic stream each time; the log line
 * lists the targets tried and the one that served, with its exact tokens and cost.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AdvancedFailoverGatewayTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String AWS_KEY = "AKIDGATEWAYTEST00001";
    static final String AWS_SECRET = "gateway/test/secret/KEY+0123456789abcdefgh";
    static final String ANTHROPIC_KEY = "sk-ant-api03-advanced-operators-key";

    FakeBedrock bedrock;
    FakeVertex vertex;
    GatewayMain.Running gateway;
    Path logFile;
    int proxyPort;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    void start() throws Exception {
        bedrock = FakeBedrock.start(AWS_KEY, AWS_SECRET, "us-east-1");
        vertex = FakeVertex.start("my-gcp-project", "us-east5");
        Path dir = Files.createTempDirectory("claude-failover");
        logFile = dir.resolve("claude.json");
        proxyPort = LocalGatewayScenarios.freePort();
        Path repo = Distribution.repositoryRoot();
        Path yaml = dir.resolve("kong-failover.yaml");
        Files.writeString(yaml, repointed(Files.readString(repo.resolve("kong-config/kong-failover.yaml")), LocalGatewayScenarios.freePort()));
        Path prefix = dir.resolve("prefix");
        String server = Distribution.bin("kong-java-pluginserver").toString();
        String socket = prefix + "/kong-java-pluginserver.socket";
        Map<String, String> env = new HashMap<>();
        env.put("KONG_PREFIX", prefix.toString());
        env.put("KONG_DECLARATIVE_CONFIG", yaml.toString());
        env.put("KONG_PROXY_LISTEN", "127.0.0.1:" + proxyPort);
        env.put("KONG_PLUGINSERVER_JAVA_AI_PROXY_SOCKET", socket);
        env.put("KONG_PLUGINSERVER_JAVA_AI_PROXY_START_CMD", server + " -kong-prefix " + prefix);
        env.put("KONG_PLUGINSERVER_JAVA_AI_PROXY_QUERY_CMD", server + " --dump-plugin-info java-ai-proxy");
        env.put("KONG_PLUGINSERVER_JAVA_FILE_LOG_SOCKET", socket);
        env.put("KONG_PLUGINSERVER_JAVA_FILE_LOG_QUERY_CMD", server + " --dump-plugin-info java-file-log");
        env.put("KONG_PLUGINSERVER_JAVA_AI_PROXY_ADVANCED_SOCKET", socket);
        env.put("KONG_PLUGINSERVER_JAVA_AI_PROXY_ADVANCED_QUERY_CMD", server + " --dump-plugin-info java-ai-proxy-advanced");
        env.put("ANTHROPIC_API_KEY", ANTHROPIC_KEY);
        env.put("GCP_SERVICE_ACCOUNT_JSON", vertex.serviceAccountJson());
        gateway = GatewayMain.start(repo.resolve("kong-config/kong-failover.conf"), env);
    }

    /** kong-failover.yaml with its providers on this machine: Anthropic on a closed port, Bedrock and Vertex fakes. */
    String repointed(String kongYaml, int deadPort) throws Exception {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        ObjectNode root = (ObjectNode) yaml.readTree(kongYaml);
        for (JsonNode plugin : root.path("services").get(0).path("plugins")) {
            ObjectNode config = (ObjectNode) plugin.path("config");
            if (plugin.path("name").asText().equals("java-file-log")) {
                config.put("path", logFile.toString());
                continue;
            }
            for (JsonNode target : config.path("targets")) {
                ObjectNode options = (ObjectNode) target.path("model").path("options");
                switch (target.path("model").path("provider").asText()) {
                    case "anthropic" -> options.put("upstream_url", "http://127.0.0.1:" + deadPort);
                    case "bedrock" -> {
                        options.put("upstream_url", bedrock.url());
                        ((ObjectNode) target).putObject("auth").put("aws_access_key_id", AWS_KEY).put("aws_secret_access_key", AWS_SECRET);
                    }
                    case "gemini" -> options.put("upstream_url", vertex.url());
                    default -> throw new AssertionError(target);
                }
            }
        }
        return yaml.writeValueAsString(root);
    }

    @AfterAll
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        bedrock.close();
        vertex.close();
    }

    HttpResponse<String> claudeCodeStream() throws Exception {
        String body = """
                {"model":"claude-sonnet-4-5","max_tokens":1024,"stream":true,
                 "system":[{"type":"text","text":"You are Claude Code.","cache_control":{"type":"ephemeral"}}],
                 "messages":[{"role":"user","content":"What is 2+2?"}]}""";
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxyPort + "/anything/v1/messages?beta=true"))
                .header("x-api-key", "sk-dummy-from-claude-code")
                .header("anthropic-version", "2023-06-01")
                .header("anthropic-beta", "claude-code-20250219,interleaved-thinking-2025-05-14")
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static List<String> eventTypes(String sse) {
        List<String> types = new ArrayList<>();
        for (String line : sse.split("\n")) {
            if (line.startsWith("event: ")) {
                types.add(line.substring(7));
            }
        }
        return types;
    }

    JsonNode logLine(String requestId) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            if (Files.exists(logFile)) {
                for (String line : Files.readAllLines(logFile)) {
                    JsonNode entry = JSON.readTree(line);
                    if (entry.path("request").path("id").asText().equals(requestId)) {
                        return entry;
                    }
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no log line for request " + requestId + " in " + logFile);
    }

    @Test
    @Order(1)  // first: it expects the dead target's circuit still closed
    void aStreamFailsOverFromADeadAnthropicToBedrockAndThenToVertexWithoutTheClientNoticing() throws Exception {
        bedrock.enqueue(new FakeBedrock.Behaviour.Answer("Four, from Bedrock.", new Usage(18, 6, 250, 4000)));

        HttpResponse<String> response = claudeCodeStream();

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
        assertThat(eventTypes(response.body())).startsWith("message_start").endsWith("message_delta", "message_stop")
                .doesNotContain("error");
        assertThat(response.body()).contains("Bedrock.").doesNotContain("amazon-bedrock-invocationMetrics");
        FakeBedrock.Seen seen = bedrock.take(1000).orElseThrow();
        assertThat(seen.signatureProblem()).as("SigV4, checked without the AWS SDK").isEmpty();
        assertThat(seen.body().path("anthropic_beta").toString()).contains("claude-code-20250219");

        JsonNode line = logLine(response.headers().firstValue("x-kong-request-id").orElseThrow());
        JsonNode proxy = line.path("ai").path("proxy");
        assertThat(proxy.path("tried_targets")).hasSize(2);
        assertThat(proxy.path("tried_targets").get(0).path("provider").asText()).isEqualTo("anthropic");
        assertThat(proxy.path("tried_targets").get(0).path("outcome").asText()).isEqualTo("error");
        assertThat(proxy.path("tried_targets").get(0).path("total_tokens").asLong()).isZero();
        assertThat(proxy.path("tried_targets").get(1).path("provider").asText()).isEqualTo("bedrock");
        assertThat(proxy.path("tried_targets").get(1).path("outcome").asText()).isEqualTo("complete");
        assertThat(proxy.path("tried_targets").get(1).path("total_tokens").asLong()).isEqualTo(18 + 250 + 4000 + 6);
        assertThat(proxy.path("meta").path("served_target").asText()).isEqualTo("bedrock-us-east-1");
        assertThat(proxy.path("meta").path("request_model").asText()).isEqualTo("claude-sonnet-4-5");
        assertThat(proxy.path("meta").path("upstream_model").asText()).isEqualTo("us.anthropic.claude-sonnet-4-5-20250929-v1:0");
        assertThat(proxy.path("usage").path("prompt_tokens_details").path("cached_tokens").asLong()).isEqualTo(4000);
        assertThat(proxy.path("usage").path("cost").asDouble())
                .isCloseTo((18 * 3.0 + 250 * 3.75 + 4000 * 0.3 + 6 * 15.0) / 1e6, within(1e-12));
        assertThat(line.path("request").path("headers").has("x-kong-java-relay-ticket")).isFalse();
        // The relay carried the answer, the plugin's filter having called the targets in its place.
        assertThat(line.path("relay").path("outcome").asText()).isEqualTo("complete");
        assertThat(line.path("relay").path("filters").toString()).contains("java-ai-proxy-advanced");
        assertThat(Files.readString(logFile)).doesNotContain(AWS_SECRET).doesNotContain(ANTHROPIC_KEY);

        // Bedrock throttles: the next request goes on to Vertex, still one clean stream for the client.
        bedrock.enqueue(new FakeBedrock.Behaviour.Status(429, "ThrottlingException", "Too many requests, please wait before trying again."));
        vertex.enqueue(new FakeVertex.Behaviour.Answer("Four, from Vertex.", new Usage(18, 6, 0, 0)));

        HttpResponse<String> second = claudeCodeStream();

        assertThat(second.statusCode()).as(second.body()).isEqualTo(200);
        assertThat(second.body()).contains("Vertex.");
        assertThat(eventTypes(second.body())).endsWith("message_stop").doesNotContain("error");
        assertThat(vertex.take(1000).orElseThrow().status()).isEqualTo(200);
        JsonNode secondLine = logLine(second.headers().firstValue("x-kong-request-id").orElseThrow());
        assertThat(secondLine.path("ai").path("proxy").path("tried_targets").findValuesAsText("outcome"))
                .containsExactly("error", "http_429", "complete");
    }

    @Test
    @Order(2)
    void underConcurrentLoadEveryStreamIsServedWhileTheCircuitKeepsTheDeadTargetOut() throws Exception {
        int requests = 120;
        int concurrency = 12;
        bedrock.always(new FakeBedrock.Behaviour.Answer("Served under load.", new Usage(40, 4, 0, 100)));
        try {
            while (bedrock.take(0).isPresent()) {
                // earlier tests' requests
            }
            List<java.util.concurrent.Future<HttpResponse<String>>> futures = new ArrayList<>();
            try (var pool = java.util.concurrent.Executors.newFixedThreadPool(concurrency)) {
                for (int i = 0; i < requests; i++) {
                    futures.add(pool.submit(this::claudeCodeStream));
                }
                for (var future : futures) {
                    HttpResponse<String> response = future.get(60, TimeUnit.SECONDS);
                    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
                    assertThat(eventTypes(response.body())).endsWith("message_stop").doesNotContain("error");
                }
            }
            int anthropicAttempts = 0;
            for (var future : futures) {
                JsonNode tried = logLine(future.get().headers().firstValue("x-kong-request-id").orElseThrow()).path("ai").path("proxy").path("tried_targets");
                assertThat(tried.get(tried.size() - 1).path("provider").asText()).isEqualTo("bedrock");
                anthropicAttempts += tried.size() - 1;
            }
            // max_fails 3: once the dead target's circuit is open, requests go straight to Bedrock; only those already
            // under way when it opened may still have tried it.
            assertThat(anthropicAttempts).isLessThanOrEqualTo(3 + concurrency);
            int signed = 0;
            while (bedrock.take(0).map(seen -> seen.signatureProblem().isEmpty()).orElse(false)) {
                signed++;
            }
            assertThat(signed).isEqualTo(requests);
        } finally {
            bedrock.always(new FakeBedrock.Behaviour.Answer("Hello from the fake Bedrock.", new Usage(21, 7, 0, 0)));
        }
    }

    @Test
    @Order(3)
    void theRealClaudeCodeCliFailsOverFromADeadAnthropicToBedrockWithoutTheUserNoticing() throws Exception {
        ClaudeCli.assumeInstalled();
        String answer = "Bedrock says: forty-two.";
        bedrock.always(new FakeBedrock.Behaviour.Answer(answer, new Usage(1234, 17, 2048, 4096)));
        try {
            ClaudeCli.Run run = ClaudeCli.run("http://127.0.0.1:" + proxyPort + "/anything", "claude-sonnet-4-5",
                    "What is six times seven? Answer in one sentence.");

            assertThat(run.exit()).as("claude exit status; stderr: %s; stdout: %s", run.err(), run.out()).isZero();
            assertThat(run.out()).contains(answer);
            boolean conversationSeen = false;
            for (var seen = bedrock.take(1000); seen.isPresent(); seen = bedrock.take(200)) {
                assertThat(seen.get().signatureProblem()).isEmpty();
                conversationSeen |= seen.get().body() != null && seen.get().body().toString().contains("six times seven");
            }
            assertThat(conversationSeen).as("the prompt reached Bedrock").isTrue();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            JsonNode line = null;
            while (line == null && System.nanoTime() < deadline) {
                for (String text : Files.readAllLines(logFile)) {
                    JsonNode entry = JSON.readTree(text);
                    if (entry.path("ai").path("proxy").path("usage").path("completion_tokens").asLong() == 17
                            && entry.path("request").path("headers").path("user-agent").asText().startsWith("claude-cli/")) {
                        line = entry;
                    }
                }
                Thread.sleep(100);
            }
            assertThat(line).as("a log line for the conversation in %s", logFile).isNotNull();
            assertThat(line.path("ai").path("proxy").path("meta").path("provider_name").asText()).isEqualTo("bedrock");
            assertThat(line.path("ai").path("proxy").path("usage").path("prompt_tokens").asLong()).isEqualTo(1234 + 2048 + 4096);
            assertThat(Files.readString(logFile)).doesNotContain(ClaudeCli.DUMMY_KEY).doesNotContain(AWS_SECRET);
        } finally {
            bedrock.always(new FakeBedrock.Behaviour.Answer("Hello from the fake Bedrock.", new Usage(21, 7, 0, 0)));
        }
    }
}
