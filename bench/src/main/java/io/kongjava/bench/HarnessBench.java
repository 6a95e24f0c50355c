package io.kongjava.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kongjava.gateway.PluginServerProcesses;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Kong's own plugin-server client (kong-harness: Kong's unmodified Lua under Debian's nginx) drives our server
 * and Kong's JS server (kong-pdk) with the same plugin logic, one after the other in one run:
 * java-file-log / js-file-log (log phase: serialize, append one JSON line) and java-hello / js-hello (access
 * phase: read a header, set two). Per row: requests/s and latency at the client, HandleEvent and Step round
 * trips as Kong's mp_rpc saw them (the harness's /status), CPU per event of the server process
 * (/proc/PID/stat before and after), events lost, RPC errors, and the server's resident memory. With a C
 * compiler, a third server gives the floor: bench/external/null_server.c, the same PDK calls and nothing else.
 *
 * <pre>bench/run.sh harness [--requests 3000] [--concurrency 50] [--warmup 500] [--kong 3.10-dev|3.9.3] [--smoke]</pre>
 */
public final class HarnessBench {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Duration SETTLE = Duration.ofSeconds(60);

    /** A server and the plugin it runs: how to start it, how Kong queries it, and the phase its events are. */
    record Scenario(String server, String plugin, String phase, List<String> startCommand, Path socket, String queryCmd,
                    String configJson, boolean writesLines) {
    }

    record Timing(long n, double p50Ms, double p99Ms) {
        static Timing of(JsonNode latency) {
            return new Timing(latency.path("n").asLong(), latency.path("p50_ms").asDouble(Double.NaN), latency.path("p99_ms").asDouble(Double.NaN));
        }
    }

    record Row(Scenario scenario, long requests, long failed, double rps, double p50Ms, double p99Ms, Timing handleEvent, Timing step,
               long events, long lost, long rpcErrors, double cpuMicrosPerEvent, long rssMiB, Map<String, Long> rpcErrorKinds,
               double cpuSecondsBeforeTraffic, double cpuSecondsBeforeWindow, double secondsToTraffic) {
    }

    private HarnessBench() {
    }

