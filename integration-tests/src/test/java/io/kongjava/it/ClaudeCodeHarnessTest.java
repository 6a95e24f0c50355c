package io.kongjava.it;

import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kongjava.it.KongHarness.KongVersion;
import io.kongjava.testing.anthropic.FakeAnthropic;
import io.kongjava.testing.anthropic.RecordedRequest;
import io.kongjava.testing.anthropic.Reply;
import io.kongjava.testing.anthropic.Usage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import java.util.Optional;

/**
 * The real Claude Code CLI through Kong's own plugin-server client (kong-harness): the how-to's layout, java-ai-proxy
 * and java-file-log as two pluginserver entries on one socket of one server process, the Service and
 * java-ai-proxy's upstream_url at the fake Anthropic API, which accepts only the operator's key.
 */
@Timeout(value = 200, unit = TimeUnit.SECONDS)
class ClaudeCodeHarnessTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String OPERATOR_KEY = "sk-ant-api03-operator-key-for-the-harness-test";
    private static final String MODEL = "claude-sonnet-4-5-20250929";

    @ParameterizedTest(name = "{0}")
    @EnumSource(KongVersion.class)
    void claudeAnswersThroughKongsClientAndTheLogLineHoldsTheTokens(KongVersion version) throws Exception {
        KongHarness.assumeAvailable();
        ClaudeCli.assumeInstalled();
        try (FakeAnthropic anthropic = FakeAnthropic.start().requireApiKey(OPERATOR_KEY)) {
            String aiProxy = JSON.writeValueAsString(JSON.createObjectNode()
                    .put("route_type", "llm/v1/chat").put("llm_format", "anthropic").put("max_request_body_size", 524288)
                    .<com.fasterxml.jackson.databind.node.ObjectNode>set("auth", JSON.createObjectNode().put("header_name", "x-api-key").put("header_value", OPERATOR_KEY))
                    .<com.fasterxml.jackson.databind.node.ObjectNode>set("logging", JSON.createObjectNode().put("log_statistics", true).put("log_payloads", false))
                    .set("model", JSON.createObjectNode().put("provider", "anthropic").put("name", MODEL)
                            .set("options", JSON.createObjectNode().put("anthropic_version", "2023-06-01").put("upstream_url", anthropic.url() + "/v1/messages"))));
            try (KongHarness harness = KongHarness.start(version, List.of(
                    KongHarness.Plugin.of("java-ai-proxy", aiProxy),
                    KongHarness.Plugin.of("java-file-log", "{\"path\": \"@RUN_DIR@/claude.json\"}")), anthropic.url(), 1)) {
                String answer = "The harness works: forty-two.";
                for (int i = 0; i < 8; i++) {
                    // Claude Code may make background calls (titles, topic checks) before the conversation itself
                    anthropic.enqueue(Reply.text(answer).usage(Usage.of(1234, 17).withCache(2048, 4096)));
                }

                ClaudeCli.Run run = ClaudeCli.run(harness.proxyUrl(), MODEL, "What is six times seven? Answer in one sentence.");

                assertThat(run.exit()).as("claude exit status; stderr: %s; stdout: %s; server log: %s", run.err(), run.out(), harness.serverLog()).isZero();
                assertThat(run.out()).contains(answer);
                List<RecordedRequest> seen = new ArrayList<>();
                anthropic.takeRequest(Duration.ofSeconds(1)).ifPresent(seen::add);
                for (var next = anthropic.takeRequest(Duration.ofMillis(200)); next.isPresent(); next = anthropic.takeRequest(Duration.ofMillis(200))) {
                    seen.add(next.get());
                }
                assertThat(seen).isNotEmpty().allSatisfy(request -> {
                    assertThat(request.header("x-api-key")).hasValue(OPERATOR_KEY);
                    assertThat(request.path()).startsWith("/v1/messages");
                    assertThat(request.json().path("model").asText()).isEqualTo(MODEL);
                });
                assertThat(seen).anySatisfy(request -> assertThat(request.bodyText()).contains("six times seven"));

                Path logFile = harness.runDir().resolve("claude.json");
                JsonNode line = awaitLine(logFile);
                assertThat(line).as("a java-file-log line with the conversation's usage in %s", logFile).isNotNull();
                JsonNode usage = line.path("ai").path("proxy").path("usage");
                assertThat(usage.path("prompt_tokens").asLong()).isEqualTo(1234 + 2048 + 4096);
                assertThat(usage.path("completion_tokens").asLong()).isEqualTo(17);
                assertThat(usage.path("total_tokens").asLong()).isEqualTo(1234 + 2048 + 4096 + 17);
                assertThat(line.path("ai").path("proxy").path("meta").path("request_model").asText()).isEqualTo(MODEL);
                assertThat(line.path("request").path("headers").path("user-agent").asText()).startsWith("claude-cli/");
                assertThat(Files.readString(logFile)).doesNotContain(OPERATOR_KEY).doesNotContain(ClaudeCli.DUMMY_KEY);

                assertThat(harness.counts("p.java-ai-proxy.rpc_err.")).as("RPC errors Kong's client saw").isEmpty();
                assertThat(harness.counts("p.java-file-log.rpc_err.")).as("RPC errors Kong's client saw").isEmpty();
                assertThat(harness.nginxErrors()).isEmpty();
            }
        }
    }

    private static JsonNode awaitLine(Path logFile) {
        return await("a line with the conversation's usage in " + logFile).atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    if (!Files.exists(logFile)) {
                        return Optional.<JsonNode>empty();
                    }
                    for (String text : Files.readAllLines(logFile).reversed()) {
                        JsonNode line = JSON.readTree(text);
                        if (line.path("ai").path("proxy").path("usage").path("completion_tokens").asLong() == 17) {
                            return Optional.of(line);
                        }
                    }
                    return Optional.<JsonNode>empty();
                }, Optional::isPresent)
                .orElseThrow();
    }
}
