package io.kongjava.metrics;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One OTLP span per AI request, with OpenTelemetry's GenAI semantic conventions: the provider call as a
 * {@code CLIENT} span named {@code chat <model>}, from the request's start to the provider's last byte.
 */
public final class AiTraces implements Consumer<AiBlock>, AutoCloseable {

    static final AttributeKey<String> OPERATION = AttributeKey.stringKey("gen_ai.operation.name");
    static final AttributeKey<String> PROVIDER = AttributeKey.stringKey("gen_ai.provider.name");
    /** The older name of the provider attribute, which many back ends still read. */
    static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("gen_ai.system");
    static final AttributeKey<String> REQUEST_MODEL = AttributeKey.stringKey("gen_ai.request.model");
    static final AttributeKey<String> RESPONSE_MODEL = AttributeKey.stringKey("gen_ai.response.model");
    static final AttributeKey<Long> INPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.input_tokens");
    static final AttributeKey<Long> OUTPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.output_tokens");
    static final AttributeKey<Long> CACHE_READ_TOKENS = AttributeKey.longKey("gen_ai.usage.cache_read.input_tokens");
    static final AttributeKey<Long> CACHE_CREATION_TOKENS = AttributeKey.longKey("gen_ai.usage.cache_creation.input_tokens");
    static final AttributeKey<List<String>> FINISH_REASONS = AttributeKey.stringArrayKey("gen_ai.response.finish_reasons");
    /** Seconds, as the convention's {@code gen_ai.server.time_to_first_token} metric measures it. */
    static final AttributeKey<Double> TIME_TO_FIRST_TOKEN = AttributeKey.doubleKey("gen_ai.server.time_to_first_token");
    static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
    static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("kong.request.id");
    static final AttributeKey<Double> COST = AttributeKey.doubleKey("kong.gen_ai.cost");

    private final SdkTracerProvider provider;
    private final Tracer tracer;

    AiTraces(SpanExporter exporter) {
        provider = SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.create(
                        Attributes.of(AttributeKey.stringKey("service.name"), "kong-java-pluginserver"))))
                .addSpanProcessor(BatchSpanProcessor.builder(exporter).setScheduleDelay(Duration.ofMillis(500)).build())
                .build();
        tracer = provider.get("io.kongjava.metrics");
    }

    /** Spans sent over OTLP/HTTP (protobuf) to {@code endpoint}, e.g. {@code http://127.0.0.1:4318/v1/traces}. */
    static AiTraces toOtlp(String endpoint) {
        return new AiTraces(OtlpHttpSpanExporter.builder().setEndpoint(endpoint).build());
    }

    @Override
    public void accept(AiBlock block) {
        Instant end = Instant.now();
        long latencyNanos = block.latencyMillis() >= 0 ? (long) (block.latencyMillis() * 1_000_000) : 0;
        // count_tokens is no generation; the conventions name only their operations, so it is named as Anthropic does
        String operation = "count_tokens".equals(block.requestType()) ? "count_tokens" : "chat";
        Span span = tracer.spanBuilder(operation + " " + block.requestModel())
                .setSpanKind(SpanKind.CLIENT)
                .setNoParent()
                .setStartTimestamp(end.minusNanos(latencyNanos))
                .setAttribute(OPERATION, operation)
                .setAttribute(PROVIDER, block.provider())
                .setAttribute(SYSTEM, block.provider())
                .setAttribute(REQUEST_MODEL, block.requestModel())
                .setAttribute(INPUT_TOKENS, block.promptTokens())
                .setAttribute(OUTPUT_TOKENS, block.completionTokens())
                .setAttribute(CACHE_READ_TOKENS, block.cachedTokens())
                .setAttribute(CACHE_CREATION_TOKENS, block.cacheCreationTokens())
                .setAttribute(COST, block.cost())
                .startSpan();
        if (block.requestId() != null) {
            span.setAttribute(REQUEST_ID, block.requestId());
        }
        if (block.responseModel() != null) {
            span.setAttribute(RESPONSE_MODEL, block.responseModel());
        }
        if (block.finishReason() != null) {
            span.setAttribute(FINISH_REASONS, List.of(block.finishReason()));
        }
        if (block.timeToFirstTokenMillis() >= 0) {
            span.setAttribute(TIME_TO_FIRST_TOKEN, block.timeToFirstTokenMillis() / 1000.0);
        }
        if (block.outcome() != null && !block.outcome().equals("complete")) {
            // the conventions: a failed operation's span has status ERROR and error.type (the provider's HTTP status
            // when it answered with an error, else how the exchange ended)
            String type = block.upstreamStatus() >= 400 ? String.valueOf(block.upstreamStatus()) : block.outcome();
            span.setAttribute(ERROR_TYPE, type);
            span.setStatus(StatusCode.ERROR, block.outcome());
        }
        span.end(end);
    }

    /** Sends what is batched now. */
    void flush() {
        provider.forceFlush().join(5, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        provider.shutdown().join(5, TimeUnit.SECONDS);
    }
}
