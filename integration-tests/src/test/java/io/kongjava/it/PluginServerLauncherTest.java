package io.kongjava.it;

import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kongjava.kongclient.KongRpcClient;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The launcher as Kong runs it: through {@code /bin/sh -c "exec <cmd>"} with an empty environment (no PATH,
 * no JAVA_HOME), for the query command and for the server itself.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PluginServerLauncherTest {

    private static Process kongStyle(String command) throws IOException {
        return kongStyle(command, Map.of());
    }

    private static Process kongStyle(String command, Map<String, String> environment) throws IOException {
        ProcessBuilder builder = new ProcessBuilder("/bin/sh", "-c", "exec " + command);
        builder.environment().clear();
        builder.environment().putAll(environment);
        return builder.redirectError(ProcessBuilder.Redirect.PIPE).start();
    }

    @Test
    void theQueryCommandPrintsOnlyJsonWithAnEmptyEnvironment() throws Exception {
        Process dump = kongStyle(Distribution.bin("kong-java-pluginserver") + " --dump-all-plugins");
        String out = new String(dump.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(dump.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(dump.waitFor()).as("exit status; stderr: %s", err).isZero();
        assertThat(new ObjectMapper().readValue(out, List.class)).isNotNull();
    }

    @Test
    void aKongJavaHomeBelowJava21IsPassedOverSayingWhyOnStderrAndTheDumpStaysPureJson() throws Exception {
        Path old = Files.createTempDirectory("kjp-old-jdk");
        Files.createDirectories(old.resolve("bin"));
        Files.writeString(old.resolve("release"), "JAVA_VERSION=\"17.0.15\"\n");
        Path java = Files.writeString(old.resolve("bin/java"), "#!/bin/sh\nexit 3\n");
        java.toFile().setExecutable(true);

        Process dump = kongStyle(Distribution.bin("kong-java-pluginserver") + " --dump-plugin-info java-file-log",
                Map.of("KONG_JAVA_HOME", old.toString()));
        String out = new String(dump.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(dump.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(dump.waitFor()).as("exit status; stderr: %s", err).isZero();
        assertThat(new ObjectMapper().readValue(out, List.class)).hasSize(1);
        assertThat(err).contains("KONG_JAVA_HOME=" + old + " is not a Java runtime >= 21 (17); looking for another");
    }

    @Test
    void aClassDataArchiveTheJvmCannotUseLeavesTheQueryOutputPureJson() throws Exception {
        Path corrupt = Files.createTempFile("kjp", ".jsa");
        Files.write(corrupt, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        Process dump = kongStyle(Distribution.bin("kong-java-pluginserver") + " --dump-plugin-info java-file-log",
                Map.of("KONG_JAVA_OPTS", "-XX:SharedArchiveFile=" + corrupt));
        String out = new String(dump.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(dump.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(dump.waitFor()).as("exit status; stderr: %s", err).isZero();
        assertThat(err).as("the JVM's complaint goes to stderr").contains("cds");
        assertThat(new ObjectMapper().readValue(out, List.class)).hasSize(1);
        Files.delete(corrupt);
    }

    @Test
    void theServerStartsWithAnEmptyEnvironmentListensOwnerOnlyAndCleansUpOnSigterm() throws Exception {
        Path prefix = Files.createTempDirectory("kjp-launch");
        Path socket = prefix.resolve("kong-java-pluginserver.socket");
        Process server = kongStyle(Distribution.bin("kong-java-pluginserver") + " -kong-prefix " + prefix);
        try {
            awaitSocket(socket, server);
            try (KongRpcClient kong = new KongRpcClient(socket, Duration.ofSeconds(5), 2)) {
                Map<?, ?> status = (Map<?, ?>) kong.call("plugin.GetStatus", null);
                assertThat(status.get("Pid")).isEqualTo(server.pid());
            }
            assertThat(Files.getPosixFilePermissions(socket)).hasSize(2);
        } finally {
            server.destroy();
            assertThat(server.waitFor(10, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(socket).doesNotExist();
        Files.deleteIfExists(prefix);
    }

    @Test
    void aServerStartedFromAShellThatExitsKeepsServingButOneTiedToItsParentEnds() throws Exception {
        // An operator's `nohup kong-java-pluginserver ... &` (Kong with no start_cmd): the shell goes away.
        long survivor = startFromShortLivedShell(Map.of());
        try {
            Thread.sleep(2500); // the parent check runs every second
            assertThat(ProcessHandle.of(survivor).map(ProcessHandle::isAlive)).contains(true);
        } finally {
            ProcessHandle.of(survivor).ifPresent(ProcessHandle::destroy);
        }

        // What Kong's nginx worker or the local gateway starts ends with it.
        long tied = startFromShortLivedShell(Map.of("KONG_JAVA_EXIT_WITH_PARENT", "true"));
        ProcessHandle handle = ProcessHandle.of(tied).orElseThrow();
        assertThat(handle.onExit().toCompletableFuture().completeOnTimeout(null, 10, TimeUnit.SECONDS).join())
                .as("the server tied to its parent exits after the parent").isNotNull();
    }

    @Test
    void theServerRunsWithASmallFootprintByDefaultAndKongJavaOptsOverridesIt() throws Exception {
        Assumptions.assumeTrue(Files.isReadable(Path.of("/proc/self/environ")), "needs Linux /proc to read the server's environment");
        // Defaults measured in bench/README.md (issue #16): the serial collector, a 64 MB heap, glibc's free memory
        // handed back every second, at most two malloc arenas; the compilers as the next test has them.
        ServerFlags defaults = serverFlags(Map.of("KONG_JAVA_OPTS", "-XX:+PrintFlagsFinal"));
        assertThat(defaults.flags()).containsEntry("TieredCompilation", "true")
                .containsEntry("UseSerialGC", "true").containsEntry("MaxHeapSize", String.valueOf(64L << 20));
        // A product option from 21.0.4 and 22.0.1; the launcher leaves it out on runtimes without it.
        if (defaults.flags().containsKey("TrimNativeHeapInterval")) {
            assertThat(defaults.flags()).containsEntry("TrimNativeHeapInterval", "1000");
        }
        assertThat(defaults.environment()).containsEntry("MALLOC_ARENA_MAX", "2");

        // The operator's KONG_JAVA_OPTS come later and win; an operator's MALLOC_ARENA_MAX is kept.
        ServerFlags overridden = serverFlags(Map.of("KONG_JAVA_OPTS",
                "-XX:+PrintFlagsFinal -XX:TieredStopAtLevel=4 -XX:CICompilerCount=2 -XX:CompileThresholdScaling=5 -Xmx128m",
                "MALLOC_ARENA_MAX", "4"));
        assertThat(overridden.flags()).containsEntry("TieredStopAtLevel", "4").containsEntry("CompileThresholdScaling", "5.000000")
                .containsEntry("MaxHeapSize", String.valueOf(128L << 20));
        // An operator who picks the compilers gets their usual thresholds, not C1's tenth.
        assertThat(serverFlags(Map.of("KONG_JAVA_OPTS", "-XX:+PrintFlagsFinal -XX:-TieredCompilation")).flags())
                .containsEntry("TieredCompilation", "false").containsEntry("CompileThresholdScaling", "1.000000");
        assertThat(overridden.environment()).containsEntry("MALLOC_ARENA_MAX", "4");
    }

    @Test
    void theServerRunsC1OnlyAndOnJava25FromTheAotCacheTheBuildTrained() throws Exception {
        Assumptions.assumeTrue(Files.isReadable(Path.of("/proc/self/environ")), "needs Linux /proc to read the server's environment");
        // C1 alone compiles a cold server's first events soonest (bench/README.md, "The AOT cache"), sooner still at a
        // tenth of its thresholds ("C1's thresholds").
        ServerFlags defaults = serverFlags(Map.of("KONG_JAVA_OPTS", "-XX:+PrintFlagsFinal"));
        assertThat(defaults.flags()).containsEntry("TieredStopAtLevel", "1").containsEntry("CompileThresholdScaling", "0.100000");
        Path cache = Distribution.HOME.resolve("lib/kong-java-pdk.aot");
        if (!defaults.flags().containsKey("AOTCache")) {
            assertThat(cache).as("an AOT cache on a runtime without them").doesNotExist();
            return;
        }
        // Java 25+: the build's training run made the cache for this runtime, and the server starts from it.
        assertThat(cache).as("the AOT cache the build trains (libexec/train-aot-cache)").isRegularFile();
        assertThat(defaults.flags()).containsEntry("AOTCache", cache.toString());

        // The documented opt-in for a long-running busy server: C2, with the cache's profiles.
        // C2's own thresholds: the tenth is C1's alone.
        ServerFlags c2 = serverFlags(Map.of("KONG_JAVA_OPTS", "-XX:+PrintFlagsFinal -XX:TieredStopAtLevel=4 -XX:CICompilerCount=2"));
        assertThat(c2.flags()).containsEntry("AOTCache", cache.toString()).containsEntry("TieredStopAtLevel", "4")
                .containsEntry("CompileThresholdScaling", "1.000000");

        // An operator's own class-data archive or cache wins: the JVM refuses to start with two, so ours steps aside.
        Path archive = Files.createTempFile("kjp-operator", ".jsa");
        Files.delete(archive);
        ServerFlags operators = serverFlags(Map.of("KONG_JAVA_OPTS", "-XX:+PrintFlagsFinal -Xshare:auto -XX:SharedArchiveFile=" + archive));
        assertThat(operators.flags()).containsEntry("AOTCache", "").containsEntry("TieredStopAtLevel", "1");
    }

    @Test
    void anAotCacheMadeByAnotherRuntimeIsLeftAloneAndTheServerRunsC1Only() throws Exception {
        Assumptions.assumeTrue(Files.isReadable(Path.of("/proc/self/environ")), "needs Linux /proc to read the server's environment");
        // A copy of the distribution whose cache's stamp names another runtime, as after a JDK update in place.
        Path copy = Files.createTempDirectory("kjp-other-runtime");
        for (String dir : List.of("bin", "libexec")) {
            copyTree(Distribution.HOME.resolve(dir), copy.resolve(dir));
        }
        Files.createDirectories(copy.resolve("lib"));
        try (var jars = Files.list(Distribution.HOME.resolve("lib"))) {
            for (Path jar : jars.filter(path -> path.toString().endsWith(".jar")).toList()) {
                Files.createSymbolicLink(copy.resolve("lib").resolve(jar.getFileName()), jar);
            }
        }
        Files.createSymbolicLink(copy.resolve("plugins"), Distribution.HOME.resolve("plugins"));
        Files.writeString(copy.resolve("lib/kong-java-pdk.aot"), "not a cache this runtime made");
        Files.writeString(copy.resolve("lib/kong-java-pdk.aot.jvm"), "/opt/another/jdk/bin/java Someone 25.0.0+1\n");

        ServerFlags flags = serverFlags(copy.resolve("bin/kong-java-pluginserver"), Map.of("KONG_JAVA_OPTS", "-XX:+PrintFlagsFinal"));
        assertThat(flags.flags()).containsEntry("TieredStopAtLevel", "1");
        assertThat(flags.flags().getOrDefault("AOTCache", "")).isEmpty();
    }

    @Test
    void aJarChangedAfterTheCacheWasMadeVoidsIt() throws Exception {
        Assumptions.assumeTrue(Files.isReadable(Path.of("/proc/self/environ")), "needs Linux /proc to read the server's environment");
        Assumptions.assumeTrue(Files.isRegularFile(Distribution.HOME.resolve("lib/kong-java-pdk.aot")),
                "needs the AOT cache the build makes on Java 25+");
        // JDK 25 serves a class from the cache even after its jar has changed, so the cache's stamp lists the jars.
        Path copy = Files.createTempDirectory("kjp-changed-jar");
        for (String dir : List.of("bin", "libexec", "lib", "plugins")) {
            copyTree(Distribution.HOME.resolve(dir), copy.resolve(dir));
        }
        Process stamp = kongStyle("/bin/sh -c '. " + copy + "/libexec/find-java.sh; KJP_HOME=" + copy + "; kjp_find_java; kjp_aot_stamp'");
        String stampText = new String(stamp.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(stamp.waitFor()).isZero();
        Files.writeString(copy.resolve("lib/kong-java-pdk.aot.jvm"), stampText);
        Path launcher = copy.resolve("bin/kong-java-pluginserver");
        assertThat(serverFlags(launcher, Map.of("KONG_JAVA_OPTS", "-XX:+PrintFlagsFinal")).flags())
                .as("the copy's cache, stamped for its jars").containsEntry("AOTCache", copy.resolve("lib/kong-java-pdk.aot").toString());

        Path jar;
        try (var jars = Files.list(copy.resolve("lib"))) {
            jar = jars.filter(path -> path.getFileName().toString().startsWith("kong-java-protocol-")).findFirst().orElseThrow();
        }
        Files.setLastModifiedTime(jar, java.nio.file.attribute.FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() + 86_400_000));

        ServerFlags afterChange = serverFlags(launcher, Map.of("KONG_JAVA_OPTS", "-XX:+PrintFlagsFinal"));
        assertThat(afterChange.flags()).containsEntry("AOTCache", "").containsEntry("TieredStopAtLevel", "1");
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (var paths = Files.walk(from)) {
            for (Path path : paths.toList()) {
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(path, target, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    @Test
    void anOperatorsCollectorInKongJavaOptsReplacesTheSerialDefault() throws Exception {
        Assumptions.assumeTrue(Files.isReadable(Path.of("/proc/self/environ")), "needs Linux /proc to read the server's environment");
        // The JVM refuses to start with two collectors, so the launcher's -XX:+UseSerialGC must step aside.
        ServerFlags parallel = serverFlags(Map.of("KONG_JAVA_OPTS", "-XX:+PrintFlagsFinal -XX:+UseParallelGC"));

        assertThat(parallel.flags()).containsEntry("UseParallelGC", "true").containsEntry("UseSerialGC", "false")
                .containsEntry("MaxHeapSize", String.valueOf(64L << 20));
    }

    private record ServerFlags(Map<String, String> flags, Map<String, String> environment) {
    }

    /** A product flag's line of -XX:+PrintFlagsFinal (experimental and diagnostic ones are left out). */
    private static final Pattern FLAG_LINE = Pattern.compile("^\\s*\\S+\\s+(\\w+)\\s+:?=\\s+(\\S*)\\s+\\{[\\w ]*product\\}.*");

    /** The JVM flags (-XX:+PrintFlagsFinal in KONG_JAVA_OPTS) and environment of a server the launcher starts. */
    private static ServerFlags serverFlags(Map<String, String> environment) throws Exception {
        return serverFlags(Distribution.bin("kong-java-pluginserver"), environment);
    }

    private static ServerFlags serverFlags(Path launcher, Map<String, String> environment) throws Exception {
        Path prefix = Files.createTempDirectory("kjp-flags");
        Process server = kongStyle(launcher + " -kong-prefix " + prefix, environment);
        try {
            Map<String, String> flags = new HashMap<>();
            try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))) {
                // The table is sorted by name and ends with ZeroTLAB; the server keeps stdout open after it.
                for (String line = lines.readLine(); line != null && !line.contains(" ZeroTLAB ") && flags.size() < 2000;
                        line = lines.readLine()) {
                    Matcher flag = FLAG_LINE.matcher(line);
                    if (flag.matches()) {
                        flags.put(flag.group(1), flag.group(2));
                    }
                }
            }
            Map<String, String> serverEnvironment = new HashMap<>();
            for (String entry : Files.readString(Path.of("/proc", String.valueOf(server.pid()), "environ")).split("\0")) {
                int equals = entry.indexOf('=');
                if (equals > 0) {
                    serverEnvironment.put(entry.substring(0, equals), entry.substring(equals + 1));
                }
            }
            assertThat(flags).as("-XX:+PrintFlagsFinal's table on stdout").containsKey("TieredStopAtLevel");
            return new ServerFlags(flags, serverEnvironment);
        } finally {
            server.destroy();
            assertThat(server.waitFor(10, TimeUnit.SECONDS)).isTrue();
            Files.deleteIfExists(prefix.resolve("kong-java-pluginserver.socket"));
            Files.deleteIfExists(prefix);
        }
    }

    /** Starts the server in the background of a shell that exits once it listens; returns the server's pid. */
    private static long startFromShortLivedShell(Map<String, String> environment) throws Exception {
        Path prefix = Files.createTempDirectory("kjp-orphan");
        Path socket = prefix.resolve("kong-java-pluginserver.socket");
        Process shell = kongStyle("/bin/sh -c '" + Distribution.bin("kong-java-pluginserver") + " -kong-prefix " + prefix
                + " 2>/dev/null & while [ ! -S " + socket + " ]; do sleep 0.1; done; sleep 0.5'", environment);
        awaitSocket(socket, null);
        long pid;
        try (KongRpcClient kong = new KongRpcClient(socket, Duration.ofSeconds(5), 2)) {
            pid = ((Number) ((Map<?, ?>) kong.call("plugin.GetStatus", null)).get("Pid")).longValue();
        }
        assertThat(shell.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return pid;
    }

    /** Waits until {@code socket} accepts; fails early when {@code process} (if given) has exited. */
    static void awaitSocket(Path socket, Process process) {
        await("a socket at " + socket).atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() -> {
            if (process != null && !process.isAlive()) {
                throw new IllegalStateException("exited with " + process.exitValue() + ": "
                        + new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            }
            return accepts(socket);
        });
    }

    private static boolean accepts(Path socket) {
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            return true;
        } catch (IOException notYet) {
            return false; // not bound yet, or binding in progress
        }
    }
}
