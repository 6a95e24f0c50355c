package io.kongjava.it;

import io.kongjava.it.KongHarness.KongVersion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * kong-harness's own checks against our distribution, for each Kong version it ships: Kong's unmodified
 * plugin-server Lua is the client. Correctness only (every check of the harness, among them 0 failed requests,
 * 0 lost log events and 0 RPC errors under a burst); the latency figures it prints are not asserted.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class KongHarnessConformanceTest {

    private static final Duration RUN_LIMIT = Duration.ofSeconds(200);

    /** The basic suite with java-file-log: dump, start, load, a 3000-request burst with every log line counted, config change, restart. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(KongVersion.class)
    void basicSuiteWithJavaFileLog(KongVersion version) throws Exception {
        Path prefix = Files.createTempDirectory("kh-basic");
        Path config = prefix.resolve("java-file-log.json");
        Files.writeString(config, "{\"path\": \"@RUN_DIR@/file.log\"}");
        String server = KongHarness.pluginServer().toString();
        KongHarness.runConformance(version, List.of(
                server + " -kong-prefix " + prefix + " --socket " + prefix + "/java.sock", prefix + "/java.sock",
                "java-file-log", config.toString(),
                "--query-cmd", server + " --dump-plugin-info java-file-log",
                "--burst", "3000", "--log-file", "@RUN_DIR@/file.log"), RUN_LIMIT).assertPassed();
    }

    /** Kong's Claude Code how-to: java-ai-proxy + java-file-log on one socket, the fake Anthropic API, a 500-request burst. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(KongVersion.class)
    void howToSuite(KongVersion version) throws Exception {
        Path prefix = Files.createTempDirectory("kh-howto");
        String server = KongHarness.pluginServer().toString();
        KongHarness.runConformance(version, List.of(
                server + " -kong-prefix " + prefix + " --socket " + prefix + "/java.sock", prefix + "/java.sock",
                "--suite", "howto",
                "--query-cmd", server + " --dump-plugin-info {plugin}",
                "--burst", "500"), RUN_LIMIT).assertPassed();
    }
}
