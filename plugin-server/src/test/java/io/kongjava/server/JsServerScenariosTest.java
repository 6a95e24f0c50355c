package io.kongjava.server;

import io.kongjava.kongclient.EventOutcome;
import static org.assertj.core.api.Assertions.assertThat;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.time.Duration;

/**
 * The Kong-side scenarios against Kong's own JS plugin server, started the way Kong's docs configure it
 * ({@code kong-js-pluginserver -d <dir> -p <prefix> --sock-name <name>}). Needs node and
 * {@code npm ci} in testing/js-pluginserver; skipped with a message where they are missing, except in CI.
 */
class JsServerScenariosTest extends KongSideScenarios {

    static final Path JS_SERVER = Path.of("../testing/js-pluginserver").toAbsolutePath().normalize();

    private Path dir;
    private Process process;

    @Override
    protected Path startServer() throws Exception {
        Path bin = JS_SERVER.resolve("node_modules/.bin/kong-js-pluginserver");
        boolean available = Files.isExecutable(bin);
        if (!available && "true".equals(System.getenv("CI"))) {
            throw new IllegalStateException("CI must install Kong's JS plugin server: (cd testing/js-pluginserver && npm ci)");
        }
        assumeTrue(available, "Kong's JS plugin server is not installed; run (cd testing/js-pluginserver && npm ci) to check our client against it");
        dir = Files.createTempDirectory("kjs");
        process = new ProcessBuilder("node", bin.toString(), "-d", JS_SERVER.resolve("plugins").toString(),
                "-p", dir.toString(), "--sock-name", "js.sock")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        Path socket = dir.resolve("js.sock");
        await("kong-js-pluginserver listening on " + socket).atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException("kong-js-pluginserver exited with " + process.exitValue());
                    }
                    try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
                        return true;
                    } catch (IOException notYet) {
                        return false; // listening soon
                    }
                });
        return socket;
    }

    @Override
    protected void stopServer() throws Exception {
        if (process != null) {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
        if (dir != null) {
            Files.deleteIfExists(dir.resolve("js.sock"));
            Files.deleteIfExists(dir);
        }
    }

    @Override
    protected void assertThrowingPluginEnded(EventOutcome outcome, FakeKong request) {
        assertThat(outcome).isEqualTo(new EventOutcome.Returned(0));
    }
}
