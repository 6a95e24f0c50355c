package io.kongjava.it;

import static org.awaitility.Awaitility.await;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Drives kong-harness (../shared/kong-harness beside the checkout, or {@code KONG_HARNESS}): Kong's own,
 * unmodified plugin-server Lua under Debian's nginx, as the client of our distribution's plugin server.
 *
 * <p>Two uses:
 * <ul>
 *   <li>{@link #runConformance}: the harness's own checks ({@code run-conformance.sh}), with the result parsed so
 *       that a failing check names itself in the JUnit failure ({@link Conformance#assertPassed()}).</li>
 *   <li>{@link #start}: our plugin server plus the harness gateway with one or more plugins on its socket, for a test
 *       that sends its own requests ({@link #proxyUrl()}) and reads what Kong's client saw ({@link #status()},
 *       {@link #events()}). {@link #close()} stops nginx and the server's process group.</li>
 * </ul>
 *
 * <p>Call {@link #assumeAvailable()} first (both entry points do): it skips with one line when the harness, nginx
 * or its Lua modules are absent, except in CI ({@code CI=true}), where the harness and nginx must be there (.ci/run
 * installs the Debian packages) and their absence fails the test.
 */
public final class KongHarness implements AutoCloseable {

    /** The Kong versions whose plugin-server Lua the harness ships (kong-src/*). */
    public enum KongVersion {
        V3_9_3("3.9.3"),
        V3_10_DEV("3.10-dev");

        public final String directory;

        KongVersion(String directory) {
            this.directory = directory;
        }

        /** The KONG_SRC directory for this version. */
        public Path kongSrc() {
            return home().resolve("kong-src").resolve(directory);
        }

        @Override
        public String toString() {
            return "Kong " + directory;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Pattern SUMMARY = Pattern.compile("^(\\d+) passed, (\\d+) failed$");
    private static final Duration SERVER_START = Duration.ofSeconds(30);

    private final KongVersion version;
    private final Path runDir;
    private final Process server;
    private final int proxyPort;
    private final int adminPort;
    private final int echoPort;

    private KongHarness(KongVersion version, Path runDir, Process server, int proxyPort, int adminPort, int echoPort) {
        this.version = version;
        this.runDir = runDir;
        this.server = server;
        this.proxyPort = proxyPort;
        this.adminPort = adminPort;
        this.echoPort = echoPort;
    }

    // ---------------------------------------------------------------------------------------------------------
    // where the harness is, and whether it can run here

    /** The harness directory: {@code KONG_HARNESS}, else shared/kong-harness in the nearest directory above the checkout. */
    public static Path home() {
        String override = System.getenv("KONG_HARNESS");
        if (override != null && !override.isBlank()) {
            return Path.of(override).toAbsolutePath().normalize();
        }
        // ../shared/kong-harness beside the checkout; a git worktree nested deeper (e.g. /work/wt/NAME) finds the
        // one beside its main checkout's directory the same way, one level further up
        Path fallback = Distribution.repositoryRoot().resolve("../shared/kong-harness").normalize();
        for (Path dir = Distribution.repositoryRoot().getParent(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("shared/kong-harness");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        return fallback;
    }

    /** Why the harness cannot run on this machine, or empty when it can. */
    public static Optional<String> missing() {
        Path home = home();
        if (!Files.isExecutable(home.resolve("run-conformance.sh")) || !Files.isExecutable(home.resolve("gateway.sh"))) {
            return Optional.of("kong-harness not found at " + home + " (set KONG_HARNESS or put it at ../shared/kong-harness)");
        }
        for (KongVersion version : KongVersion.values()) {
            if (!Files.isRegularFile(version.kongSrc().resolve("kong/runloop/plugin_servers/rpc/mp_rpc.lua"))) {
                return Optional.of("kong-harness at " + home + " lacks Kong's Lua in " + version.kongSrc());
            }
        }
        List<String> absent = new ArrayList<>();
        for (String command : List.of("nginx", "python3", "curl", "setsid")) {
            if (onPath(command).isEmpty()) {
                absent.add(command);
            }
        }
        if (!Files.isRegularFile(Path.of("/usr/lib/nginx/modules/ngx_http_lua_module.so"))) {
            absent.add("libnginx-mod-http-lua");
        }
        if (Stream.of("/usr/share/lua/5.1/MessagePack.lua", "/usr/local/share/lua/5.1/MessagePack.lua").map(Path::of).noneMatch(Files::isRegularFile)) {
            absent.add("lua-messagepack");
        }
        if (!absent.isEmpty()) {
            return Optional.of("kong-harness needs " + String.join(", ", absent) + "; install with " + home + "/setup.sh --packages-only");
        }
        return Optional.empty();
    }

    /** Skips the calling test with one line when the harness cannot run here; fails instead in CI. */
    public static void assumeAvailable() {
        Optional<String> why = missing();
        if (why.isPresent() && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("CI must provide kong-harness and nginx (.ci/run installs them): " + why.get());
        }
        Assumptions.assumeTrue(why.isEmpty(), () -> why.orElseThrow());
    }

    private static Optional<Path> onPath(String command) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin";
        return Stream.of(path.split(":")).filter(dir -> !dir.isEmpty())
                .map(dir -> Path.of(dir, command)).filter(Files::isExecutable).findFirst();
    }

    /** Our plugin server's launcher in the distribution tree (mvn package). */
    public static Path pluginServer() {
        return Distribution.bin("kong-java-pluginserver");
    }

    // ---------------------------------------------------------------------------------------------------------
    // run-conformance.sh

    /** A run-conformance.sh run: its exit status, its output, and the checks it printed. */
    public record Conformance(List<String> command, int exitStatus, String output, int passed, int failed,
                              List<String> passes, List<String> failures) {

        /** Fails with the failing checks (and the output's tail) unless the run passed every check. */
        public void assertPassed() {
            if (exitStatus == 0 && failed == 0 && passed > 0) {
                return;
            }
            StringBuilder message = new StringBuilder("run-conformance.sh exited ").append(exitStatus).append(": ")
                    .append(passed).append(" passed, ").append(failed).append(" failed");
            if (passed + failed == 0) {
                message.append(" (no summary line)");
            }
            message.append('\n');
            failures.forEach(failure -> message.append("  ").append(failure).append('\n'));
            message.append("--- output (last 60 lines, repeated per-request errors left out) ---\n").append(tail(withoutRepeatedErrors(output), 60));
            throw new AssertionError(message.toString());
        }

        /** The output with at most three of the load driver's per-request error lines in a row. */
        static String withoutRepeatedErrors(String output) {
            StringBuilder kept = new StringBuilder();
            int inARow = 0;
            for (String line : output.split("\n")) {
                inARow = line.contains("   error: ") ? inARow + 1 : 0;
                if (inARow <= 3) {
                    kept.append(line).append('\n');
                } else if (inARow == 4) {
                    kept.append("      (more error lines like these)\n");
                }
            }
            return kept.toString();
        }

        /** The PASS line whose text contains {@code fragment}. */
        public Optional<String> pass(String fragment) {
            return passes.stream().filter(line -> line.contains(fragment)).findFirst();
        }

        static Conformance parse(List<String> command, int exitStatus, String output) {
            int passed = 0;
            int failed = 0;
            List<String> passes = new ArrayList<>();
            List<String> failures = new ArrayList<>();
            for (String line : output.split("\n")) {
                if (line.startsWith("PASS ")) {
                    passes.add(line.substring(5).strip());
                } else if (line.startsWith("FAIL ")) {
                    failures.add("FAIL " + line.substring(5).strip());
                }
                Matcher summary = SUMMARY.matcher(line.strip());
                if (summary.matches()) {
                    passed = Integer.parseInt(summary.group(1));
                    failed = Integer.parseInt(summary.group(2));
                }
            }
            return new Conformance(List.copyOf(command), exitStatus, output, passed, failed, List.copyOf(passes), List.copyOf(failures));
        }
    }

    /**
     * Runs {@code run-conformance.sh ARGS --port P} with KONG_SRC set to {@code version}'s sources, P the first of five
     * free consecutive ports. Returns when it ends; after {@code timeout} its process group is killed and the
     * result says so.
     */
    public static Conformance runConformance(KongVersion version, List<String> args, Duration timeout) throws IOException, InterruptedException {
        assumeAvailable();
        List<String> command = new ArrayList<>(List.of("setsid", home().resolve("run-conformance.sh").toString()));
        command.addAll(args);
        if (!args.contains("--port")) {
            command.addAll(List.of("--port", Integer.toString(freeConsecutivePorts(5))));
        }
        Path output = Files.createTempFile("kong-harness-conformance", ".out");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            builder.environment().put("KONG_SRC", version.kongSrc().toString());
            Process process = builder.start();
            boolean ended = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!ended) {
                killGroup(process);
            }
            String text = Files.readString(output, StandardCharsets.UTF_8);
            if (!ended) {
                text += "\nFAIL  run-conformance.sh did not end within " + timeout + " (killed)\n";
            }
            return Conformance.parse(command, ended ? process.exitValue() : -1, text);
        } finally {
            Files.deleteIfExists(output);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // a gateway of our own: the plugin server + gateway.sh

    /** One pluginserver entry: a plugin, its config (JSON text), and the query command Kong runs for it. */
    public record Plugin(String name, String configJson, String queryCmd) {
        /** The plugin dumped by our server's {@code --dump-plugin-info NAME}. */
        public static Plugin of(String name, String configJson) {
            return new Plugin(name, configJson, pluginServer() + " --dump-plugin-info " + name);
        }
    }

    /** Starts our plugin server and the harness gateway with {@code plugins} on its one socket, in Kong's order. */
    public static KongHarness start(KongVersion version, List<Plugin> plugins) throws Exception {
        return start(version, plugins, null, 1);
    }

    /**
     * As {@link #start(KongVersion, List)}, with the Service at {@code upstream} (null: the harness's echo server) and
     * {@code workers} nginx workers.
     */
    public static KongHarness start(KongVersion version, List<Plugin> plugins, String upstream, int workers) throws Exception {
        return start(version, plugins, upstream, workers, Map.of());
    }

    /** As {@link #start(KongVersion, List, String, int)}, with {@code serverEnv} added to the plugin server's environment. */
    public static KongHarness start(KongVersion version, List<Plugin> plugins, String upstream, int workers,
                                    Map<String, String> serverEnv) throws Exception {
        return start(version, plugins, upstream, workers, serverEnv, List.of());
    }

    /** As {@link #start(KongVersion, List, String, int, Map)}, with {@code serverArgs} added to the plugin server's command. */
    public static KongHarness start(KongVersion version, List<Plugin> plugins, String upstream, int workers,
                                    Map<String, String> serverEnv, List<String> serverArgs) throws Exception {
        assumeAvailable();
        if (plugins.isEmpty()) {
            throw new IllegalArgumentException("at least one plugin is needed");
        }
        Path runDir = Files.createTempDirectory("kong-harness-");
        Path prefix = runDir.resolve("prefix");
        Files.createDirectories(prefix);
        Path socket = prefix.resolve("java.sock");
        List<String> serverCommand = new ArrayList<>(List.of(pluginServer().toString(), "-kong-prefix", prefix.toString(),
                "--socket", socket.toString()));
        serverCommand.addAll(serverArgs);
        Process server = startInOwnGroup(serverCommand, runDir.resolve("server.log"), serverEnv);
        KongHarness harness = null;
        try {
            awaitSocket(socket, server, runDir.resolve("server.log"));
            // Four ports in one free run: separate calls to freePort() can be handed the same port twice.
            int proxyPort = freeConsecutivePorts(4);
            int adminPort = proxyPort + 1;
            int echoPort = proxyPort + 2;
            List<String> command = new ArrayList<>(List.of(home().resolve("gateway.sh").toString(), "start",
                    "--run-dir", runDir.resolve("gw").toString(), "--port", Integer.toString(proxyPort),
                    "--admin-port", Integer.toString(adminPort), "--echo-port", Integer.toString(echoPort),
                    "--baseline-port", Integer.toString(proxyPort + 3), "--workers", Integer.toString(workers),
                    "--socket", socket.toString()));
            if (upstream != null) {
                command.addAll(List.of("--upstream", upstream));
            }
            for (Plugin plugin : plugins) {
                Path config = runDir.resolve(plugin.name() + ".json");
                Files.writeString(config, plugin.configJson().replace("@RUN_DIR@", runDir.toString()));
                command.addAll(List.of("--plugin", plugin.name(), "--config", config.toString(), "--query-cmd", plugin.queryCmd()));
            }
            harness = new KongHarness(version, runDir, server, proxyPort, adminPort, echoPort);
            Run started = run(command, version, Duration.ofSeconds(60));
            if (started.exitStatus() != 0) {
                throw new IllegalStateException("gateway.sh start exited " + started.exitStatus() + ":\n" + started.output()
                        + "\n--- plugin server log ---\n" + tail(readQuietly(runDir.resolve("server.log")), 30));
            }
            return harness;
        } catch (Exception | Error e) {
            if (harness != null) {
                harness.close();
            } else {
                killGroup(server);
            }
            throw e;
        }
    }

    public KongVersion version() {
        return version;
    }

    /** The gateway's proxy, e.g. {@code http://127.0.0.1:PORT}; every path reaches the one catch-all route. */
    public String proxyUrl() {
        return "http://127.0.0.1:" + proxyPort;
    }

    /** The harness's admin API (/status, /events, POST /reload, POST /reset). */
    public String adminUrl() {
        return "http://127.0.0.1:" + adminPort;
    }

    /** The harness's echo upstream (the Service when no upstream was given). */
    public String echoUrl() {
        return "http://127.0.0.1:" + echoPort;
    }

    /** The directory holding the configs, the server's log ({@code server.log}) and the gateway ({@code gw/}). */
    public Path runDir() {
        return runDir;
    }

    /** The plugin server's pid (its own process group's leader). */
    public long serverPid() {
        return server.pid();
    }

    public boolean serverAlive() {
        return server.isAlive();
    }

    /** What Kong's client did: the plugins as loaded, call counters ({@code counts}), RPC timings. */
    public JsonNode status() throws IOException, InterruptedException {
        return getJson(adminUrl() + "/status");
    }

    /** The counter {@code counts.KEY} of {@link #status()}, 0 when absent (e.g. {@code p.java-file-log.event.log}). */
    public long count(String key) throws IOException, InterruptedException {
        return status().path("counts").path(key).asLong(0);
    }

    /** kong.log lines and RPC failures that Kong's client reported, oldest first. */
    public JsonNode events() throws IOException, InterruptedException {
        return getJson(adminUrl() + "/events");
    }

    /** nginx's error.log lines at level error or worse so far. */
    public List<String> nginxErrors() throws IOException {
        Path log = runDir.resolve("gw/logs/error.log");
        if (!Files.exists(log)) {
            return List.of();
        }
        return Files.readAllLines(log).stream().filter(line -> line.matches(".*\\[(error|crit|alert|emerg)].*")).toList();
    }

    /** The plugin server's stdout and stderr so far. */
    public String serverLog() {
        return readQuietly(runDir.resolve("server.log"));
    }

    private static JsonNode getJson(String url) throws IOException, InterruptedException {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("GET " + url + " answered " + response.statusCode() + ": " + response.body());
        }
        return JSON.readTree(response.body());
    }

    /** Stops nginx (gateway.sh stop) and the plugin server's process group; keeps the run directory. */
    @Override
    public void close() {
        try {
            run(List.of(home().resolve("gateway.sh").toString(), "stop", "--run-dir", runDir.resolve("gw").toString()), version, Duration.ofSeconds(20));
        } catch (IOException | InterruptedException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        } finally {
            killGroup(server);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // processes and ports

    record Run(int exitStatus, String output) {
    }

    private static Run run(List<String> command, KongVersion version, Duration timeout) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().put("KONG_SRC", version.kongSrc().toString());
        Process process = builder.start();
        // the gateway's nginx inherits no pipe of ours (it daemonizes), so reading to the end returns
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            return new Run(-1, output + "\n(killed after " + timeout + ")");
        }
        return new Run(process.exitValue(), output);
    }

    /**
     * Starts {@code command} as the leader of a new process group (setsid), output to {@code log}. The server stays
     * our child: it exits when its parent does.
     */
    static Process startInOwnGroup(List<String> command, Path log, Map<String, String> env) throws IOException {
        List<String> full = new ArrayList<>();
        full.add("setsid");
        full.addAll(command);
        ProcessBuilder builder = new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().putAll(env);
        return builder.start();
    }

    /** TERM to the process group led by {@code leader}, then KILL to whatever is left of it. */
    static void killGroup(Process leader) {
        long pgid = leader.pid();
        signalGroup("TERM", pgid);
        try {
            if (!leader.waitFor(10, TimeUnit.SECONDS)) {
                leader.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        signalGroup("KILL", pgid);
    }

    private static void signalGroup(String signal, long pgid) {
        try {
            new ProcessBuilder("kill", "-" + signal, "--", "-" + pgid).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            // nothing left to signal
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void awaitSocket(Path socket, Process server, Path log) {
        try {
            await().atMost(SERVER_START).pollInterval(Duration.ofMillis(50)).until(() -> {
                if (!server.isAlive()) {
                    throw new IllegalStateException("the plugin server exited with " + server.exitValue() + " before accepting:\n"
                            + tail(readQuietly(log), 30));
                }
                return accepts(socket);
            });
        } catch (ConditionTimeoutException e) {
            throw new IllegalStateException("the plugin server did not accept on " + socket + " within " + SERVER_START + ":\n"
                    + tail(readQuietly(log), 30));
        }
    }

    private static boolean accepts(Path socket) {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            return true;
        } catch (IOException notYet) {
            return false; // not bound, or bound but not yet accepting
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /**
     * The first of {@code count} consecutive ports free on 127.0.0.1 (run-conformance.sh uses PORT..PORT+4), below the
     * kernel's ephemeral range: a port in that range found free can be taken by any outgoing connection before the
     * harness binds it (a run failed with "port 38182 in use?" while a benchmark ran beside it).
     */
    static int freeConsecutivePorts(int count) throws IOException {
        int below = ephemeralRangeStart();
        for (int attempt = 0; attempt < 200; attempt++) {
            int base = ThreadLocalRandom.current().nextInt(10000, below - count);
            if (allFree(base, count)) {
                return base;
            }
        }
        throw new IOException("no " + count + " consecutive free ports found on 127.0.0.1");
    }

    private static int ephemeralRangeStart() {
        try {
            String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
            int start = Integer.parseInt(range.split("\\s+")[0]);
            return start > 10000 + 1000 ? start : 32768;
        } catch (IOException | RuntimeException unreadable) {
            return 32768;
        }
    }

    private static boolean allFree(int base, int count) {
        for (int port = base; port < base + count; port++) {
            try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                socket.setReuseAddress(true);
            } catch (IOException taken) {
                return false;
            }
        }
        return true;
    }

    static String tail(String text, int lines) {
        String[] all = text.split("\n");
        return String.join("\n", java.util.Arrays.copyOfRange(all, Math.max(0, all.length - lines), all.length));
    }

    private static String readQuietly(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return "(" + file + " unreadable: " + e + ")";
        }
    }

    /** Counters whose key starts with {@code prefix}, from {@link #status()}. */
    public Map<String, Long> counts(String prefix) throws IOException, InterruptedException {
        Map<String, Long> counts = new LinkedHashMap<>();
        status().path("counts").properties().forEach(entry -> {
            if (entry.getKey().startsWith(prefix)) {
                counts.put(entry.getKey(), entry.getValue().asLong());
            }
        });
        return counts;
    }
}
