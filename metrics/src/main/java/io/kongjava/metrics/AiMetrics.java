package io.kongjava.metrics;

import io.kongjava.pdk.exchange.ProcessRequestExchange;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * java-ai-proxy's figures under the names, labels and buckets of Kong's Prometheus plugin ({@code ai_metrics = true},
 * whose names Kong prefixes with {@code kong_}): {@code kong_ai_llm_requests_total}, {@code kong_ai_llm_cost_total},
 * {@code kong_ai_llm_tokens_total{token_type}} and the {@code kong_ai_llm_provider_latency_ms} histogram, each with {@code ai_provider, ai_model, cache_status, vector_db,
 * embeddings_provider, embeddings_model, workspace}. Kong fills them from the log record's {@code ai} block,
 * which an external plugin's block never reaches in time; here they are read from the block java-ai-proxy
 * publishes in the request exchange when the provider's answer has ended.
 */
final class AiMetrics implements ProcessRequestExchange.Observer {

    static final String AI_KEY = "ai";
    /** DB-less Kong, and every open-source Kong, has this one workspace; the block does not name it. */
    static final String WORKSPACE = "default";
    /** Kong's buckets for {@code ai_llm_provider_latency_ms} (kong/plugins/prometheus/exporter.lua). */
    static final double[] PROVIDER_LATENCY_BUCKETS = {250, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500, 5000, 10000,
            30000, 60000};
    /** Kong's buckets for its request latency histograms, in milliseconds: a first token can come within a few. */
    static final double[] MILLISECOND_BUCKETS = {1, 2, 5, 7, 10, 15, 20, 25, 30, 40, 50, 60, 70, 80, 90, 100, 200, 300, 400,
            500, 1000, 2000, 5000, 10000, 30000, 60000};
    static final List<String> LABELS = List.of("ai_provider", "ai_model", "cache_status", "vector_db", "embeddings_provider",
            "embeddings_model", "workspace");

    private final Counter requests;
    private final Counter cost;
    private final Counter tokens;
    private final Histogram providerLatency;
    private final Histogram timeToFirstToken;
    private final Counter unmeasured;
    private final Counter outcomes;
    private final AtomicLong open = new AtomicLong();
    private final Consumer<AiBlock> alsoTo;
    private final ModelLabels models = new ModelLabels();

    AiMetrics(PrometheusRegistry registry, Consumer<AiBlock> alsoTo) {
        this.alsoTo = alsoTo;
        String[] labels = LABELS.toArray(String[]::new);
        requests = Counter.builder().name("kong_ai_llm_requests").help("AI requests answered through java-ai-proxy, by provider and model")
                .labelNames(labels).register(registry);
        cost = Counter.builder().name("kong_ai_llm_cost").help("Cost of AI requests at the model's configured prices per million tokens")
                .labelNames(labels).register(registry);
        tokens = Counter.builder().name("kong_ai_llm_tokens").help("Tokens of AI requests, by token_type")
                .labelNames(with(labels, "token_type")).register(registry);
        providerLatency = Histogram.builder().name("kong_ai_llm_provider_latency_ms").help("Milliseconds from the request to the provider's last byte")
                .labelNames(labels).classicOnly().classicUpperBounds(PROVIDER_LATENCY_BUCKETS).register(registry);
        timeToFirstToken = Histogram.builder().name("kong_java_ai_llm_time_to_first_token_ms")
                .help("Time from the request to the provider's first token (a oneshot answer's whole latency)")
                .labelNames(labels).classicOnly().classicUpperBounds(MILLISECOND_BUCKETS).register(registry);
        unmeasured = Counter.builder().name("kong_java_ai_requests_unmeasured")
                .help("AI requests whose block carried no figures (the access phase failed, or statistics are off)")
                .register(registry);
        outcomes = Counter.builder().name("kong_java_ai_outcomes")
                .help("AI requests by how the provider call ended (complete, upstream_error, truncated, rejected, ...)")
                .labelNames("ai_provider", "ai_model", "outcome").register(registry);
        GaugeWithCallback.builder().name("kong_java_ai_streams_open")
                .help("AI requests admitted whose provider answer has not ended yet (relay streams open)")
                .callback(callback -> callback.call(open.get())).register(registry);
    }

    @Override
    public void published(String requestId, String key) {
        if (AI_KEY.equals(key)) {
            open.incrementAndGet();
        }
    }

    @Override
    public void completed(String requestId, String key, Object value) {
        if (!AI_KEY.equals(key)) {
            return;
        }
        open.decrementAndGet();
        AiBlock.of(requestId, value).map(models::bound).ifPresentOrElse(this::record, unmeasured::inc);
    }

    private void record(AiBlock block) {
        String[] labels = {block.provider(), block.requestModel(), "", "", "", "", WORKSPACE};
        requests.labelValues(labels).inc();
        outcomes.labelValues(block.provider(), block.requestModel(), block.outcome() == null ? "unknown" : block.outcome()).inc();
        // As Kong: cost and tokens count only when above 0 (no zero series for refused requests; a counter takes no
        // negative step).
        if (block.cost() > 0 && Double.isFinite(block.cost())) {
            cost.labelValues(labels).inc(block.cost());
        }
        countTokens(labels, "prompt_tokens", block.promptTokens());
        countTokens(labels, "completion_tokens", block.completionTokens());
        countTokens(labels, "total_tokens", block.totalTokens());
        countTokens(labels, "cached_tokens", block.cachedTokens());
        countTokens(labels, "cache_creation_tokens", block.cacheCreationTokens());
        // A request java-ai-proxy refused, or whose access phase failed, never reached the provider: its zero
        // latency is no provider's.
        boolean reachedProvider = !"rejected".equals(block.outcome()) && !"internal_error".equals(block.outcome());
        if (reachedProvider && block.latencyMillis() >= 0) {
            providerLatency.labelValues(labels).observe(block.latencyMillis());
        }
        if (reachedProvider && block.timeToFirstTokenMillis() >= 0) {
            timeToFirstToken.labelValues(labels).observe(block.timeToFirstTokenMillis());
        }
        alsoTo.accept(block);
    }

    private void countTokens(String[] labels, String type, long count) {
        if (count > 0) {
            tokens.labelValues(with(labels, type)).inc(count);
        }
    }

    private static String[] with(String[] values, String last) {
        String[] more = java.util.Arrays.copyOf(values, values.length + 1);
        more[values.length] = last;
        return more;
    }
}
