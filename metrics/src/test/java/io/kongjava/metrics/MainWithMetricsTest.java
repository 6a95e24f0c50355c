package io.kongjava.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.kongjava.server.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The server's command line with this module on the class path: a bad metrics address stops it with a clear line (a
 * port that is merely taken does not: MetricsProviderTest).
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class MainWithMetricsTest {

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(args, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void aBadListenAddressIsRefused() throws Exception {
        Path dir = Files.createTempDirectory("main-metrics");
        assertThat(run("--metrics-listen", "localhost:metrics", "--socket", dir.resolve("s.sock").toString())).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("cannot start metrics: metrics listen address must be HOST:PORT or PORT");
        assertThat(dir.resolve("s.sock")).doesNotExist();
    }
}
