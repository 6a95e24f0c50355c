package io.kongjava.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MainTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void dumpPluginInfoPrintsOnlyAJsonArrayWithThatOnePlugin() throws Exception {
        assertThat(run("--dump-plugin-info", "test-greeter")).isZero();

        List<?> dump = new ObjectMapper().readValue(out.toString(StandardCharsets.UTF_8), List.class);
        assertThat(dump).hasSize(1);
        Map<?, ?> info = (Map<?, ?>) dump.getFirst();
        assertThat(info.get("Name")).isEqualTo("test-greeter");
        assertThat(info.get("Version")).isEqualTo("1.2.3");
        assertThat(info.get("Priority")).isEqualTo(1000);
        assertThat(info.get("Phases")).isEqualTo(List.of("access", "log"));
        Map<?, ?> schema = (Map<?, ?>) info.get("Schema");
        assertThat(schema.get("name")).isEqualTo("test-greeter");
        assertThat(out.toString(StandardCharsets.UTF_8)).endsWith("\n").doesNotContain("INFO").doesNotContain("info ");
    }

    @Test
    void kongStyleSingleDashFlagsWork() throws Exception {
        assertThat(run("-kong-prefix", "/tmp", "-dump-plugin-info", "test-greeter")).isZero();
        assertThat(new ObjectMapper().readValue(out.toString(StandardCharsets.UTF_8), List.class)).hasSize(1);
    }

    @Test
    void dumpObjectAnnouncesTheProtocol() throws Exception {
        assertThat(run("-dump")).isZero();

        Map<?, ?> dump = new ObjectMapper().readValue(out.toString(StandardCharsets.UTF_8), Map.class);
        assertThat(dump.get("Protocol")).isEqualTo("MsgPack:1");
        assertThat((List<?>) dump.get("Plugins")).isNotEmpty();
    }

    @Test
    void dumpAllPluginsPrintsAnArray() throws Exception {
        assertThat(run("--dump-all-plugins")).isZero();
        assertThat(new ObjectMapper().readValue(out.toString(StandardCharsets.UTF_8), List.class)).isNotEmpty();
    }

    @Test
    void anUnknownPluginNameFailsWithTheNamesThatExist() {
        assertThat(run("--dump-plugin-info", "nope")).isEqualTo(1);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("no plugin named nope").contains("test-greeter");
    }

    @Test
    void badOptionsExitWithUsageHelp() {
        assertThat(run("--frobnicate")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown option --frobnicate").contains("--help");
        err.reset();
        assertThat(run("--socket")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--socket needs a value");
    }

    @Test
    @org.junit.jupiter.api.Timeout(10)
    void metricsAskedForWithoutTheMetricsModuleIsAClearError() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("main-test");
        assertThat(run("--metrics-listen", "127.0.0.1:0", "--socket", dir.resolve("s.sock").toString())).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("cannot start metrics").contains("kong-java-metrics is not on the class path");
        assertThat(run("--metrics-listen")).isEqualTo(2);
        assertThat(run("--otlp-endpoint")).isEqualTo(2);
    }

    @Test
    void versionAndHelp() {
        assertThat(run("-v")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).startsWith("kong-java-pluginserver ");
        out.reset();
        assertThat(run("--help")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("--dump-plugin-info").contains("--kong-prefix");
    }

    /** A plugin jar holding only its provider list, as a build of {@code provider} would carry it. */
    private static void pluginJar(java.nio.file.Path jar, String provider) throws java.io.IOException {
        try (var out = new java.util.jar.JarOutputStream(java.nio.file.Files.newOutputStream(jar))) {
            out.putNextEntry(new java.util.jar.JarEntry("META-INF/services/io.kongjava.pdk.KongPlugin"));
            out.write((provider + "\n").getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
    }

    @Test
    void twoVersionsOfAPluginJarSideBySideAreRefusedNamingBothInsteadOfRunningTheFirstFound(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        pluginJar(dir.resolve("guard-1.0.jar"), "com.example.GuardPlugin");
        pluginJar(dir.resolve("guard-1.1.jar"), "com.example.GuardPlugin");

        assertThat(run("-d", dir.toString(), "--dump-plugin-info", "guard")).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("com.example.GuardPlugin is in [guard-1.0.jar, guard-1.1.jar]");
    }

    @Test
    void aLibraryCopiedTwiceIntoThePluginsDirectoryIsNamedInAWarning(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        for (String name : List.of("lib-1.0.jar", "lib-1.1.jar", "other.jar")) {
            try (var out = new java.util.jar.JarOutputStream(java.nio.file.Files.newOutputStream(dir.resolve(name)))) {
                out.putNextEntry(new java.util.jar.JarEntry(name.equals("other.jar") ? "com/other/Tool.class" : "com/lib/Util.class"));
                out.write(new byte[] {1});
                out.closeEntry();
            }
        }
        List<java.net.URL> jars = new java.util.ArrayList<>();
        for (String name : List.of("lib-1.0.jar", "lib-1.1.jar", "other.jar")) {
            jars.add(dir.resolve(name).toUri().toURL());
        }

        assertThat(PluginCatalog.sharedClasses(jars)).containsExactly("plugins directory: lib-1.0.jar and lib-1.1.jar hold 1 of the same"
                + " classes (com.lib.Util); each is loaded from the first, so keep one copy");
    }

    @Test
    void twoPluginsOfOneNameAreRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PluginCatalog.of(List.of(new GreeterPlugin(), new GreeterPlugin())))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("two plugins are named test-greeter");
    }

    @Test
    void aMissingPluginsDirectoryIsAClearError() {
        assertThat(run("-d", "/nonexistent/plugins", "--dump-all-plugins")).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("/nonexistent/plugins");
    }

    @Test
    void aServerKongSpawnedEndsWithItsNginxWorkerButOneAnOperatorStartedKeepsRunning() {
        assertThat(Main.shouldExitWithParent(null, null, "/usr/local/openresty/nginx/sbin/nginx")).isTrue();
        assertThat(Main.shouldExitWithParent(null, null, "/usr/sbin/nginx")).isTrue();
        assertThat(Main.shouldExitWithParent(null, null, "/usr/bin/bash")).isFalse();
        assertThat(Main.shouldExitWithParent(null, null, "/usr/lib/systemd/systemd")).isFalse();
        assertThat(Main.shouldExitWithParent(null, null, null)).isFalse();
        // the local gateway says so in the environment; an explicit flag beats both
        assertThat(Main.shouldExitWithParent(null, "true", "/usr/lib/jvm/temurin/bin/java")).isTrue();
        assertThat(Main.shouldExitWithParent(false, "true", "/usr/sbin/nginx")).isFalse();
        assertThat(Main.shouldExitWithParent(true, null, "/usr/bin/bash")).isTrue();
    }

    @Test
    void onSigtermTheServerWaitsForWhatIsInFlightThenEnds() {
        System.Logger log = System.getLogger("drain-test");
        java.util.concurrent.atomic.AtomicInteger streams = new java.util.concurrent.atomic.AtomicInteger(1);
        Thread.ofPlatform().start(() -> {
            try {
                Thread.sleep(300);
            } catch (InterruptedException ignored) {
                return;
            }
            streams.set(0); // the last stream ends
        });

        long started = System.nanoTime();
        Main.drain(() -> 0, streams::get, java.time.Duration.ofSeconds(10), log);
        long waitedMillis = (System.nanoTime() - started) / 1_000_000;

        assertThat(streams.get()).isZero();
        assertThat(waitedMillis).as("until the stream ended, not the limit").isBetween(250L, 5_000L);
    }

    @Test
    void theShutdownLogWritesTheServersOneLineFormStraightToStderrNotThroughJavaUtilLogging() {
        java.io.PrintStream before = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            System.Logger log = Main.shutdownLog();
            log.log(System.Logger.Level.INFO, "stopping: 2 event(s) in flight");
            log.log(System.Logger.Level.WARNING, "stopping with {0} event(s) still in flight", 1);
            log.log(System.Logger.Level.DEBUG, "not shown");
        } finally {
            System.setErr(before);
        }
        assertThat(captured.toString(java.nio.charset.StandardCharsets.UTF_8).lines())
                .containsExactly("info Main: stopping: 2 event(s) in flight", "warn Main: stopping with 1 event(s) still in flight");
    }

    @Test
    void aDrainGivesUpAtItsLimitAndAnIdleServerDoesNotWait() {
        System.Logger log = System.getLogger("drain-test");
        long started = System.nanoTime();
        Main.drain(() -> 1, () -> 0, java.time.Duration.ofMillis(300), log);
        assertThat((System.nanoTime() - started) / 1_000_000).isBetween(250L, 5_000L);

        started = System.nanoTime();
        Main.drain(() -> 0, () -> 0, java.time.Duration.ofSeconds(10), log);
        assertThat((System.nanoTime() - started) / 1_000_000).isLessThan(250L);
    }

    @Test
    void theDrainTimeoutIsAnOption() {
        assertThat(Main.Options.parse(new String[] {"--drain-timeout", "30"}).drainTimeout()).isEqualTo(java.time.Duration.ofSeconds(30));
        assertThat(Main.Options.parse(new String[0]).drainTimeout()).isEqualTo(java.time.Duration.ofSeconds(120));
        // a phase is ended 5 s before Kong's socket timeout would let the request through without the plugin
        assertThat(Main.Options.parse(new String[0]).replyTimeout()).isEqualTo(java.time.Duration.ofSeconds(55));
        assertThat(Main.Options.parse(new String[] {"--kong-timeout", "10"}).replyTimeout()).isEqualTo(java.time.Duration.ofSeconds(5));
        assertThat(Main.Options.parse(new String[] {"--kong-timeout", "10"}).stepTimeout()).isEqualTo(java.time.Duration.ofSeconds(15));
        assertThat(Main.Options.parse(new String[] {"--kong-timeout", "4"}).replyTimeout()).isEqualTo(java.time.Duration.ofSeconds(2));
    }

    @Test
    void theSocketModeIsAnOctalOption() {
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Main.Options.parse(new String[0]).socketMode())).isEqualTo("rw-------");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Main.Options.parse(new String[] {"--socket-mode", "0660"}).socketMode()))
                .isEqualTo("rw-rw----");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Main.Options.parse(new String[] {"--socket-mode", "666"}).socketMode()))
                .isEqualTo("rw-rw-rw-");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Main.Options.parse(new String[] {"--socket-mode", "rw"}))
                .hasMessage("--socket-mode needs an octal mode such as 0600 or 0660, got rw");
    }
}
