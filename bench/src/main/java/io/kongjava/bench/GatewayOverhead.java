package io.kongjava.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.kongjava.gateway.GatewayMain;
import io.kongjava.testing.anthropic.FakeAnthropic;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Gateway overhead for the how-to: the same Messages API request sent to the fake Anthropic upstream
 * directly, and through the local gateway with java-ai-proxy and java-file-log configured from the
 * repository's kong-config/ files. Non-streamed and streamed; latency at concurrency 1, time to first
 * byte, requests per second at a fixed concurrency, and the plugin server's resident memory after the run.
 *
 * <pre>java ... io.kongjava.bench.GatewayOverhead [--seconds S] [--warmup S] [--concurrency C] [--smoke]</pre>
 */
public final class GatewayOverhead {

    static final String MODEL = "claude-opus-5-5";
    static final String KEY = "sk-ant-bench-key";
    static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        Duration measure = Duration.ofSeconds(10);
        // The gateway path crosses two JVMs (the gateway, and the plugin server with the relay): shorter warm-ups
        // leave them half compiled.
        Duration warmup = Duration.ofSeconds(15);
        int concurrency = 16;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seconds" -> measure = Duration.ofMillis((long) (Double.parseDouble(args[++i]) * 1000));
                case "--warmup" -> warmup = Duration.ofMillis((long) (Double.parseDouble(args[++i]) * 1000));
                case "--concurrency" -> concurrency = Integer.parseInt(args[++i]);
                case "--smoke" -> {
                    measure = Duration.ofMillis(500);
                    warmup = Duration.ofMillis(300);
                    concurrency = 4;
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        System.out.println("# gateway overhead, how-to route with java-ai-proxy + java-file-log (" + Machine.describe() + ")");
        System.out.printf("# %s measured after %s warm-up per row; the client, gateway, fake upstream and plugin server share this machine%n",
                measure, warmup);
        Path dir = Files.createTempDirectory("kjp-bench-gateway");
        Path log = dir.resolve("claude.json");
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        try (FakeAnthropic anthropic = FakeAnthropic.start().requireApiKey(KEY);
             GatewayMain.Running gateway = startGateway(dir, anthropic.url(), log)) {
            String gatewayUrl = "http://" + hostPort(gateway) + "/anything/v1/messages";
            String directUrl = anthropic.url() + "/v1/messages";
            System.out.printf("%-8s %-8s %10s %10s %10s %10s %12s%n", "mode", "path", "p50 us", "p99 us", "ttfb p50", "ttfb p99", "req/s");
            long requests = 0;
            for (boolean stream : new boolean[] {false, true}) {
                Row direct = run(http, directUrl, KEY, stream, warmup, measure, concurrency);
                Row through = run(http, gatewayUrl, "sk-ant-claude-code-dummy", stream, warmup, measure, concurrency);
                requests += through.requests();
                print(stream, "direct", direct);
                print(stream, "gateway", through);
                System.out.printf("%-8s added latency p50 %.0f us, p99 %.0f us; ttfb p50 +%.0f us; throughput %.0f%% of direct%n",
                        stream ? "stream" : "oneshot", through.latency().micros(0.5) - direct.latency().micros(0.5),
                        through.latency().micros(0.99) - direct.latency().micros(0.99),
                        through.ttfb().micros(0.5) - direct.ttfb().micros(0.5), 100 * through.perSecond() / direct.perSecond());
                long n = Math.max(1, through.kong().count().sum());
                System.out.printf("%-8s Kong's headers, mean at concurrency 1: x-kong-proxy-latency %.2f ms (plugins' access phases), "
                        + "x-kong-upstream-latency %.2f ms (the relay and the provider)%n", stream ? "stream" : "oneshot",
                        through.kong().proxy().sum() / (double) n, through.kong().upstream().sum() / (double) n);
            }
            Thread.sleep(1000);
            long lines = Files.exists(log) ? Files.lines(log).count() : 0;
            long withUsage = Files.exists(log) ? Files.lines(log).filter(l -> l.contains("\"completion_tokens\"")).count() : 0;
            System.out.printf("# file-log lines: %d for %d gateway requests, %d with ai usage%n", lines, requests, withUsage);
            for (Map.Entry<String, Long> server : gateway.processes().pids().entrySet()) {
                System.out.printf("# plugin server %s (pid %d) resident memory after the run: %d MiB%n", server.getKey(), server.getValue(),
                        Machine.residentMiB(server.getValue()));
            }
        }
    }

    /** Sums of Kong's latency headers over the sequential run (absent when sent directly). */
    record KongLatencies(java.util.concurrent.atomic.LongAdder proxy, java.util.concurrent.atomic.LongAdder upstream,
                         java.util.concurrent.atomic.LongAdder count) {
        KongLatencies() {
            this(new java.util.concurrent.atomic.LongAdder(), new java.util.concurrent.atomic.LongAdder(), new java.util.concurrent.atomic.LongAdder());
        }

        void add(HttpResponse<?> response) {
            var proxyLatency = response.headers().firstValue("x-kong-proxy-latency");
            var upstreamLatency = response.headers().firstValue("x-kong-upstream-latency");
            if (proxyLatency.isPresent() && upstreamLatency.isPresent()) {
                proxy.add(Long.parseLong(proxyLatency.get()));
                upstream.add(Long.parseLong(upstreamLatency.get()));
                count.increment();
            }
        }
    }

