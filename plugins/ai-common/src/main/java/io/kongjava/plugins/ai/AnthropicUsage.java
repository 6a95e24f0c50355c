package io.kongjava.plugins.ai;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The token counts of one exchange, read from Anthropic's {@code usage} objects as they arrive (every provider
 * the AI plugins call answers with Claude's usage, cache tokens included).
 *
 * <p>{@code message_delta}'s usage is cumulative and {@code message_start}'s output count provisional, so every
 * count replaces the previous one instead of being added (the double counting of Kong/kong#14535). Prompt
 * tokens include the cache writes and reads, as Kong Enterprise counts them. Not thread-safe: the meter that
 * owns it guards it.
 */
public final class AnthropicUsage {

    private long inputTokens;
    private long cacheCreationTokens;
    /** Of the cache writes, those for the 1-hour cache ({@code usage.cache_creation.ephemeral_1h_input_tokens}). */
    private long cacheCreation1hTokens;
    private long cacheReadTokens;
    private long outputTokens;
    private boolean seen;

    /** Takes the counts a usage object carries; anything but an object is ignored. */
    public void read(JsonNode usage) {
        if (usage == null || !usage.isObject()) {
            return;
        }
        seen = true;
        inputTokens = replace(usage, "input_tokens", inputTokens);
        cacheCreationTokens = replace(usage, "cache_creation_input_tokens", cacheCreationTokens);
        cacheReadTokens = replace(usage, "cache_read_input_tokens", cacheReadTokens);
        outputTokens = replace(usage, "output_tokens", outputTokens);
        JsonNode breakdown = usage.get("cache_creation");
        if (breakdown != null && breakdown.isObject()) {
            cacheCreation1hTokens = replace(breakdown, "ephemeral_1h_input_tokens", cacheCreation1hTokens);
        }
    }

    /** More tokens than any exchange has: a count above it is the upstream's nonsense, not usage. */
    static final long MAX_COUNT = 1_000_000_000_000L;

    /**
     * The field's count when it is a whole number from 0 to {@link #MAX_COUNT}; anything else (a string, a fraction,
     * a negative or huge number, which would wrap around or turn the cost negative) leaves the count as it was.
     */
    private static long replace(JsonNode usage, String field, long current) {
        JsonNode value = usage.get(field);
        if (value == null || !value.isIntegralNumber() || !value.canConvertToLong()) {
            return current;
        }
        long count = value.asLong();
        return count >= 0 && count <= MAX_COUNT ? count : current;
    }

    /** Whether any usage object came. */
    public boolean seen() {
        return seen;
    }

    public long inputTokens() {
        return inputTokens;
    }

    public long cacheCreationTokens() {
        return cacheCreationTokens;
    }

    /** The 1-hour cache writes, never more than all cache writes whatever the upstream claimed. */
    public long cacheCreation1hTokens() {
        return Math.min(cacheCreation1hTokens, cacheCreationTokens);
    }

    public long cacheReadTokens() {
        return cacheReadTokens;
    }

    public long outputTokens() {
        return outputTokens;
    }

    /** Input tokens plus the cache writes and reads. */
    public long promptTokens() {
        return inputTokens + cacheCreationTokens + cacheReadTokens;
    }
}
