package io.kongjava.it;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The real Claude Code CLI ({@code claude -p}) from npm (testing/claude-code; ./test.sh installs it), run as an
 * operator would behind a gateway: {@code ANTHROPIC_BASE_URL} at the gateway, a dummy key the gateway replaces,
 * every model pinned to the gateway's model, a fresh HOME and no non-essential traffic.
 */
final class ClaudeCli {

    static final Path BINARY = Distribution.repositoryRoot()
            .resolve("testing/claude-code/node_modules/@anthropic-ai/claude-code-linux-x64/claude");
    static final String DUMMY_KEY = "sk-ant-dummy-the-gateway-replaces-it";

    record Run(int exit, String out, String err) {
    }

    private ClaudeCli() {
    }

    /** Skips without the CLI; in CI (CI=true) its absence is a failure. */
    static void assumeInstalled() {
        boolean installed = Files.isExecutable(BINARY);
        if (!installed && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("CI must install the Claude Code CLI (npm ci in testing/claude-code); not found at " + BINARY);
        }
        Assumptions.assumeTrue(installed, "Claude Code CLI not installed; run ./test.sh or (cd testing/claude-code && npm ci --ignore-scripts)");
    }

    /** Runs {@code claude -p PROMPT} against {@code baseUrl}; gives up after 150 s. */
    static Run run(String baseUrl, String model, String prompt) throws IOException, InterruptedException {
        Path home = Files.createTempDirectory("claude-home");
        ProcessBuilder builder = new ProcessBuilder(List.of(BINARY.toString(), "-p", prompt)).directory(home.toFile());
        builder.environment().clear();
        builder.environment().put("HOME", home.toString());
        builder.environment().put("PATH", "/usr/local/bin:/usr/bin:/bin");
        builder.environment().put("ANTHROPIC_BASE_URL", baseUrl);
        builder.environment().put("ANTHROPIC_API_KEY", DUMMY_KEY);
        builder.environment().put("ANTHROPIC_MODEL", model);
        builder.environment().put("ANTHROPIC_DEFAULT_HAIKU_MODEL", model);
        builder.environment().put("ANTHROPIC_SMALL_FAST_MODEL", model);
        builder.environment().put("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
        builder.environment().put("DISABLE_AUTOUPDATER", "1");
        Process process = builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        var errText = new StringBuilder();
        Thread errReader = Thread.ofVirtual().start(() -> {
            try {
                errText.append(new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException ignored) {
                // process ended
            }
        });
        String outText = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        boolean ended = process.waitFor(150, TimeUnit.SECONDS);
        if (!ended) {
            process.destroyForcibly();
        }
        errReader.join(5000);
        return new Run(ended ? process.exitValue() : -1, outText, errText.toString());
    }
}
