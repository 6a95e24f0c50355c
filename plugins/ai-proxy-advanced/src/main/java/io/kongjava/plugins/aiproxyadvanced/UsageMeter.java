package io.kongjava.plugins.aiproxyadvanced;

import com.fasterxml.jackson.databind.JsonNode;
import io.kongjava.plugins.ai.ExchangeMeter;
import io.kongjava.plugins.ai.Prices;

/**
 * Tokens, cost and timings of one provider call ({@link ExchangeMeter}: every provider here answers with Claude's
 * own usage, cache tokens included), fed with the events of its answer as they arrive.
 */
final class UsageMeter extends ExchangeMeter {

    /** Payloads logged with log_payloads are cut here, so one request cannot flood a log line. */
    static final int PAYLOAD_LIMIT = 1 << 20;

    UsageMeter(long startNanos) {
        super(startNanos, PAYLOAD_LIMIT);
    }

    /** Feeds one event of Claude's stream. */
    synchronized void event(AnthropicEvent event, JsonNode json) {
        switch (event.type()) {
            case "message_start" -> {
                usage(json.path("message").get("usage"));
                responseModel(json.path("message").path("model").asText(null));
            }
            case "content_block_delta" -> firstToken();
            case "message_delta" -> {
                usage(json.get("usage"));
                stopReason(json.path("delta").path("stop_reason").asText(null));
            }
            default -> { }
        }
    }

    /** Feeds a whole (non-streamed) answer. */
    synchronized void message(JsonNode message, ClientRequest.Operation operation) {
        if (operation == ClientRequest.Operation.COUNT_TOKENS) {
            counted(message.path("input_tokens").asLong(0));
            return;
        }
        usage(message.get("usage"));
        responseModel(message.path("model").asText(null));
        stopReason(message.path("stop_reason").asText(null));
        if (message.path("content").size() > 0) {
            firstToken();
        }
    }

    synchronized long completionTokens() {
        return outputTokens();
    }

    /** Milliseconds per output token after the first, for lowest-latency's tpot; e2e latency when none came. */
    synchronized double millisPerToken() {
        long outputTokens = outputTokens();
        if (outputTokens <= 1 || firstTokenNanos() == 0) {
            return latencyMillis();
        }
        return (endOrNowNanos() - firstTokenNanos()) / 1e6 / (outputTokens - 1);
    }

    /**
     * The cost at the target's prices ({@link Prices}: Anthropic's cache tiers priced apart); none when neither
     * input_cost nor output_cost is set.
     */
    synchronized double cost(AdvancedConfig.Options options) {
        if (options.inputCost().isEmpty() && options.outputCost().isEmpty()) {
            return 0.0;
        }
        return cost(new Prices(options.inputCost(), options.outputCost(), options.cacheReadCost(),
                options.cacheWriteCost(), options.cacheWrite1hCost()), outputTokens());
    }
}
