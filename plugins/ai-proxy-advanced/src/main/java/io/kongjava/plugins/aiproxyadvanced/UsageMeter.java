package io.kongjava.plugins.aiproxyadvanced;

import com.fasterxml.jackson.databind.JsonNode;
import io.kongjava.plugins.ai.AnthropicUsage;
import io.kongjava.plugins.ai.Prices;

/**
 * Tokens ({@link AnthropicUsage}: every provider here answers with Claude's own usage, cache tokens included),
 * cost and timings of one provider call, fed with the events of its answer as they arrive.
 */
final class UsageMeter {

    private final long startNanos;
    private final AnthropicUsage usage = new AnthropicUsage();
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
        this.usage.read(usage);
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
        return usage.promptTokens();
    }

    synchronized long completionTokens() {
        return usage.outputTokens();
    }

    synchronized long cacheReadTokens() {
        return usage.cacheReadTokens();
    }

    synchronized long cacheCreationTokens() {
        return usage.cacheCreationTokens();
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
        long outputTokens = usage.outputTokens();
        if (outputTokens <= 1 || firstTokenNanos == 0) {
            return latencyMillis();
        }
        return ((endNanos == 0 ? System.nanoTime() : endNanos) - firstTokenNanos) / 1e6 / (outputTokens - 1);
    }

    /**
     * The cost at the target's prices ({@link Prices}: Anthropic's cache tiers priced apart); none when neither
     * input_cost nor output_cost is set.
     */
    synchronized double cost(AdvancedConfig.Options options) {
        if (options.inputCost().isEmpty() && options.outputCost().isEmpty()) {
            return 0.0;
        }
        Prices prices = new Prices(options.inputCost(), options.outputCost(), options.cacheReadCost(),
                options.cacheWriteCost(), options.cacheWrite1hCost());
        return prices.cost(usage, usage.outputTokens());
    }
}
