package io.kongjava.plugins.aiproxy;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What one LLM exchange cost and how long it took, fed from Anthropic's usage objects as they arrive.
 *
 * <p>Anthropic's {@code message_delta} usage is cumulative and {@code message_start}'s output count is
 * provisional, so every count replaces the previous one instead of being added (the double counting of
 * Kong/kong#14535). Prompt tokens include the cache writes and reads, as Kong Enterprise counts them.
 */
final class Meter {

    private final long startNanos;
    private final int payloadLimit;
    private long inputTokens;
    private long cacheCreationTokens;
    private long cacheReadTokens;
    private long outputTokens;
    /** Of the cache writes, those for the 1-hour cache ({@code usage.cache_creation.ephemeral_1h_input_tokens}). */
    private long cacheCreation1hTokens;
    private long countedTokens = -1;
    private boolean usageSeen;
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
        if (usage == null || !usage.isObject()) {
            return;
        }
        usageSeen = true;
        inputTokens = replace(usage, "input_tokens", inputTokens);
        cacheCreationTokens = replace(usage, "cache_creation_input_tokens", cacheCreationTokens);
        cacheReadTokens = replace(usage, "cache_read_input_tokens", cacheReadTokens);
        outputTokens = replace(usage, "output_tokens", outputTokens);
        JsonNode breakdown = usage.get("cache_creation");
        if (breakdown != null && breakdown.isObject()) {
            cacheCreation1hTokens = replace(breakdown, "ephemeral_1h_input_tokens", cacheCreation1hTokens);
        }
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
        return Math.min(cacheCreation1hTokens, cacheCreationTokens);
    }

    private static long replace(JsonNode usage, String field, long current) {
        JsonNode value = usage.get(field);
        return value != null && value.isNumber() ? value.asLong() : current;
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
        return inputTokens + cacheCreationTokens + cacheReadTokens;
    }

    /** The final output count; estimated at four characters per token only when the upstream sent none. */
    synchronized long completionTokens() {
        if (!usageSeen && outputTokens == 0 && !responseText.isEmpty()) {
            return (responseText.toString().strip().length() + 3) / 4;
        }
        return outputTokens;
    }

    synchronized long inputTokens() {
        return inputTokens;
    }

    synchronized long cacheCreationTokens() {
        return cacheCreationTokens;
    }

    synchronized long cacheReadTokens() {
        return cacheReadTokens;
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