    record Row(Latencies latency, Latencies ttfb, double perSecond, long requests, KongLatencies kong) {
    }

    static Row run(HttpClient http, String url, String key, boolean stream, Duration warmup, Duration measure, int concurrency) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url))
                .header("content-type", "application/json")
                .header("x-api-key", key)
                .header("anthropic-version", "2023-06-01")
                .POST(HttpRequest.BodyPublishers.ofString("""
                        {"model":"%s","max_tokens":256,"stream":%s,"messages":[{"role":"user","content":"Say hi in five words."}]}"""
                        .formatted(MODEL, stream)))
                .build();
        Latencies ttfb = new Latencies();
        KongLatencies kong = new KongLatencies();
        PdkRoundTrip.Operation one = () -> send(http, request, null, null);
        PdkRoundTrip.Result warm = PdkRoundTrip.measure("warmup", 0, 1, Duration.ZERO, warmup, one);
        Latencies latency = new Latencies();
        PdkRoundTrip.Result sequential = PdkRoundTrip.measure("sequential", 0, 1, Duration.ZERO, measure, () -> {
            long start = System.nanoTime();
            send(http, request, ttfb, kong);
            latency.add(System.nanoTime() - start);
        });
        PdkRoundTrip.Result loaded = PdkRoundTrip.measure("loaded", 0, concurrency, Duration.ZERO, measure, one);
        return new Row(latency, ttfb, loaded.eventsPerSecond(), warm.count() + sequential.count() + loaded.count(), kong);
    }

    /** Sends and reads the whole answer; records the time to the first body byte into {@code ttfb} when given. */
    static void send(HttpClient http, HttpRequest request, Latencies ttfb, KongLatencies kong) throws Exception {
        long start = System.nanoTime();
        HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = response.body()) {
            int first = body.read();
            if (ttfb != null) {
                ttfb.add(System.nanoTime() - start);
            }
            if (kong != null) {
                kong.add(response);
            }
            byte[] rest = body.readAllBytes();
            if (response.statusCode() != 200 || first < 0) {
                throw new IllegalStateException(request.uri() + " answered " + response.statusCode() + ": " + (char) first + new String(rest));
            }
        }
    }

    static void print(boolean stream, String path, Row row) {
        System.out.printf("%-8s %-8s %10.0f %10.0f %10.0f %10.0f %12.0f%n", stream ? "stream" : "oneshot", path,
                row.latency().micros(0.5), row.latency().micros(0.99), row.ttfb().micros(0.5), row.ttfb().micros(0.99), row.perSecond());
    }

    static String hostPort(GatewayMain.Running gateway) {
        var address = gateway.gateway().address();
        return address.getHostString() + ":" + address.getPort();
    }

    /** The repository's kong.conf and kong.yaml, with the Docker paths, the log path and the upstream pointed here. */
    static GatewayMain.Running startGateway(Path dir, String anthropicUrl, Path log) throws Exception {
        Path root = Repository.root();
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        ObjectNode config = (ObjectNode) yaml.readTree(root.resolve("kong-config/kong.yaml").toFile());
        for (JsonNode plugin : config.path("services").get(0).path("plugins")) {
            ObjectNode pluginConfig = (ObjectNode) plugin.path("config");
            switch (plugin.path("name").asText()) {
                case "java-ai-proxy" -> ((ObjectNode) pluginConfig.path("model").path("options")).put("upstream_url", anthropicUrl);
                case "java-file-log" -> pluginConfig.put("path", log.toString());
                default -> { }
            }
        }
        Path kongYaml = dir.resolve("kong.yaml");
        yaml.writeValue(kongYaml.toFile(), config);
        Path prefix = Files.createDirectories(dir.resolve("prefix"));
        String server = Repository.bin("kong-java-pluginserver").toString();
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        Map<String, String> env = Map.ofEntries(
                Map.entry("ANTHROPIC_PINNED_MODEL", MODEL),
                Map.entry("KONG_PREFIX", prefix.toString()),
                Map.entry("KONG_DECLARATIVE_CONFIG", kongYaml.toString()),
                Map.entry("KONG_PROXY_LISTEN", "127.0.0.1:" + port),
                Map.entry("KONG_PLUGINSERVER_JAVA_AI_PROXY_SOCKET", prefix + "/kong-java-pluginserver.socket"),
                Map.entry("KONG_PLUGINSERVER_JAVA_AI_PROXY_START_CMD", server + " -kong-prefix " + prefix),
                Map.entry("KONG_PLUGINSERVER_JAVA_AI_PROXY_QUERY_CMD", server + " --dump-plugin-info java-ai-proxy"),
                Map.entry("KONG_PLUGINSERVER_JAVA_FILE_LOG_SOCKET", prefix + "/kong-java-pluginserver.socket"),
                Map.entry("KONG_PLUGINSERVER_JAVA_FILE_LOG_QUERY_CMD", server + " --dump-plugin-info java-file-log"),
                Map.entry("ANTHROPIC_API_KEY", KEY));
        return GatewayMain.start(root.resolve("kong-config/kong.conf"), env);
    }
}
