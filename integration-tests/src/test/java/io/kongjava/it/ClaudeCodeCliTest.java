package io.kongjava.it;

import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.kongjava.testing.anthropic.RecordedRequest;
import io.kongjava.testing.anthropic.Reply;
import io.kongjava.testing.anthropic.Usage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import java.time.Duration;
import java.util.Optional;

/**
 * The mission, end to end: the real Claude Code CLI ({@code claude -p}) with
 * {@code ANTHROPIC_BASE_URL} at the local gateway's {@code /anything} route, through java-ai-proxy and
 * java-file-log, to the fake Anthropic API. The CLI comes from npm (testing/claude-code, installed by
 * ./test.sh); without it the test is skipped, except in CI, where a missing CLI is a failure.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ClaudeCodeCliTest {

    static final String REAL_KEY = "sk-ant-api03-operator-key-for-the-cli-test";

    HowToGateway howTo;

    @BeforeAll
    void start() throws Exception {
        ClaudeCli.assumeInstalled();
        howTo = HowToGateway.start(REAL_KEY);
    }

    @AfterAll
    void stop() {
        if (howTo != null) {
            howTo.close();
        }
    }

    @Test
    void claudeAnswersThroughTheGatewayAndTheLogLineHoldsTheExactTokens() throws Exception {
        String answer = "The gateway works: forty-two.";
        for (int i = 0; i < 8; i++) {
            // Claude Code may make background calls (titles, topic checks) before the conversation itself.
            howTo.anthropic.enqueue(Reply.text(answer).usage(Usage.of(1234, 17).withCache(2048, 4096)));
        }

        ClaudeCli.Run run = ClaudeCli.run(howTo.baseUrl() + "/anything", HowToGateway.PINNED_MODEL, "What is six times seven? Answer in one sentence.");

        assertThat(run.exit()).as("claude exit status; stderr: %s; stdout: %s", run.err(), run.out()).isZero();
        assertThat(run.out()).contains(answer);
        List<RecordedRequest> seen = new ArrayList<>();
        howTo.anthropic.takeRequest(java.time.Duration.ofSeconds(1)).ifPresent(seen::add);
        while (true) {
            var next = howTo.anthropic.takeRequest(java.time.Duration.ofMillis(200));
            if (next.isEmpty()) {
                break;
            }
            seen.add(next.get());
        }
        assertThat(seen).isNotEmpty().allSatisfy(request -> {
            assertThat(request.header("x-api-key")).hasValue(REAL_KEY);
            assertThat(request.path()).startsWith("/v1/messages");
        });
        RecordedRequest conversation = seen.stream()
                .filter(r -> r.path().equals("/v1/messages") && r.bodyText().contains("six times seven"))
                .reduce((first, second) -> second).orElseThrow(() -> new AssertionError("the prompt never reached the upstream: " + seen));
        assertThat(conversation.json().path("model").asText()).isEqualTo(HowToGateway.PINNED_MODEL);

        JsonNode line = await("a log line with the conversation's usage in " + howTo.logFile)
                .atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
                .until(() -> howTo.logLines().stream()
                        .filter(l -> l.path("request").path("uri").asText().startsWith("/anything/v1/messages"))
                        .filter(l -> l.path("ai").path("proxy").path("usage").path("completion_tokens").asLong() == 17)
                        .reduce((first, second) -> second), Optional::isPresent)
                .orElseThrow();
        JsonNode usage = line.path("ai").path("proxy").path("usage");
        assertThat(usage.path("prompt_tokens").asLong()).isEqualTo(1234 + 2048 + 4096);
        assertThat(usage.path("total_tokens").asLong()).isEqualTo(1234 + 2048 + 4096 + 17);
        assertThat(usage.path("prompt_tokens_details").path("cached_tokens").asLong()).isEqualTo(4096);
        JsonNode meta = line.path("ai").path("proxy").path("meta");
        assertThat(meta.path("provider_name").asText()).isEqualTo("anthropic");
        assertThat(meta.path("request_model").asText()).isEqualTo(HowToGateway.PINNED_MODEL);
        assertThat(meta.path("outcome").asText()).isEqualTo("complete");
        assertThat(line.path("request").path("headers").path("user-agent").asText()).startsWith("claude-cli/");
        assertThat(Files.readString(howTo.logFile)).doesNotContain(REAL_KEY).doesNotContain(ClaudeCli.DUMMY_KEY);
    }
}
