package io.kongjava.metrics;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The figures of one request's {@code ai} block (java-ai-proxy's {@code ai.proxy.meta} and {@code ai.proxy.usage},
 * in Kong's shape), read defensively: a field that is missing or of another type counts as absent.
 */
record AiBlock(String requestId, String provider, String requestModel, String responseModel, long promptTokens,
               long completionTokens, long totalTokens, long cachedTokens, long cacheCreationTokens, double cost,
               double latencyMillis, double timeToFirstTokenMillis, String finishReason, String requestMode, String outcome,
               String requestType, long upstreamStatus) {

    static final String UNSPECIFIED = "UNSPECIFIED";

    /** The block's figures; empty when it has no {@code proxy.meta} (the route logs no statistics). */
    static Optional<AiBlock> of(String requestId, Object value) {
        if (!(value instanceof Map<?, ?> block) || !(block.get("proxy") instanceof Map<?, ?> proxy)
                || !(proxy.get("meta") instanceof Map<?, ?> meta)) {
            return Optional.empty();
        }
        Map<?, ?> usage = proxy.get("usage") instanceof Map<?, ?> u ? u : Map.of();
        Map<?, ?> details = usage.get("prompt_tokens_details") instanceof Map<?, ?> d ? d : Map.of();
        long prompt = whole(usage.get("prompt_tokens"));
        long completion = whole(usage.get("completion_tokens"));
        long total = usage.containsKey("total_tokens") ? whole(usage.get("total_tokens")) : prompt + completion;
        return Optional.of(new AiBlock(requestId,
                text(meta.get("provider_name"), "unknown"),
                text(meta.get("request_model"), UNSPECIFIED),
                text(meta.get("response_model"), null),
                prompt, completion, total,
                whole(details.get("cached_tokens")),
                whole(details.get("cache_creation_tokens")),
                number(usage.get("cost"), 0),
                number(meta.get("llm_latency"), -1),
                number(usage.get("time_to_first_token"), -1),
                finishReason(meta.get("stop_reason")),
                text(meta.get("request_mode"), null),
                text(meta.get("outcome"), null),
                text(meta.get("request_type"), null),
                whole(meta.get("upstream_status"))));
    }

    private static String finishReason(Object value) {
        if (value instanceof List<?> list && !list.isEmpty()) {
            return String.valueOf(list.getFirst());
        }
        return text(value, null);
    }

    private static String text(Object value, String otherwise) {
        return value instanceof String s && !s.isEmpty() ? s : otherwise;
    }

    private static long whole(Object value) {
        return value instanceof Number n ? Math.max(0, n.longValue()) : 0;
    }

    private static double number(Object value, double otherwise) {
        return value instanceof Number n ? n.doubleValue() : otherwise;
    }
}
