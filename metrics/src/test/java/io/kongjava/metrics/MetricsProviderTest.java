package io.kongjava.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kongjava.pdk.exchange.ProcessRequestExchange;
import io.kongjava.server.PluginCatalog;
import io.kongjava.server.PluginServer;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@SuppressWarnings("unchecked")
class MetricsProviderTest {

    private final ProcessRequestExchange exchange = new ProcessRequestExchange(Duration.ofMinutes(1), Duration.ofMinutes(5), System::nanoTime);
    private final List<SpanData> spans = new CopyOnWriteArrayList<>();
    private PluginServer server;
    private MetricsProvider.Running running;

    @BeforeEach
    void start() throws Exception {
        Path dir = Files.createTempDirectory("metrics-test");
        server = new PluginServer(dir.resolve("s.socket"), PluginCatalog.of(List.of()), exchange, PluginServer.Settings.defaults());
        running = MetricsProvider.start(server, exchange, "127.0.0.1:0", new AiTraces(new Collecting(spans)));
    }

    @AfterEach
    void stop() {
        running.close();
        server.close();
    }

    static Map<String, Object> block(String model, long prompt, long completion, double cost, long latency, Long ttft, long cacheRead) {
        Map<String, Object> usage = new java.util.LinkedHashMap<>();
        usage.put("prompt_tokens", prompt);
        usage.put("completion_tokens", completion);
        usage.put("total_tokens", prompt + completion);
        usage.put("cost", cost);
        if (ttft != null) {
            usage.put("time_to_first_token", ttft);
        }
        usage.put("prompt_tokens_details", cacheRead > 0 ? Map.of("cached_tokens", cacheRead, "cache_creation_tokens", 7L) : Map.of());
        Map<String, Object> meta = Map.of("plugin_id", "p1", "provider_name", "anthropic", "request_model", model,
                "response_model", model + "-20250929", "llm_latency", latency, "request_mode", "stream", "stop_reason", "end_turn");
        return Map.of("proxy", Map.of("meta", meta, "usage", usage), "redact_headers", List.of());
    }

    String scrape() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + running.port() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    static Map<String, String> with(Map<String, String> labels, String name, String value) {
        Map<String, String> more = new java.util.HashMap<>(labels);
        more.put(name, value);
        return more;
    }


