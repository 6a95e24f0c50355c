package io.kongjava.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.kongjava.testing.anthropic.RecordedRequest;
import io.kongjava.testing.anthropic.Reply;
import io.kongjava.testing.anthropic.Usage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The mission, end to end: the real Claude Code CLI ({@code claude -p}) with
 * {@code ANTHROPIC_BASE_URL} at the local gateway's {@code /anything} route, through java-ai-proxy and
 * java-file-log, to the fake Anthropic API. The CLI comes from npm (testing/claude-code, installed by
 * .ci/run); without it the test is skipped, except in CI, where a missing CLI is a failure.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ClaudeCodeCliTest {

    static final String REAL_KEY = "sk-ant-api03-operator-key-for-the-cli-test";
    static final Path CLAUDE = Distribution.repositoryRoot()
            .resolve("testing/claude-code/node_modules/@anthropic-ai/claude-code-linux-x64/claude");

    HowToGateway howTo;

    @BeforeAll
    void start() throws Exception {
        boolean installed = Files.isExecutable(CLAUDE);
        if (!installed && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("CI must install the Claude Code CLI (npm ci in testing/claude-code); not found at " + CLAUDE);
        }
        Assumptions.assumeTrue(installed, "Claude Code CLI not installed; run: (cd testing/claude-code && npm ci)");
        howTo = HowToGateway.start(REAL_KEY);
    }

    @AfterAll
    void stop() {
        if (howTo != null) {
            howTo.close();
        }
    }

    record Run(int exit, String out, String err) {
    }

    Run claude(String prompt) throws Exception {
        Path home = Files.createTempDirectory("claude-home");
        List<String> command = new ArrayList<>(List.of(CLAUDE.toString(), "-p", prompt));
        ProcessBuilder builder = new ProcessBuilder(command).directory(home.toFile());
        builder.environment().clear();
        builder.environment().put("HOME", home.toString());
        builder.environment().put("PATH", "/usr/local/bin:/usr/bin:/bin");
        builder.environment().put("ANTHROPIC_BASE_URL", howTo.baseUrl() + "/anything");
        builder.environment().put("ANTHROPIC_API_KEY", "sk-ant-dummy-the-gateway-replaces-it");
        builder.environment().put("ANTHROPIC_MODEL", HowToGateway.PINNED_MODEL);
        builder.environment().put("ANTHROPIC_DEFAULT_HAIKU_MODEL", HowToGateway.PINNED_MODEL);
        builder.environment().put("ANTHROPIC_SMALL_FAST_MODEL", HowToGateway.PINNED_MODEL);
        builder.environment().put("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
        builder.environment().put("DISABLE_AUTOUPDATER", "1");
        Process process = builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        var out = process.getInputStream();
        var err = process.getErrorStream();
        var errText = new StringBuilder();
        Thread errReader = Thread.ofVirtual().start(() -> {
            try {
                errText.append(new String(err.readAllBytes(), StandardCharsets.UTF_8));
            } catch (java.io.IOException ignored) {
                // process ended
            }
        });
        String outText = new String(out.readAllBytes(), StandardCharsets.UTF_8);
        boolean ended = process.waitFor(150, TimeUnit.SECONDS);
        if (!ended) {
            process.destroyForcibly();
        }
        errReader.join(5000);
        return new Run(ended ? process.exitValue() : -1, outText, errText.toString());
    }

    @Test
    void claudeAnswersThroughTheGatewayAndTheLogLineHoldsTheExactTokens() throws Exception {
        String answer = "The gateway works: forty-two.";
        for (int i = 0; i < 8; i++) {
            // Claude Code may make background calls (titles, topic checks) before the conversation itself.
            howTo.anthropic.enqueue(Reply.text(answer).usage(Usage.of(1234, 17).withCache(2048, 4096)));
        }

        Run run = claude("What is six times seven? Answer in one sentence.");

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

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        JsonNode line = null;
        while (line == null && System.nanoTime() < deadline) {
            line = howTo.logLines().stream()
                    .filter(l -> l.path("request").path("uri").asText().startsWith("/anything/v1/messages"))
                    .filter(l -> l.path("ai").path("proxy").path("usage").path("completion_tokens").asLong() == 17)
                    .reduce((first, second) -> second).orElse(null);
            Thread.sleep(100);
        }
        assertThat(line).as("a log line with the conversation's usage in %s", howTo.logFile).isNotNull();
        JsonNode usage = line.path("ai").path("proxy").path("usage");
        assertThat(usage.path("prompt_tokens").asLong()).isEqualTo(1234 + 2048 + 4096);
        assertThat(usage.path("total_tokens").asLong()).isEqualTo(1234 + 2048 + 4096 + 17);
        assertThat(usage.path("prompt_tokens_details").path("cached_tokens").asLong()).isEqualTo(4096);
        JsonNode meta = line.path("ai").path("proxy").path("meta");
        assertThat(meta.path("provider_name").asText()).isEqualTo("anthropic");
        assertThat(meta.path("request_model").asText()).isEqualTo(HowToGateway.PINNED_MODEL);
        assertThat(meta.path("outcome").asText()).isEqualTo("complete");
        assertThat(line.path("request").path("headers").path("user-agent").asText()).startsWith("claude-cli/");
        assertThat(Files.readString(howTo.logFile)).doesNotContain(REAL_KEY).doesNotContain("sk-ant-dummy-the-gateway-replaces-it");
    }
}
