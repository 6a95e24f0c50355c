package io.kongjava.plugins.aiproxyadvanced;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Tokens, cost and timings of one provider call, read from Anthropic's usage objects as they arrive (every
 * provider here answers with Claude's own usage, cache tokens included). {@code message_delta}'s usage is
 * cumulative and {@code message_start}'s output count provisional, so each count replaces the last.
 */
final class UsageMeter {

    static final double CACHE_WRITE_5M = 1.25;
    static final double CACHE_WRITE_1H = 2.0;
    static final double CACHE_READ = 0.1;

    private final long startNanos;
    private long inputTokens;
    private long cacheCreationTokens;
    private long cacheCreation1hTokens;
    private long cacheReadTokens;
    private long outputTokens;
    private long countedTokens = -1;
    private String responseModel;
    private String stopReason;
    private long firstTokenNanos;
    private long endNanos;
    private final StringBuilder payload = new StringBuilder();

    /** Payloads logged with log_payloads are cut here, so one request cannot flood a log line. */
    static final int PAYLOAD_LIMIT = 1 << 20;

    UsageMeter(long startNanos) {
        this.startNanos = startNanos;
    }

    synchronized void usage(JsonNode usage) {
        if (usage == null || !usage.isObject()) {
            return;
        }
        inputTokens = replace(usage, "input_tokens", inputTokens);
        cacheCreationTokens = replace(usage, "cache_creation_input_tokens", cacheCreationTokens);
        cacheReadTokens = replace(usage, "cache_read_input_tokens", cacheReadTokens);
        outputTokens = replace(usage, "output_tokens", outputTokens);
        JsonNode breakdown = usage.get("cache_creation");
        if (breakdown != null && breakdown.isObject()) {
            cacheCreation1hTokens = replace(breakdown, "ephemeral_1h_input_tokens", cacheCreation1hTokens);
        }
    }

    private static long replace(JsonNode usage, String field, long current) {
        JsonNode value = usage.get(field);
        return value != null && value.isNumber() ? value.asLong() : current;
    }

    /** Feeds one event of Claude's stream. */
    synchronized void event(AnthropicEvent event, JsonNode json) {
        switch (event.type()) {
            case "message_start" -> {
                usage(json.path("message").get("usage"));
                model(json.path("message").path("model").asText(null));
            }
            case "content_block_delta" -> firstToken();
            case "message_delta" -> {
                usage(json.get("usage"));
                stop(json.path("delta").path("stop_reason").asText(null));
            }
            default -> { }
        }
    }

    /** Feeds a whole (non-streamed) answer. */
    synchronized void message(JsonNode message, ClientRequest.Operation operation) {
        if (operation == ClientRequest.Operation.COUNT_TOKENS) {
            countedTokens = message.path("input_tokens").asLong(0);
            return;
        }
        usage(message.get("usage"));
        model(message.path("model").asText(null));
        stop(message.path("stop_reason").asText(null));
        if (message.path("content").size() > 0) {
            firstToken();
        }
    }

    private void model(String model) {
        if (model != null && !model.isEmpty()) {
            responseModel = model;
        }
    }

    private void stop(String reason) {
        if (reason != null && !reason.isEmpty()) {
            stopReason = reason;
        }
    }

    private void firstToken() {
        if (firstTokenNanos == 0) {
            firstTokenNanos = System.nanoTime();
        }
    }

    /** Keeps the answer's text for {@code log_payloads}, up to {@link #PAYLOAD_LIMIT} characters. */
    synchronized void payload(String text) {
        if (payload.length() < PAYLOAD_LIMIT) {
            payload.append(text, 0, Math.min(text.length(), PAYLOAD_LIMIT - payload.length()));
        }
    }

    synchronized String payload() {
        return payload.toString();
    }

    synchronized void end() {
        if (endNanos == 0) {
            endNanos = System.nanoTime();
        }
    }

    synchronized long promptTokens() {
        return inputTokens + cacheCreationTokens + cacheReadTokens;
    }

    synchronized long completionTokens() {
        return outputTokens;
    }

    synchronized long cacheReadTokens() {
        return cacheReadTokens;
    }

    synchronized long cacheCreationTokens() {
        return cacheCreationTokens;
    }

    synchronized long countedTokens() {
        return countedTokens;
    }

    synchronized String responseModel() {
        return responseModel;
    }

    synchronized String stopReason() {
        return stopReason;
    }

    synchronized long latencyMillis() {
        return ((endNanos == 0 ? System.nanoTime() : endNanos) - startNanos) / 1_000_000;
    }

    synchronized long timeToFirstTokenMillis() {
        return firstTokenNanos == 0 ? -1 : (firstTokenNanos - startNanos) / 1_000_000;
    }

    /** Milliseconds per output token after the first, for lowest-latency's tpot; e2e latency when none came. */
    synchronized double millisPerToken() {
        if (outputTokens <= 1 || firstTokenNanos == 0) {
            return latencyMillis();
        }
        return ((endNanos == 0 ? System.nanoTime() : endNanos) - firstTokenNanos) / 1e6 / (outputTokens - 1);
    }

    /** The cost at the target's prices, Anthropic's cache tiers priced apart (defaults: Anthropic's multipliers). */
    synchronized double cost(AdvancedConfig.Options options) {
        if (options.inputCost().isEmpty() && options.outputCost().isEmpty()) {
            return 0.0;
        }
        double input = options.inputCost().orElse(0);
        long writes1h = Math.min(cacheCreation1hTokens, cacheCreationTokens);
        long writes5m = cacheCreationTokens - writes1h;
        double perMillion = inputTokens * input
                + writes5m * options.cacheWriteCost().orElse(input * CACHE_WRITE_5M)
                + writes1h * options.cacheWrite1hCost().orElse(input * CACHE_WRITE_1H)
                + cacheReadTokens * options.cacheReadCost().orElse(input * CACHE_READ)
                + outputTokens * options.outputCost().orElse(0);
        return perMillion / 1_000_000;
    }
}
