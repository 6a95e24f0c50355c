package io.kongjava.aottraining;

import io.kongjava.gateway.GatewayMain;
import io.kongjava.testing.anthropic.FakeAnthropic;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The training runs behind the plugin server's and the local gateway's AOT caches (JDK 25+,
 * {@code -XX:AOTCacheOutput}). Each starts a JVM through its launcher in training mode, puts Kong's Claude Code
 * how-to traffic through it (java-ai-proxy and java-file-log on one route, half the requests streamed, bodies on
 * both sides of Kong's 8 KB in-memory limit, a fake Anthropic API as the provider), then stops it, whereupon that JVM
 * writes its cache. First the plugin server, with the local gateway in this JVM playing Kong; then the gateway, with
 * the plugin server in its JVM as gateway.sh runs it. A cache holds the classes the run loaded, already linked, and
 * the run's method profiles, so a JVM started from it compiles its hot paths with C2 from the first requests on
 * instead of profiling them first.
 *
 * <pre>
 *   AotTraining --server BIN/kong-java-pluginserver --output LIB/kong-java-pdk.aot
 *               [--gateway BIN/kong-java-gateway --gateway-output LIB/kong-java-gateway.aot] [--requests 3000]
 * </pre>
 */
public final class AotTraining {

    /** The launcher's training mode: the JVM records what it runs and writes the AOT cache here at exit. */
    static final String OUTPUT_VARIABLE = "KONG_JAVA_AOT_CACHE_OUTPUT";
    static final String PINNED_MODEL = "claude-opus-5-5";
    private static final String API_KEY = "sk-ant-aot-training";
    private static final int CLIENTS = 8;

    private AotTraining() {
    }

    public static void main(String[] args) throws Exception {
        Path server = null;
        Path output = null;
        Path gateway = null;
        Path gatewayOutput = null;
        int requests = 3000;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--server" -> server = Path.of(required(args[i], value));
                case "--output" -> output = Path.of(required(args[i], value));
                case "--gateway" -> gateway = Path.of(required(args[i], value));
                case "--gateway-output" -> gatewayOutput = Path.of(required(args[i], value));
                case "--requests" -> requests = Integer.parseInt(required(args[i], value));
                default -> usage("unknown option " + args[i]);
            }
            i++;
        }
        if (server == null || output == null || requests < 1 || (gateway == null) != (gatewayOutput == null)) {
            usage("--server and --output are required, --gateway and --gateway-output go together, --requests must be positive");
        }
        // The gateway says what a Kong operator would want to hear (its listener, an externally managed server): not
        // news in a build's output. Its errors still show.
        java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.SEVERE);
        long started = System.nanoTime();
        Result result = train(server.toAbsolutePath(), output.toAbsolutePath(), requests);
        report(output, result, started);
        if (gateway != null) {
            started = System.nanoTime();
            result = trainGateway(gateway.toAbsolutePath(), server.toAbsolutePath(), gatewayOutput.toAbsolutePath(), requests);
            report(gatewayOutput, result, started);
        }
    }

    private static void report(Path output, Result result, long started) throws IOException {
        System.out.printf("aot-training: %s, %d MB, from %d how-to requests (%d streamed) in %.1f s%n", output,
                Files.size(output) >> 20, result.requests(), result.streamed(), (System.nanoTime() - started) / 1e9);
    }

    record Result(int requests, int streamed) {
    }

    static Result train(Path server, Path output, int requests) throws Exception {
        Path dir = Files.createTempDirectory("kong-java-aot-training");
        Path prefix = dir.resolve("prefix");
        Files.createDirectories(prefix);
        Path socket = prefix.resolve("kong-java-pluginserver.socket");
        Path serverLog = dir.resolve("server.log");
        Files.deleteIfExists(output);
        ProcessBuilder serverCommand = new ProcessBuilder(server.toString(), "-kong-prefix", prefix.toString(), "--socket", socket.toString())
                .redirectErrorStream(true).redirectOutput(serverLog.toFile());
        serverCommand.environment().put(OUTPUT_VARIABLE, output.toString());
        Process process = serverCommand.start();
        Result result;
        try (FakeAnthropic anthropic = FakeAnthropic.start().requireApiKey(API_KEY)) {
            awaitSocket(socket, process, serverLog);
            int port = freePort();
            Path conf = writeConfig(dir, prefix, socket, server, null, anthropic.url(), port);
            try (GatewayMain.Running gateway = GatewayMain.start(conf, Map.of("ANTHROPIC_API_KEY", API_KEY,
                    "ANTHROPIC_PINNED_MODEL", PINNED_MODEL), false)) {
                result = drive(URI.create("http://127.0.0.1:" + port + "/anything/v1/messages"), requests);
                awaitLogLines(dir.resolve("claude.json"), requests);
            }
        } finally {
            stop(process, serverLog);
        }
        requireCache(output, "the plugin server", serverLog);
        deleteTree(dir);
        return result;
    }

    /**
     * The local gateway's own cache: the gateway started by its launcher in training mode, as gateway.sh runs it (the
     * plugin server in its JVM, {@code --plugins-in-process}), with the same traffic.
     */
    static Result trainGateway(Path gateway, Path server, Path output, int requests) throws Exception {
        Path dir = Files.createTempDirectory("kong-java-aot-training");
        Path prefix = dir.resolve("prefix");
        Files.createDirectories(prefix);
        Path log = dir.resolve("gateway.log");
        Files.deleteIfExists(output);
        Result result;
        try (FakeAnthropic anthropic = FakeAnthropic.start().requireApiKey(API_KEY)) {
            int port = freePort();
            Path conf = writeConfig(dir, prefix, prefix.resolve("kong-java-pluginserver.socket"), server,
                    server + " -kong-prefix " + prefix, anthropic.url(), port);
            ProcessBuilder command = new ProcessBuilder(gateway.toString(), "-c", conf.toString(), "--plugins-in-process")
                    .redirectErrorStream(true).redirectOutput(log.toFile());
            command.environment().put(OUTPUT_VARIABLE, output.toString());
            command.environment().put("ANTHROPIC_API_KEY", API_KEY);
            command.environment().put("ANTHROPIC_PINNED_MODEL", PINNED_MODEL);
            Process process = command.start();
            try {
                awaitPort(port, process, log);
                result = drive(URI.create("http://127.0.0.1:" + port + "/anything/v1/messages"), requests);
                awaitLogLines(dir.resolve("claude.json"), requests);
            } finally {
                stop(process, log);
            }
        }
        requireCache(output, "the gateway", log);
        deleteTree(dir);
        return result;
    }

    private static void requireCache(Path output, String who, Path log) throws IOException {
        if (!Files.isRegularFile(output) || Files.size(output) == 0) {
            throw new IOException(who + " wrote no AOT cache at " + output + "; its output:\n" + tail(log));
        }
    }

    /** Kong's how-to, as kong-config/kong.conf and kong.yaml have it, pointed at the fake provider. */
    private static Path writeConfig(Path dir, Path prefix, Path socket, Path server, String startCmd, String anthropicUrl, int port)
            throws IOException {
        Path yaml = dir.resolve("kong.yaml");
        Files.writeString(yaml, """
                _format_version: "3.0"
                services:
                  - name: anthropic
                    url: %1$s
                    routes:
                      - name: claude-code
                        paths: [/anything]
                    plugins:
                      - name: java-ai-proxy
                        config:
                          route_type: llm/v1/chat
                          llm_format: anthropic
                          max_request_body_size: 524288
                          auth:
                            header_name: x-api-key
                            header_value: "{vault://env/anthropic-api-key}"
                          model:
                            provider: anthropic
                            name: "{vault://env/anthropic-pinned-model}"
                            options:
                              upstream_url: %1$s
                              anthropic_version: "2023-06-01"
                              input_cost: 4.0
                              output_cost: 20.0
                          logging:
                            log_statistics: true
                      - name: java-file-log
                        config:
                          path: %2$s
                """.formatted(anthropicUrl, dir.resolve("claude.json")));
        Path conf = dir.resolve("kong.conf");
        String query = server + " --dump-plugin-info ";
        Files.writeString(conf, String.join("\n",
                "prefix = " + prefix,
                "declarative_config = " + yaml,
                "proxy_listen = 127.0.0.1:" + port,
                "plugins = bundled,java-ai-proxy,java-file-log",
                "pluginserver_names = java-ai-proxy,java-file-log",
                "pluginserver_java_ai_proxy_socket = " + socket,
                startCmd == null ? "" : "pluginserver_java_ai_proxy_start_cmd = " + startCmd,
                "pluginserver_java_ai_proxy_query_cmd = " + query + "java-ai-proxy",
                "pluginserver_java_file_log_socket = " + socket,
                "pluginserver_java_file_log_query_cmd = " + query + "java-file-log",
                "log_level = warn",
                ""));
        return conf;
    }

    /** Claude Code's traffic in miniature: {@link #CLIENTS} clients, every other request streamed. */
    private static Result drive(URI messages, int requests) throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
        AtomicInteger next = new AtomicInteger();
        AtomicInteger streamed = new AtomicInteger();
        AtomicReference<String> failure = new AtomicReference<>();
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            clients.add(Thread.ofVirtual().start(() -> {
                for (int n; failure.get() == null && (n = next.getAndIncrement()) < requests; ) {
                    boolean stream = n % 2 == 1;
                    HttpRequest request = HttpRequest.newBuilder(messages).timeout(Duration.ofSeconds(60))
                            .header("content-type", "application/json").header("x-api-key", "the-client's-own-key")
                            .header("anthropic-version", "2023-06-01")
                            .POST(HttpRequest.BodyPublishers.ofString(body(n, stream))).build();
                    try {
                        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
                        if (response.statusCode() != 200) {
                            failure.compareAndSet(null, "request " + n + " got " + response.statusCode() + ": " + response.body());
                        } else if (stream) {
                            streamed.incrementAndGet();
                        }
                    } catch (IOException | InterruptedException e) {
                        failure.compareAndSet(null, "request " + n + " failed: " + e);
                    }
                }
            }));
        }
        for (Thread thread : clients) {
            thread.join();
        }
        if (failure.get() != null) {
            throw new IOException("training traffic failed (a cache trained on errors would be the wrong one): " + failure.get());
        }
        return new Result(requests, streamed.get());
    }

    /** A Messages request; every fourth is over Kong's 8 KB in-memory body, as Claude Code's usually are. */
    static String body(int n, boolean stream) {
        String text = n % 4 == 0 ? "Summarise this file. " + "x".repeat(12_000) : "Say hello, request " + n + ".";
        return """
                {"model":"%s","max_tokens":1024,"stream":%b,"system":"You are a helpful assistant.",\
                "messages":[{"role":"user","content":"%s"}]}""".formatted(PINNED_MODEL, stream, text);
    }

    /** Kong runs log phases after the answer: the run is over when java-file-log has written every request's line. */
    private static void awaitLogLines(Path logFile, int requests) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        long lines = 0;
        while (System.nanoTime() < deadline) {
            if (Files.exists(logFile)) {
                try (var text = Files.lines(logFile)) {
                    lines = text.count();
                }
                if (lines >= requests) {
                    return;
                }
            }
            Thread.sleep(50);
        }
        throw new IOException("java-file-log wrote " + lines + " lines for " + requests + " requests within 60 s");
    }

    private static void awaitPort(int port, Process process, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try (java.net.Socket ignored = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
                return;
            } catch (IOException notYet) {
                if (!process.isAlive()) {
                    throw new IOException("the gateway exited with " + process.exitValue() + " before listening:\n" + tail(log));
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException("the gateway did not listen on port " + port + " within 60 s:\n" + tail(log));
                }
                Thread.sleep(50);
            }
        }
    }

    private static void awaitSocket(Path socket, Process process, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(socket)) {
            if (!process.isAlive()) {
                throw new IOException("the plugin server exited with " + process.exitValue() + " before listening:\n" + tail(log));
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("the plugin server did not listen on " + socket + " within 60 s:\n" + tail(log));
            }
            Thread.sleep(20);
        }
    }

    /** SIGTERM, then the JVM writes the cache (it starts a second JVM to assemble it: seconds, not milliseconds). */
    private static void stop(Process process, Path log) throws Exception {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IOException("the plugin server did not end within 5 minutes of SIGTERM:\n" + tail(log));
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }

    private static String required(String option, String value) {
        if (value == null) {
            usage(option + " needs a value");
        }
        return value;
    }

    private static void usage(String problem) {
        System.err.println("aot-training: " + problem
                + "\nusage: AotTraining --server BIN/kong-java-pluginserver --output LIB/kong-java-pdk.aot"
                + " [--gateway BIN/kong-java-gateway --gateway-output LIB/kong-java-gateway.aot] [--requests N]");
        System.exit(2);
    }
}