    @Test
    void aiBlocksBecomeKongsAiMetricsAndOneSpanEach() throws Exception {
        CompletableFuture<Object> first = new CompletableFuture<>();
        CompletableFuture<Object> second = new CompletableFuture<>();
        exchange.publish("r1", "ai", first);
        exchange.publish("r2", "ai", second);
        assertThat(scrape()).contains("kong_java_ai_streams_open 2.0");

        first.complete(block("claude-x", 100, 20, 0.5, 300, 40L, 0));
        second.complete(block("claude-x", 50, 5, 0.25, 1500, 900L, 30));
        exchange.publish("r3", "ai", CompletableFuture.completedFuture(null));
        String text = scrape();

        assertThat(text).contains("kong_java_ai_streams_open 0.0");
        Samples samples = Samples.parse(text);
        Map<String, String> kong = Map.of("ai_provider", "anthropic", "ai_model", "claude-x", "cache_status", "", "vector_db", "",
                "embeddings_provider", "", "embeddings_model", "", "workspace", "default");
        assertThat(samples.sum("kong_ai_llm_requests_total", kong)).isEqualTo(2.0);
        assertThat(samples.sum("kong_ai_llm_cost_total", kong)).isEqualTo(0.75);
        assertThat(samples.sum("kong_ai_llm_tokens_total", with(kong, "token_type", "prompt_tokens"))).isEqualTo(150.0);
        assertThat(samples.sum("kong_ai_llm_tokens_total", with(kong, "token_type", "completion_tokens"))).isEqualTo(25.0);
        assertThat(samples.sum("kong_ai_llm_tokens_total", with(kong, "token_type", "total_tokens"))).isEqualTo(175.0);
        assertThat(samples.sum("kong_ai_llm_tokens_total", with(kong, "token_type", "cached_tokens"))).isEqualTo(30.0);
        assertThat(samples.sum("kong_ai_llm_tokens_total", with(kong, "token_type", "cache_creation_tokens"))).isEqualTo(7.0);
        // Kong's AI buckets: 300 ms falls in le=500, 1500 ms only from le=1500 on.
        assertThat(samples.sum("kong_ai_llm_provider_latency_ms_bucket", with(kong, "le", "250.0"))).isZero();
        assertThat(samples.sum("kong_ai_llm_provider_latency_ms_bucket", with(kong, "le", "500.0"))).isEqualTo(1.0);
        assertThat(samples.sum("kong_ai_llm_provider_latency_ms_bucket", with(kong, "le", "1000.0"))).isEqualTo(1.0);
        assertThat(samples.sum("kong_ai_llm_provider_latency_ms_bucket", with(kong, "le", "1500.0"))).isEqualTo(2.0);
        assertThat(samples.sum("kong_ai_llm_provider_latency_ms_sum", kong)).isEqualTo(1800.0);
        assertThat(samples.sum("kong_java_ai_llm_time_to_first_token_ms_count", kong)).isEqualTo(2.0);
        assertThat(samples.sum("kong_java_ai_llm_time_to_first_token_ms_sum", kong)).isEqualTo(940.0);
        assertThat(text).contains("kong_java_ai_requests_unmeasured_total 1.0");
        assertThat(text).contains("jvm_memory_used_bytes{area=\"heap\"}").contains("jvm_gc_collection_seconds_count");

        running.traces().flush();
        assertThat(spans).hasSize(2);
        SpanData span = spans.stream().filter(s -> "r2".equals(s.getAttributes().get(AiTraces.REQUEST_ID))).findFirst().orElseThrow();
        assertThat(span.getName()).isEqualTo("chat claude-x");
        assertThat(span.getKind()).isEqualTo(io.opentelemetry.api.trace.SpanKind.CLIENT);
        assertThat(span.getAttributes().get(AiTraces.REQUEST_MODEL)).isEqualTo("claude-x");
        assertThat(span.getAttributes().get(AiTraces.RESPONSE_MODEL)).isEqualTo("claude-x-20250929");
        assertThat(span.getAttributes().get(AiTraces.INPUT_TOKENS)).isEqualTo(50L);
        assertThat(span.getAttributes().get(AiTraces.OUTPUT_TOKENS)).isEqualTo(5L);
        assertThat(span.getAttributes().get(AiTraces.CACHE_READ_TOKENS)).isEqualTo(30L);
        assertThat(span.getAttributes().get(AiTraces.FINISH_REASONS)).containsExactly("end_turn");
        assertThat(span.getAttributes().get(AiTraces.TIME_TO_FIRST_TOKEN)).isEqualTo(0.9);
        assertThat(span.getEndEpochNanos() - span.getStartEpochNanos()).isEqualTo(1_500_000_000L);
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"rejected", "internal_error"})
    void aRefusedOrFailedRequestCountsWithItsZeroTokensButHasNoProviderLatency(String outcome) throws Exception {
        Map<String, Object> refused = new java.util.HashMap<>(block("claude-x", 0, 0, 0, 0, null, 0));
        Map<String, Object> proxy = new java.util.HashMap<>((Map<String, Object>) refused.get("proxy"));
        Map<String, Object> meta = new java.util.HashMap<>((Map<String, Object>) proxy.get("meta"));
        meta.put("outcome", outcome);
        proxy.put("meta", meta);
        refused.put("proxy", proxy);
        exchange.publish("r1", "ai", CompletableFuture.completedFuture(refused));
        Samples samples = Samples.parse(scrape());
        assertThat(samples.sum("kong_ai_llm_requests_total", Map.of("ai_model", "claude-x"))).isEqualTo(1.0);
        assertThat(samples.sum("kong_ai_llm_tokens_total", Map.of("ai_model", "claude-x"))).isZero();
        assertThat(samples.sum("kong_ai_llm_provider_latency_ms_count", Map.of("ai_model", "claude-x"))).isZero();
        assertThat(samples.sum("kong_java_ai_outcomes_total", Map.of("ai_model", "claude-x", "outcome", outcome))).isEqualTo(1.0);
        running.traces().flush();
        assertThat(spans).singleElement().satisfies(span -> {
            assertThat(span.getStatus().getStatusCode()).isEqualTo(io.opentelemetry.api.trace.StatusCode.ERROR);
            assertThat(span.getAttributes().get(AiTraces.ERROR_TYPE)).isEqualTo(outcome);
        });
    }

    @Test
    void aProvidersErrorIsTheSpansErrorTypeAndACountIsNoChat() throws Exception {
        Map<String, Object> failed = new java.util.HashMap<>(block("claude-x", 10, 0, 0, 30, null, 0));
        Map<String, Object> proxy = new java.util.HashMap<>((Map<String, Object>) failed.get("proxy"));
        Map<String, Object> meta = new java.util.HashMap<>((Map<String, Object>) proxy.get("meta"));
        meta.put("outcome", "upstream_error");
        meta.put("upstream_status", 429);
        proxy.put("meta", meta);
        failed.put("proxy", proxy);
        exchange.publish("r1", "ai", CompletableFuture.completedFuture(failed));
        Map<String, Object> counted = new java.util.HashMap<>(block("claude-x", 0, 0, 0, 30, null, 0));
        Map<String, Object> countProxy = new java.util.HashMap<>((Map<String, Object>) counted.get("proxy"));
        Map<String, Object> countMeta = new java.util.HashMap<>((Map<String, Object>) countProxy.get("meta"));
        countMeta.put("request_type", "count_tokens");
        countMeta.put("outcome", "complete");
        countProxy.put("meta", countMeta);
        counted.put("proxy", countProxy);
        exchange.publish("r2", "ai", CompletableFuture.completedFuture(counted));
        running.traces().flush();
        assertThat(spans).hasSize(2);
        SpanData error = spans.stream().filter(s -> "r1".equals(s.getAttributes().get(AiTraces.REQUEST_ID))).findFirst().orElseThrow();
        assertThat(error.getAttributes().get(AiTraces.ERROR_TYPE)).isEqualTo("429");
        assertThat(error.getStatus().getStatusCode()).isEqualTo(io.opentelemetry.api.trace.StatusCode.ERROR);
        SpanData count = spans.stream().filter(s -> "r2".equals(s.getAttributes().get(AiTraces.REQUEST_ID))).findFirst().orElseThrow();
        assertThat(count.getName()).isEqualTo("count_tokens claude-x");
        assertThat(count.getStatus().getStatusCode()).isEqualTo(io.opentelemetry.api.trace.StatusCode.UNSET);
    }

    @Test
    void otherKeysAreNotAiRequests() throws Exception {
        exchange.publish("r1", "something-else", CompletableFuture.completedFuture(block("claude-x", 1, 1, 0, 1, null, 0)));
        assertThat(scrape()).doesNotContain("kong_ai_llm_requests_total{").contains("kong_java_ai_streams_open 0.0");
    }

    @Test
    void serverHealthIsThereBeforeAnyTraffic() throws Exception {
        assertThat(scrape()).contains("kong_java_events_in_flight 0.0").contains("kong_java_connections 0.0");
    }

    @Test
    void listenAddressesAreCheckedAndABarePortBindsLoopback() {
        assertThat(MetricsProvider.parseListen("9542").getHostString()).isEqualTo("127.0.0.1");
        assertThat(MetricsProvider.parseListen("0.0.0.0:9542").getPort()).isEqualTo(9542);
        assertThat(MetricsProvider.parseListen("[::1]:9542").getHostString()).isEqualTo("::1");
        assertThatThrownBy(() -> MetricsProvider.parseListen("localhost:http")).hasMessageContaining("HOST:PORT");
        assertThatThrownBy(() -> MetricsProvider.parseListen("127.0.0.1:70000")).hasMessageContaining("65535");
    }

    @Test
    void modelNamesAClientMadeUpCannotGrowTheScrapeWithoutBound() throws Exception {
        String huge = "m".repeat(200_000);
        exchange.publish("r0", "ai", CompletableFuture.completedFuture(block(huge, 0, 0, 0, 0, null, 0)));
        for (int i = 0; i < ModelLabels.MAX_DISTINCT + 50; i++) {
            exchange.publish("r" + (i + 1), "ai", CompletableFuture.completedFuture(block("made-up-" + i, 0, 0, 0, 0, null, 0)));
        }
        String text = scrape();
        Samples samples = Samples.parse(text);
        assertThat(samples.sum("kong_ai_llm_requests_total", Map.of())).isEqualTo(ModelLabels.MAX_DISTINCT + 51.0);
        assertThat(samples.sum("kong_ai_llm_requests_total", Map.of("ai_model", "m".repeat(ModelLabels.MAX_LENGTH)))).isEqualTo(1.0);
        assertThat(samples.sum("kong_ai_llm_requests_total", Map.of("ai_model", ModelLabels.OTHER))).isEqualTo(51.0);
        assertThat(text.length()).as("scrape size").isLessThan(2_000_000);
        running.traces().flush();
        assertThat(spans).allSatisfy(span -> assertThat(span.getName().length()).isLessThanOrEqualTo(5 + ModelLabels.MAX_LENGTH));
    }

    @Test
    void aPortStillTakenByADrainingServerIsBoundWhenItIsFreeAndThePluginsAreServedMeanwhile() throws Exception {
        int port;
        MetricsProvider.Running next;
        try (java.net.ServerSocket draining = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            port = draining.getLocalPort();
            next = MetricsProvider.start(server, exchange, "127.0.0.1:" + port, null);
            assertThat(next.port()).isEqualTo(-1);
        }
        try {
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> next.port() == port);
            HttpResponse<String> response = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            next.stopServing();
            assertThatThrownBy(() -> new java.net.Socket("127.0.0.1", port).close()).isInstanceOf(java.net.ConnectException.class);
        } finally {
            next.close();
        }
    }

    @Test
    void clientsThatConnectAndSayNothingDoNotStarveTheScrapesAndOtherPathsAre404() throws Exception {
        List<java.net.Socket> idle = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 40; i++) {
                java.net.Socket socket = new java.net.Socket("127.0.0.1", running.port());
                socket.getOutputStream().write("GET /metr".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                idle.add(socket);
            }
            java.util.concurrent.CompletableFuture<String> scraped = CompletableFuture.supplyAsync(() -> {
                try {
                    return scrape();
                } catch (Exception e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            });
            assertThat(scraped.get(10, java.util.concurrent.TimeUnit.SECONDS)).contains("kong_java_connections");
        } finally {
            for (java.net.Socket socket : idle) {
                socket.close();
            }
        }
        HttpResponse<String> other = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + running.port() + "/../etc/passwd")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(other.statusCode()).isEqualTo(404);
    }

    private record Collecting(List<SpanData> into) implements SpanExporter {
        @Override
        public CompletableResultCode export(Collection<SpanData> batch) {
            into.addAll(batch);
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode flush() {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
        }
    }
}