    public static void main(String[] args) throws Exception {
        int requests = 3000;
        int concurrency = 50;
        int warmup = 500;
        String kong = "3.10-dev";
        boolean hog = false;
        int rounds = 1;
        boolean howTo = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--requests" -> requests = Integer.parseInt(args[++i]);
                case "--concurrency" -> concurrency = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--kong" -> kong = args[++i];
                case "--smoke" -> {
                    requests = 200;
                    warmup = 50;
                }
                case "--hog" -> hog = true;
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--no-howto" -> howTo = false;
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (--requests N, --concurrency C, --warmup N, --kong 3.10-dev|3.9.3, --hog, --smoke, --rounds N, --no-howto)");
            }
        }
        System.out.println("# Kong's client (kong-harness) against each plugin server (" + Machine.describe() + ")");
        Optional<String> missing = missing(kong);
        if (missing.isPresent()) {
            if ("true".equals(System.getenv("CI"))) {
                throw new IllegalStateException("CI must provide kong-harness and nginx: " + missing.get());
            }
            System.out.println("# skipped: " + missing.get());
            return;
        }
        Path harness = harnessHome();
        Path kongSrc = harness.resolve("kong-src").resolve(kong);
        System.out.printf("# Kong %s (commit %s), one nginx worker; %d requests by %d clients after %d warm-up requests per row%n",
                kong, Files.readString(kongSrc.resolve("KONG_COMMIT")).strip().substring(0, 12), requests, concurrency, warmup);
        System.out.println("# client latency and req/s include nginx, the echo upstream and the load driver, all on the same cores;"
                + " HandleEvent/Step are Kong's mp_rpc round trips; CPU is the server process's user+system time per event");

        Path dir = Files.createTempDirectory("kjp-harness-bench");
        List<Scenario> scenarios = scenarios(dir);
        // A busy loop in its own process, beside Kong, the servers and the load driver on the same cores: what a
        // build or a noisy neighbour does to the plugin server's answers (ended with the run).
        Process cpuHog = hog ? new ProcessBuilder("sh", "-c", "while :; do :; done").start() : null;
        if (hog) {
            System.out.println("# a CPU hog (one busy shell loop, pid " + cpuHog.pid() + ") runs beside every row");
        }
        try {
            List<Row> all = new ArrayList<>();
            for (int round = 1; round <= rounds; round++) {
                if (rounds > 1) {
                    System.out.printf("## round %d of %d%n", round, rounds);
                }
                all.addAll(runRows(harness, kongSrc, dir, scenarios, requests, concurrency, warmup));
            }
            if (rounds > 1) {
                summarize(all, rounds);
            }
            if (howTo) {
                howTo(harness, kongSrc, dir, requests, concurrency);
            }
        } finally {
            if (cpuHog != null) {
                cpuHog.destroyForcibly();
            }
        }
    }

    private static List<Row> runRows(Path harness, Path kongSrc, Path dir, List<Scenario> scenarios, int requests, int concurrency,
                                     int warmup) throws Exception {
        System.out.println("# CPU s before: the server's CPU before Kong's first request (start-up and any warm-up of its own, over the"
                + " 'after' seconds from its start to that request) / before the measured requests (plus Kong's warm-up requests)");
        System.out.printf("%-5s %-14s %-6s %6s %8s %8s %8s %17s %17s %7s %5s %6s %8s %8s %8s %17s%n", "srv", "plugin", "phase", "reqs", "req/s",
                "p50 ms", "p99 ms", "HandleEvent p50/99", "Step p50/99 ms", "events", "lost", "failed", "rpc-err", "CPU us/ev", "RSS MiB",
                "CPU s before (after)");
        List<Row> rows = new ArrayList<>();
        for (Scenario scenario : scenarios) {
            Row row = measure(harness, kongSrc, dir, scenario, requests, concurrency, warmup);
            rows.add(row);
            System.out.printf("%-5s %-14s %-6s %6d %8.0f %8.2f %8.2f %8.2f/%-8.2f %8.2f/%-8.2f %7d %5d %6d %8d %8.1f %8d %5.2f/%-5.2f (%3.1f s)%n",
                    scenario.server(), scenario.plugin(), scenario.phase(), row.requests(), row.rps(), row.p50Ms(), row.p99Ms(),
                    row.handleEvent().p50Ms(), row.handleEvent().p99Ms(), row.step().p50Ms(), row.step().p99Ms(),
                    row.events(), row.lost(), row.failed(), row.rpcErrors(), row.cpuMicrosPerEvent(), row.rssMiB(),
                    row.cpuSecondsBeforeTraffic(), row.cpuSecondsBeforeWindow(), row.secondsToTraffic());
            row.rpcErrorKinds().forEach((kind, count) -> System.out.printf("#   %s RPC errors as Kong's client reported them: %d x %s%n",
                    scenario.plugin(), count, kind));
        }
        for (String phase : List.of("log", "access")) {
            Optional<Row> java = rows.stream().filter(r -> r.scenario().server().equals("java") && r.scenario().phase().equals(phase)).findFirst();
            Optional<Row> js = rows.stream().filter(r -> r.scenario().server().equals("js") && r.scenario().phase().equals(phase)).findFirst();
            if (java.isPresent() && js.isPresent()) {
                System.out.printf("%s phase: java req/s = %.2fx js; java CPU per event = %.2fx js; HandleEvent p50 java %.2f ms, js %.2f ms;"
                                + " server CPU before the measured requests java %.2f s, js %.2f s%n",
                        phase, java.get().rps() / js.get().rps(), java.get().cpuMicrosPerEvent() / js.get().cpuMicrosPerEvent(),
                        java.get().handleEvent().p50Ms(), js.get().handleEvent().p50Ms(),
                        java.get().cpuSecondsBeforeWindow(), js.get().cpuSecondsBeforeWindow());
                rows.stream().filter(r -> r.scenario().server().equals("null") && r.scenario().phase().equals(phase)).findFirst()
                        .ifPresent(floor -> System.out.println(floor.cpuMicrosPerEvent() == 0
                                ? phase + " phase: the floor (null_server.c) used under one clock tick of CPU: too few events to compare"
                                : String.format("%s phase: the floor (null_server.c) CPU per event = %.2fx js, java's = %.2fx the floor",
                                        phase, floor.cpuMicrosPerEvent() / js.get().cpuMicrosPerEvent(),
                                        java.get().cpuMicrosPerEvent() / floor.cpuMicrosPerEvent())));
            }
        }
        return rows;
    }

    /**
     * One run's p99 on this VM moves several times over between runs (a java-hello HandleEvent p99 of 95 ms, then 14):
     * with {@code --rounds N} each figure is shown as its median and range over the rounds, and the p99 comparison
     * counts the rounds where each server was the faster one.
     */
    static void summarize(List<Row> rows, int rounds) {
        System.out.printf("%nover %d rounds (median, min-max):%n", rounds);
        for (String phase : List.of("log", "access")) {
            for (String server : List.of("java", "js", "null")) {
                List<Row> mine = rows.stream().filter(r -> r.scenario().server().equals(server) && r.scenario().phase().equals(phase)).toList();
                if (mine.isEmpty()) {
                    continue;
                }
                System.out.printf("  %-6s %-4s HandleEvent p99 %s  Step p99 %s  CPU us/ev %s  req/s %s  lost %d failed %d rpc-err %d%n",
                        phase, server, spread(mine, r -> r.handleEvent().p99Ms()), spread(mine, r -> r.step().p99Ms()),
                        spread(mine, Row::cpuMicrosPerEvent), spread(mine, Row::rps), mine.stream().mapToLong(Row::lost).sum(),
                        mine.stream().mapToLong(Row::failed).sum(), mine.stream().mapToLong(Row::rpcErrors).sum());
            }
            List<Row> java = rows.stream().filter(r -> r.scenario().server().equals("java") && r.scenario().phase().equals(phase)).toList();
            List<Row> js = rows.stream().filter(r -> r.scenario().server().equals("js") && r.scenario().phase().equals(phase)).toList();
            if (java.size() == js.size() && !java.isEmpty()) {
                int handleEvent = 0;
                int step = 0;
                for (int i = 0; i < java.size(); i++) {
                    handleEvent += java.get(i).handleEvent().p99Ms() <= js.get(i).handleEvent().p99Ms() ? 1 : 0;
                    step += java.get(i).step().p99Ms() <= js.get(i).step().p99Ms() ? 1 : 0;
                }
                System.out.printf("  %-6s java's p99 at or under js's in the same round: HandleEvent %d of %d, Step %d of %d%n",
                        phase, handleEvent, java.size(), step, java.size());
            }
        }
    }

    private static String spread(List<Row> rows, java.util.function.ToDoubleFunction<Row> figure) {
        double[] values = rows.stream().mapToDouble(figure).sorted().toArray();
        double median = values.length % 2 == 1 ? values[values.length / 2] : (values[values.length / 2 - 1] + values[values.length / 2]) / 2;
        return String.format("%.2f (%.2f-%.2f)", median, values[0], values[values.length - 1]);
    }

    /**
     * The how-to's layout, java-ai-proxy and java-file-log on one server, through the harness's own how-to suite
     * with its burst (half of the requests streamed, 8 SSE events 50 ms apart from its fake Anthropic API). Java
     * only: kong-pdk has no AI proxy to compare with. CPU and peak resident memory are the server's over the
     * whole suite, start-up included.
     */
    static void howTo(Path harness, Path kongSrc, Path dir, int requests, int concurrency) throws Exception {
        Path prefix = Files.createDirectories(dir.resolve("howto"));
        String server = Repository.bin("kong-java-pluginserver").toString();
        Path socket = prefix.resolve("java.sock");
        List<String> command = List.of(harness.resolve("run-conformance.sh").toString(),
                server + " -kong-prefix " + prefix + " --socket " + socket, socket.toString(), "--suite", "howto",
                "--query-cmd", server + " --dump-plugin-info {plugin}", "--burst", Integer.toString(requests),
                "--burst-clients", Integer.toString(concurrency), "--port", Integer.toString(freeRun(5)),
                "--howto-model", "claude-opus-5-5");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().put("KONG_SRC", kongSrc.toString());
        Process suite = builder.start();
        long[] last = {0, 0, 0}; // cpu ticks, VmHWM kB, pid
        Thread sampler = Thread.ofPlatform().daemon(true).start(() -> {
            while (suite.isAlive()) {
                ProcessHandle.allProcesses()
                        .filter(p -> p.info().commandLine().orElse("").contains("io.kongjava.server.Main") && p.info().commandLine().orElse("").contains(socket.toString()))
                        .findFirst().ifPresent(p -> {
                            try {
                                last[0] = cpuTicks(p.pid());
                                last[1] = Files.readAllLines(Path.of("/proc", Long.toString(p.pid()), "status")).stream()
                                        .filter(l -> l.startsWith("VmHWM:")).mapToLong(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst().orElse(0);
                            } catch (IOException gone) {
                                // the suite stopped it
                            }
                        });
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        String output = new String(suite.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        suite.waitFor();
        sampler.join();
        Files.writeString(dir.resolve("howto-suite.txt"), output);
        var summary = java.util.regex.Pattern.compile("(\\d+) passed, (\\d+) failed").matcher(output);
        var burst = java.util.regex.Pattern.compile("burst\\(\\d+ by \\d+\\)\\s+n=(\\d+)\\s+p50=\\s*([\\d.]+) p90=\\s*[\\d.]+ p99=\\s*([\\d.]+) max=\\s*[\\d.]+ rps=\\s*(\\d+) failures=(\\d+)").matcher(output);
        System.out.printf("%nhow-to (java-ai-proxy + java-file-log on one server, harness suite howto, %d requests by %d clients, half streamed):%n",
                requests, concurrency);
        if (burst.find()) {
            System.out.printf("  client: %s req/s, p50 %s ms, p99 %s ms, failed %s%n", burst.group(4), burst.group(2), burst.group(3), burst.group(5));
        }
        output.lines().filter(l -> l.matches("\\s+plugin\\.(HandleEvent|Step\\w*)\\s.*")).forEach(l -> System.out.println("  Kong's mp_rpc: " + l.strip()));
        output.lines().filter(l -> l.startsWith("FAIL")).forEach(l -> System.out.println("  " + l));
        System.out.printf("  server: %.1f s of CPU over the whole suite (start-up and warm-up, its checks and the burst), peak RSS %d MiB; suite: %s%n",
                last[0] / 100.0, last[1] / 1024, summary.find() ? summary.group(0) : "no summary (see " + dir.resolve("howto-suite.txt") + ")");
    }

    /** The first of {@code count} consecutive free ports (the harness takes PORT to PORT+4). */
    private static int freeRun(int count) throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int first = freePort();
            boolean free = true;
            for (int i = 1; i < count && free; i++) {
                try (ServerSocket probe = new ServerSocket(first + i, 1, InetAddress.getLoopbackAddress())) {
                    free = probe.isBound();
                } catch (IOException taken) {
                    free = false;
                }
            }
            if (free) {
                return first;
            }
        }
        throw new IOException("no run of " + count + " free ports");
    }

    static List<Scenario> scenarios(Path dir) throws IOException, InterruptedException {
        Path root = Repository.root();
        String java = Repository.bin("kong-java-pluginserver").toString();
        Path javaPrefix = Files.createDirectories(dir.resolve("java"));
        List<String> javaStart = List.of(java, "-kong-prefix", javaPrefix.toString(), "--socket", javaPrefix + "/java.sock");
        List<Scenario> scenarios = new ArrayList<>();
        scenarios.add(new Scenario("java", "java-file-log", "log", javaStart, javaPrefix.resolve("java.sock"),
                java + " --dump-plugin-info java-file-log", "{\"path\": \"" + dir.resolve("java-file-log.log") + "\"}", true));
        Path jsServer = root.resolve("testing/js-pluginserver/node_modules/kong-pdk/bin/kong-js-pluginserver");
        Optional<Path> node = onPath("node");
        boolean js = Files.exists(jsServer) && node.isPresent();
        if (js) {
            scenarios.add(jsScenario(dir, node.get(), jsServer, root.resolve("bench/js-file-log"), "js-file-log", "log",
                    "{\"path\": \"" + dir.resolve("js-file-log.log") + "\"}", true));
        }
        scenarios.add(new Scenario("java", "java-hello", "access", javaStart, javaPrefix.resolve("java.sock"),
                java + " --dump-plugin-info java-hello", "{\"message\": \"bench\"}", false));
        if (js) {
            scenarios.add(jsScenario(dir, node.get(), jsServer, root.resolve("testing/js-pluginserver/hello"), "js-hello", "access",
                    "{\"message\": \"bench\"}", false));
        } else {
            System.out.println("# js: skipped, Kong's JS plugin server is not installed (./test.sh or cd testing/js-pluginserver && npm ci)");
        }
        scenarios.addAll(floorScenarios(dir, root));
        return scenarios;
    }

    /**
     * The floor: bench/external/null_server.c makes the same PDK calls as each pair's plugins and nothing else (null-log
     * appends the record it gets as a line), so its CPU per event is the least any plugin server spends here. Left out
     * without a C compiler.
     */
    private static List<Scenario> floorScenarios(Path dir, Path root) throws IOException, InterruptedException {
        if (onPath("cc").isEmpty()) {
            System.out.println("# null: skipped, no C compiler (cc) for bench/external/null_server.c");
            return List.of();
        }
        Path binary = dir.resolve("null_server");
        Process cc = new ProcessBuilder("cc", "-O2", "-o", binary.toString(), root.resolve("bench/external/null_server.c").toString())
                .inheritIO().start();
        if (cc.waitFor() != 0) {
            System.out.println("# null: skipped, bench/external/null_server.c did not compile");
            return List.of();
        }
        Path prefix = Files.createDirectories(dir.resolve("null"));
        Path socket = prefix.resolve("null.sock");
        Path lines = dir.resolve("null-log.log");
        List<Scenario> floor = new ArrayList<>();
        for (String[] plugin : new String[][] {{"null-log", "log", "path"}, {"null-hello", "access", "message"}}) {
            Path dump = prefix.resolve(plugin[0] + ".json");
            Files.writeString(dump, "[{\"Name\":\"" + plugin[0] + "\",\"Version\":\"0.1.0\",\"Priority\":0,\"Phases\":[\"" + plugin[1]
                    + "\"],\"Schema\":{\"name\":\"" + plugin[0] + "\",\"fields\":[{\"config\":{\"type\":\"record\",\"fields\":[{\""
                    + plugin[2] + "\":{\"type\":\"string\"}}]}}]}}]");
            boolean log = plugin[1].equals("log");
            floor.add(new Scenario("null", plugin[0], plugin[1], List.of(binary.toString(), socket.toString(), lines.toString()), socket,
                    "cat " + dump, log ? "{\"path\": \"" + lines + "\"}" : "{\"message\": \"bench\"}", log));
        }
        return floor;
    }

    private static Scenario jsScenario(Path dir, Path node, Path jsServer, Path plugins, String plugin, String phase, String config,
                                       boolean writesLines) throws IOException {
        Path prefix = Files.createDirectories(dir.resolve("js-" + plugin));
        return new Scenario("js", plugin, phase,
                List.of(node.toString(), jsServer.toString(), "--plugins-directory", plugins.toString(), "--kong-prefix", prefix.toString()),
                prefix.resolve("js_pluginserver.sock"),
                node + " " + jsServer + " --plugins-directory " + plugins + " --dump-all-plugins", config, writesLines);
    }

    static Row measure(Path harness, Path kongSrc, Path dir, Scenario scenario, int requests, int concurrency, int warmup) throws Exception {
        Path runDir = Files.createDirectories(dir.resolve("run-" + scenario.plugin()));
        Files.deleteIfExists(scenario.socket());
        long serverStarted = System.nanoTime();
        Process server = new ProcessBuilder(Stream.concat(Stream.of("setsid"), scenario.startCommand().stream()).toList())
                .redirectErrorStream(true).redirectOutput(runDir.resolve("server.log").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        Path gw = runDir.resolve("gw");
        try {
            awaitSocket(scenario.socket(), server, runDir.resolve("server.log"));
            Path config = runDir.resolve("config.json");
            Files.writeString(config, scenario.configJson());
            // one free run of four: separate freePort() calls can be handed the same port twice
            int port = freeRun(4);
            int admin = port + 1;
            run(kongSrc, Duration.ofSeconds(60), harness.resolve("gateway.sh").toString(), "start", "--run-dir", gw.toString(),
                    "--port", Integer.toString(port), "--admin-port", Integer.toString(admin), "--echo-port", Integer.toString(port + 2),
                    "--baseline-port", Integer.toString(port + 3), "--socket", scenario.socket().toString(),
                    "--plugin", scenario.plugin(), "--config", config.toString(), "--query-cmd", scenario.queryCmd());
            String adminUrl = "http://127.0.0.1:" + admin;
            String eventKey = "p." + scenario.plugin() + ".event." + scenario.phase();

            double secondsToTraffic = (System.nanoTime() - serverStarted) / 1e9;
            long cpuBeforeTraffic = cpuTicks(server.pid());
            load(harness, kongSrc, runDir, port, warmup, concurrency);
            settle(adminUrl, eventKey, warmup);
            settleLines(scenario, warmup); // the warm-up's last lines may still be on their way
            post(adminUrl + "/reset"); // forgets the warm-up's RPC timings (and counters)
            long linesBefore = lines(scenario);
            long eventsBefore = counts(adminUrl).path(eventKey).asLong();
            long cpuBefore = cpuTicks(server.pid());

            JsonNode result = load(harness, kongSrc, runDir, port, requests, concurrency);
            long eventsAfter = settle(adminUrl, eventKey, eventsBefore + requests);
            long linesAfter = settleLines(scenario, linesBefore + requests);
            long cpuAfter = cpuTicks(server.pid());
            JsonNode status = get(adminUrl + "/status");
            long events = eventsAfter - eventsBefore;
            long lost = scenario.writesLines() ? requests - (linesAfter - linesBefore) : requests - events;
            long rpcErrors = 0;
            for (var counter : status.path("counts").properties()) {
                if (counter.getKey().startsWith("p." + scenario.plugin() + ".rpc_err.")) {
                    rpcErrors += counter.getValue().asLong();
                }
            }
            Map<String, Long> rpcErrorKinds = new TreeMap<>();
            for (JsonNode event : get(adminUrl + "/events")) {
                if (event.path("kind").asText().startsWith("rpc_")) {
                    String err = event.path("err").asText();
                    rpcErrorKinds.merge(event.path("method").asText() + ": " + (err.length() > 120 ? err.substring(0, 120) + "..." : err), 1L, Long::sum);
                }
            }
            JsonNode latency = status.path("rpc_latency_this_worker");
            double cpuMicros = (cpuAfter - cpuBefore) * 1e6 / clockTicksPerSecond() / Math.max(1, events);
            return new Row(scenario, result.path("requests").asLong(), result.path("failures").asLong(), result.path("rps").asDouble(),
                    result.path("p50_ms").asDouble(), result.path("p99_ms").asDouble(), Timing.of(latency.path("plugin.HandleEvent")),
                    Timing.of(latency.path("plugin.Step")), events, lost, rpcErrors, cpuMicros, Machine.residentMiB(server.pid()), rpcErrorKinds,
                    (double) cpuBeforeTraffic / clockTicksPerSecond(), (double) cpuBefore / clockTicksPerSecond(), secondsToTraffic);
        } finally {
            if (Files.exists(gw)) {
                run(kongSrc, Duration.ofSeconds(20), harness.resolve("gateway.sh").toString(), "stop", "--run-dir", gw.toString());
            }
            killGroup(server);
        }
    }

    /** N requests by C clients through the gateway with the harness's load driver; its JSON summary. */
    private static JsonNode load(Path harness, Path kongSrc, Path runDir, int port, int total, int concurrency) throws Exception {
        Path out = runDir.resolve("load.json");
        run(kongSrc, Duration.ofMinutes(10), "python3", harness.resolve("load.py").toString(), "--url", "http://127.0.0.1:" + port + "/bench",
                "--sequential", "0", "--concurrency", Integer.toString(concurrency), "--total", Integer.toString(total), "--json", out.toString());
        return JSON.readTree(out.toFile()).get(0);
    }

    /** Waits until Kong's client has sent {@code expected} events (log events run later, in timers); the count reached. */
    private static long settle(String adminUrl, String eventKey, long expected) throws Exception {
        long deadline = System.nanoTime() + SETTLE.toNanos();
        long seen = counts(adminUrl).path(eventKey).asLong();
        long stableSince = System.nanoTime();
        while (seen < expected && System.nanoTime() < deadline) {
            Thread.sleep(100);
            long now = counts(adminUrl).path(eventKey).asLong();
            if (now != seen) {
                seen = now;
                stableSince = System.nanoTime();
            } else if (System.nanoTime() - stableSince > TimeUnit.SECONDS.toNanos(10)) {
                break; // nothing moved for 10 s: those events are lost, not late
            }
        }
        return seen;
    }

    /** Waits until the plugin has written {@code expected} lines (its events may still run); the count reached. */
    private static long settleLines(Scenario scenario, long expected) throws Exception {
        long deadline = System.nanoTime() + SETTLE.toNanos();
        long seen = lines(scenario);
        long stableSince = System.nanoTime();
        while (scenario.writesLines() && seen < expected && System.nanoTime() < deadline) {
            Thread.sleep(100);
            long now = lines(scenario);
            if (now != seen) {
                seen = now;
                stableSince = System.nanoTime();
            } else if (System.nanoTime() - stableSince > TimeUnit.SECONDS.toNanos(10)) {
                break;
            }
        }
        return seen;
    }

    private static long lines(Scenario scenario) throws IOException {
        if (!scenario.writesLines()) {
            return 0;
        }
        Path file = Path.of(JSON.readTree(scenario.configJson()).path("path").asText());
        if (!Files.exists(file)) {
            return 0;
        }
        try (Stream<String> lines = Files.lines(file)) {
            return lines.count();
        }
    }

    private static JsonNode counts(String adminUrl) throws Exception {
        return get(adminUrl + "/status").path("counts");
    }

    private static JsonNode get(String url) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("GET " + url + " answered " + response.statusCode());
        }
        return JSON.readTree(response.body());
    }

    private static void post(String url) throws Exception {
        HTTP.send(HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.discarding());
    }

    /** user + system clock ticks of {@code pid} (all its threads), from /proc/PID/stat. */
    static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        // the command name (field 2) may hold spaces; fields after its closing parenthesis are fixed
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    private static long ticksPerSecond;

    static synchronized long clockTicksPerSecond() throws IOException, InterruptedException {
        if (ticksPerSecond == 0) {
            Process getconf = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(getconf.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            getconf.waitFor();
            ticksPerSecond = out.matches("\\d+") ? Long.parseLong(out) : 100;
        }
        return ticksPerSecond;
    }

    private static void run(Path kongSrc, Duration timeout, String... command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().put("KONG_SRC", kongSrc.toString());
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + " did not end within " + timeout);
        }
        if (process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " exited " + process.exitValue() + ":\n" + output);
        }
    }

    private static void awaitSocket(Path socket, Process server, Path log) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!PluginServerProcesses.accepts(socket)) {
            if (!server.isAlive()) {
                throw new IOException("the plugin server exited with " + server.exitValue() + ":\n" + Files.readString(log));
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("the plugin server does not accept on " + socket + " after 30 s:\n" + Files.readString(log));
            }
            Thread.sleep(20);
        }
    }

    /** TERM, then KILL, to the process group the server leads (setsid made it a leader). */
    private static void killGroup(Process leader) throws InterruptedException {
        for (String signal : List.of("TERM", "KILL")) {
            try {
                new ProcessBuilder("kill", "-" + signal, "--", "-" + leader.pid()).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(5, TimeUnit.SECONDS);
            } catch (IOException e) {
                return;
            }
            if (signal.equals("TERM") && leader.waitFor(10, TimeUnit.SECONDS)) {
                return;
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    // -------------------------------------------------------------------------------------------------------------
    // where the harness is (as integration-tests' KongHarness finds it)

    static Path harnessHome() {
        String override = System.getenv("KONG_HARNESS");
        if (override != null && !override.isBlank()) {
            return Path.of(override).toAbsolutePath().normalize();
        }
        Path root = Repository.root();
        for (Path dir = root.getParent(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("shared/kong-harness"))) {
                return dir.resolve("shared/kong-harness");
            }
        }
        return root.resolve("../shared/kong-harness").normalize();
    }

    static Optional<String> missing(String kong) {
        Path home = harnessHome();
        if (!Files.isExecutable(home.resolve("gateway.sh")) || !Files.isRegularFile(home.resolve("load.py"))) {
            return Optional.of("kong-harness not found at " + home + " (set KONG_HARNESS or put it at ../shared/kong-harness)");
        }
        if (!Files.isRegularFile(home.resolve("kong-src").resolve(kong).resolve("kong/runloop/plugin_servers/rpc/mp_rpc.lua"))) {
            return Optional.of("kong-harness has no Kong sources in kong-src/" + kong);
        }
        for (String command : List.of("nginx", "python3", "setsid", "curl")) {
            if (onPath(command).isEmpty()) {
                return Optional.of("kong-harness needs " + command + "; install with " + home + "/setup.sh --packages-only");
            }
        }
        if (!Files.isRegularFile(Path.of("/usr/lib/nginx/modules/ngx_http_lua_module.so"))) {
            return Optional.of("kong-harness needs libnginx-mod-http-lua; install with " + home + "/setup.sh --packages-only");
        }
        return Optional.empty();
    }

    private static Optional<Path> onPath(String command) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin";
        return Stream.of(path.split(":")).filter(d -> !d.isEmpty()).map(d -> Path.of(d, command)).filter(Files::isExecutable).findFirst();
    }
}
