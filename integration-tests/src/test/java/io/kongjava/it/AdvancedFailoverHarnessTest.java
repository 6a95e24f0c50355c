package io.kongjava.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kongjava.it.KongHarness.KongVersion;
import io.kongjava.testing.anthropic.Usage;
import io.kongjava.testing.clouds.FakeBedrock;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * java-ai-proxy-advanced under Kong's own plugin-server client (kong-harness): a Claude Code stream whose first
 * target (Anthropic) is dead is served by the Bedrock fake, which checks the SigV4 signature on its own; then the
 * real Claude Code CLI, when installed, does the same without noticing.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class AdvancedFailoverHarnessTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String AWS_KEY = "AKIDHARNESSTEST00001";
    private static final String AWS_SECRET = "harness/secret/KEY+0123456789abcdefghij";

    private static int deadPort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static String config(int deadPort, String bedrockUrl) {
        return """
                {"llm_format":"anthropic",
                 "balancer":{"algorithm":"priority","failover_criteria":["error","timeout","http_429","http_503"]},
                 "targets":[
                  {"weight":10,"description":"anthropic","auth":{"header_name":"x-api-key","header_value":"sk-ant-harness"},
                   "model":{"provider":"anthropic","name":"claude-sonnet-4-5","options":{"anthropic_version":"2023-06-01","upstream_url":"http://127.0.0.1:%d"}},
                   "logging":{"log_statistics":true}},
                  {"weight":1,"description":"bedrock","auth":{"aws_access_key_id":"%s","aws_secret_access_key":"%s"},
                   "model":{"provider":"bedrock","name":"us.anthropic.claude-sonnet-4-5-20250929-v1:0","model_alias":"claude-sonnet-4-5",
                            "options":{"bedrock":{"aws_region":"us-east-1"},"upstream_url":"%s","input_cost":3,"output_cost":15}},
                   "logging":{"log_statistics":true}}]}""".formatted(deadPort, AWS_KEY, AWS_SECRET, bedrockUrl);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(KongVersion.class)
    void aStreamFailsOverToBedrockUnderKongsOwnClient(KongVersion version) throws Exception {
        KongHarness.assumeAvailable();
        try (FakeBedrock bedrock = FakeBedrock.start(AWS_KEY, AWS_SECRET, "us-east-1")) {
            bedrock.always(new FakeBedrock.Behaviour.Answer("Four, through Kong's client.", new Usage(30, 8, 100, 900)));
            int dead = deadPort();
            try (KongHarness harness = KongHarness.start(version, List.of(
                    KongHarness.Plugin.of("java-ai-proxy-advanced", config(dead, bedrock.url())),
                    KongHarness.Plugin.of("java-file-log", "{\"path\": \"@RUN_DIR@/claude.json\"}")), "http://127.0.0.1:" + dead, 1)) {
                HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(harness.proxyUrl() + "/v1/messages?beta=true"))
                        .header("x-api-key", "sk-dummy").header("anthropic-version", "2023-06-01").header("content-type", "application/json")
                        .header("anthropic-beta", "claude-code-20250219")
                        .POST(HttpRequest.BodyPublishers.ofString("""
                                {"model":"claude-sonnet-4-5","max_tokens":512,"stream":true,"messages":[{"role":"user","content":"2+2?"}]}"""))
                        .build(), HttpResponse.BodyHandlers.ofString());

                assertThat(response.statusCode()).as("%s\n--- server log ---\n%s", response.body(), harness.serverLog()).isEqualTo(200);
                List<String> events = new ArrayList<>();
                for (String line : response.body().split("\n")) {
                    if (line.startsWith("event: ")) {
                        events.add(line.substring(7));
                    }
                }
                assertThat(events).startsWith("message_start").endsWith("message_stop").doesNotContain("error");
                assertThat(bedrock.take(1000).orElseThrow().signatureProblem()).isEmpty();

                Path logFile = harness.runDir().resolve("claude.json");
                JsonNode line = awaitLine(logFile, 8);
                assertThat(line).as("a java-file-log line in %s", logFile).isNotNull();
                JsonNode tried = line.path("ai").path("proxy").path("tried_targets");
                assertThat(tried.findValuesAsText("provider")).containsExactly("anthropic", "bedrock");
                assertThat(tried.findValuesAsText("outcome")).containsExactly("error", "complete");
                assertThat(line.path("ai").path("proxy").path("usage").path("prompt_tokens").asLong()).isEqualTo(30 + 100 + 900);

                if (ClaudeCli.BINARY.toFile().canExecute()) {
                    bedrock.always(new FakeBedrock.Behaviour.Answer("Bedrock via Kong: forty-two.", new Usage(1234, 17, 0, 0)));
                    ClaudeCli.Run run = ClaudeCli.run(harness.proxyUrl(), "claude-sonnet-4-5", "What is six times seven? Answer in one sentence.");
                    assertThat(run.exit()).as("claude exit status; stderr: %s; stdout: %s", run.err(), run.out()).isZero();
                    assertThat(run.out()).contains("Bedrock via Kong: forty-two.");
                    assertThat(awaitLine(logFile, 17).path("ai").path("proxy").path("meta").path("provider_name").asText()).isEqualTo("bedrock");
                }
                assertThat(Files.readString(logFile)).doesNotContain(AWS_SECRET).doesNotContain("sk-ant-harness");
                assertThat(harness.counts("p.java-ai-proxy-advanced.rpc_err.")).as("RPC errors Kong's client saw").isEmpty();
                assertThat(harness.nginxErrors()).isEmpty();
            }
        }
    }

    private static JsonNode awaitLine(Path logFile, long completionTokens) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            if (Files.exists(logFile)) {
                for (String text : Files.readAllLines(logFile).reversed()) {
                    JsonNode line = JSON.readTree(text);
                    if (line.path("ai").path("proxy").path("usage").path("completion_tokens").asLong() == completionTokens) {
                        return line;
                    }
                }
            }
            Thread.sleep(100);
        }
        return null;
    }
}
