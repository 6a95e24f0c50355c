package io.kongjava.plugins.aiproxy;

import com.fasterxml.jackson.databind.JsonNode;
import io.kongjava.plugins.ai.AnthropicUsage;
import io.kongjava.plugins.ai.Prices;

/**
 * What one LLM exchange cost and how long it took: the token counts ({@link AnthropicUsage}), the response's
 * model, stop reason and text, and the timings.
 */
final class Meter {

    private final long startNanos;
    private final int payloadLimit;
    private final AnthropicUsage usage = new AnthropicUsage();
    private long countedTokens = -1;
    private String responseModel;
    private String stopReason;
    private long firstTokenNanos;
    private long endNanos;
    private final StringBuilder responseText = new StringBuilder();
    private final StringBuilder responsePayload = new StringBuilder();

    Meter(long startNanos, int payloadLimit) {
        this.startNanos = startNanos;
        this.payloadLimit = payloadLimit;
    }

    synchronized void usage(JsonNode usage) {
        this.usage.read(usage);
    }

    /** The answer of a count_tokens call. */
    synchronized void counted(long tokens) {
        countedTokens = tokens;
    }

    /** The answer of a count_tokens call; {@code -1} when there was none. */
    synchronized long countedTokens() {
        return countedTokens;
    }

    synchronized long cacheCreation1hTokens() {
        return usage.cacheCreation1hTokens();
    }

    synchronized void responseModel(String model) {
        if (model != null && !model.isEmpty()) {
            responseModel = model;
        }
    }

    synchronized void stopReason(String reason) {
        if (reason != null && !reason.isEmpty()) {
            stopReason = reason;
        }
    }

    /** Generated text arrived (a text, tool input or thinking delta). */
    synchronized void token(String text) {
        if (firstTokenNanos == 0) {
            firstTokenNanos = System.nanoTime();
        }
        if (text != null && responseText.length() < payloadLimit) {
            responseText.append(text, 0, Math.min(text.length(), payloadLimit - responseText.length()));
        }
    }

    /** Raw response text kept for {@code log_payloads}, up to the payload limit. */
    synchronized void payload(String text) {
        if (responsePayload.length() < payloadLimit) {
            responsePayload.append(text, 0, Math.min(text.length(), payloadLimit - responsePayload.length()));
        }
    }

    synchronized void end() {
        if (endNanos == 0) {
            endNanos = System.nanoTime();
        }
    }

    synchronized long promptTokens() {
        return usage.promptTokens();
    }

    /** The final output count; estimated at four characters per token only when the upstream sent none. */
    synchronized long completionTokens() {
        if (!usage.seen() && usage.outputTokens() == 0 && !responseText.isEmpty()) {
            return (responseText.toString().strip().length() + 3) / 4;
        }
        return usage.outputTokens();
    }

    synchronized long inputTokens() {
        return usage.inputTokens();
    }

    synchronized long cacheCreationTokens() {
        return usage.cacheCreationTokens();
    }

    synchronized long cacheReadTokens() {
        return usage.cacheReadTokens();
    }

    /** The cost at {@code prices}, with {@code completionTokens} (possibly estimated) as the output count. */
    synchronized double cost(Prices prices, long completionTokens) {
        return prices.cost(usage, completionTokens);
    }

    synchronized String responseModel() {
        return responseModel;
    }

    synchronized String stopReason() {
        return stopReason;
    }

    synchronized String responsePayload() {
        return responsePayload.toString();
    }

    synchronized String responseText() {
        return responseText.toString();
    }

    /** Milliseconds from the access phase to the end of the upstream response. */
    synchronized long latencyMillis() {
        long end = endNanos == 0 ? System.nanoTime() : endNanos;
        return (end - startNanos) / 1_000_000;
    }

    /** Milliseconds from the access phase to the first generated token; {@code -1} if none came. */
    synchronized long timeToFirstTokenMillis() {
        return firstTokenNanos == 0 ? -1 : (firstTokenNanos - startNanos) / 1_000_000;
    }
}
