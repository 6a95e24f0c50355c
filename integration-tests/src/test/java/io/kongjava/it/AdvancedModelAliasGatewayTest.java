package io.kongjava.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Kong 3.14's {@code model_alias} on the local gateway: Claude Code names its main model and its small fast one in
 * {@code model}; each is served by the targets carrying it as their alias, balanced by priority and failing over only
 * among them. The configuration is in Kong's own form (no field of ours), checked by the gateway against the schema
 * as Kong would check it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdvancedModelAliasGatewayTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String SONNET = "claude-sonnet-4-5-20250929";
    static final String HAIKU = "claude-haiku-4-5-20251001";
    static final String AWS_KEY = "AKIDALIASTEST0000001";
    static final String AWS_SECRET = "alias/test/secret/KEY+0123456789abcdefghi";

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
        Path dir = Files.createTempDirectory("claude-alias");
        logFile = dir.resolve("claude.json");
        proxyPort = LocalGatewayScenarios.freePort();
        Path yaml = dir.resolve("kong-alias.yaml");
        Files.writeString(yaml, """
                _format_version: "3.0"
                services:
                  - name: claude
                    url: http://java-ai-proxy-placeholder.invalid
                    routes:
                      - name: claude-code
                        paths: [/anything]
                    plugins:
                      - name: java-ai-proxy-advanced
                        config:
                          llm_format: anthropic
                          genai_category: text/generation
                          embeddings: null
                          vectordb: null
                          balancer:
                            algorithm: priority
                            failover_criteria: [error, timeout, http_429, http_503]
                          targets:
                            - route_type: llm/v1/chat
                              description: anthropic-sonnet
                              weight: 100
                              auth: {header_name: x-api-key, header_value: sk-ant-alias-test}
                              model:
                                provider: anthropic
                                name: %1$s
                                model_alias: %1$s
                                options: {anthropic_version: "2023-06-01", upstream_url: "http://127.0.0.1:%3$d"}
                              logging: {log_statistics: true}
                            - route_type: llm/v1/chat
                              description: bedrock-sonnet
                              weight: 50
                              auth: {aws_access_key_id: %5$s, aws_secret_access_key: "%6$s"}
                              model:
                                provider: bedrock
                                name: us.anthropic.claude-sonnet-4-5-20250929-v1:0
                                model_alias: %1$s
                                options: {bedrock: {aws_region: us-east-1}, upstream_url: "%4$s"}
                              logging: {log_statistics: true}
                            - route_type: llm/v1/chat
                              description: vertex-haiku
                              weight: 100
                              auth: {gcp_use_service_account: true, gcp_service_account_json: "{vault://env/gcp-service-account-json}"}
                              model:
                                provider: gemini
                                name: claude-haiku-4-5@20251001
                                model_alias: %2$s
                                options: {gemini: {project_id: my-gcp-project, location_id: us-east5}, upstream_url: "%7$s"}
                              logging: {log_statistics: true}
                      - name: java-file-log
                        config:
                          path: %8$s
                """.formatted(SONNET, HAIKU, LocalGatewayScenarios.freePort(), bedrock.url(), AWS_KEY, AWS_SECRET, vertex.url(), logFile));
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
        env.put("GCP_SERVICE_ACCOUNT_JSON", vertex.serviceAccountJson());
        gateway = GatewayMain.start(Distribution.repositoryRoot().resolve("kong-config/kong-failover.conf"), env);
    }

    @AfterAll
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        bedrock.close();
        vertex.close();
    }

    /** A request as Claude Code sends it: the Messages API with ?beta=true, its beta flags, streamed. */
    HttpResponse<String> claudeCode(String model) throws Exception {
        String body = """
                {"model":"%s","max_tokens":1024,"stream":true,
                 "system":[{"type":"text","text":"You are Claude Code.","cache_control":{"type":"ephemeral"}}],
                 "messages":[{"role":"user","content":"What is 2+2?"}]}""".formatted(model);
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxyPort + "/anything/v1/messages?beta=true"))
                .header("x-api-key", "sk-dummy-from-claude-code")
                .header("anthropic-version", "2023-06-01")
                .header("anthropic-beta", "claude-code-20250219,interleaved-thinking-2025-05-14")
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    JsonNode triedTargets(HttpResponse<String> response) throws Exception {
        String requestId = response.headers().firstValue("x-kong-request-id").orElseThrow();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            if (Files.exists(logFile)) {
                for (String line : Files.readAllLines(logFile)) {
                    JsonNode entry = JSON.readTree(line);
                    if (entry.path("request").path("id").asText().equals(requestId)) {
                        return entry.path("ai").path("proxy").path("tried_targets");
                    }
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no log line for request " + requestId + " in " + logFile);
    }

    @Test
    void eachModelIsServedByTheTargetsOfItsAliasAndFailsOverOnlyAmongThem() throws Exception {
        // Sonnet: the Anthropic target is dead, Bedrock (same alias, lower priority group) serves; Vertex is never asked.
        bedrock.enqueue(new FakeBedrock.Behaviour.Answer("Four, from Bedrock.", new Usage(18, 6, 0, 0)));
        HttpResponse<String> sonnet = claudeCode(SONNET);
        assertThat(sonnet.statusCode()).as(sonnet.body()).isEqualTo(200);
        assertThat(sonnet.body()).contains("Bedrock.").contains("event: message_stop");
        assertThat(sonnet.headers().firstValue("x-kong-llm-model")).contains("bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0");
        assertThat(bedrock.take(1000).orElseThrow().signatureProblem()).isEmpty();
        assertThat(triedTargets(sonnet).findValuesAsText("provider")).containsExactly("anthropic", "bedrock");

        // Haiku goes to the Vertex target, the only one with that alias, with its own model id.
        vertex.enqueue(new FakeVertex.Behaviour.Answer("Four, from Vertex.", new Usage(9, 3, 0, 0)));
        HttpResponse<String> haiku = claudeCode(HAIKU);
        assertThat(haiku.statusCode()).as(haiku.body()).isEqualTo(200);
        assertThat(haiku.body()).contains("Vertex.");
        assertThat(vertex.take(1000).orElseThrow().path()).contains("claude-haiku-4-5@20251001");
        assertThat(triedTargets(haiku).findValuesAsText("provider")).containsExactly("gemini");

        // Both Sonnet targets fail: the client gets Bedrock's 429 in Anthropic's shape; the Haiku target is no fallback.
        bedrock.enqueue(new FakeBedrock.Behaviour.Status(429, "ThrottlingException", "Too many requests, please wait before trying again."));
        HttpResponse<String> throttled = claudeCode(SONNET);
        assertThat(throttled.statusCode()).as(throttled.body()).isEqualTo(429);
        assertThat(JSON.readTree(throttled.body()).path("error").path("type").asText()).isEqualTo("rate_limit_error");
        assertThat(triedTargets(throttled).findValuesAsText("outcome")).containsExactly("error", "http_429");
        assertThat(bedrock.take(1000).orElseThrow().signatureProblem()).isEmpty();
        assertThat(vertex.take(300)).as("no Sonnet request reached the Haiku target").isEmpty();

        // A model no target has as alias or name is refused before any target, as Kong refuses a model it does not serve.
        HttpResponse<String> opus = claudeCode("claude-opus-4-1-20250805");
        assertThat(opus.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(opus.body()).path("error").path("message").asText()).startsWith("cannot use own model - must be one of: " + SONNET);
        assertThat(bedrock.take(200)).isEmpty();
    }
}
