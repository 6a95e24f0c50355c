package io.kongjava.plugins.ai;

import java.util.OptionalDouble;

/**
 * A model's configured prices, in currency units per 1,000,000 tokens ({@code model.options.*_cost}), with
 * Anthropic's cache tiers priced apart: 5-minute writes, 1-hour writes and reads each at their own price, or at
 * Anthropic's multiple of {@code input_cost} when unset. An unset input or output price counts as 0. Kong's own
 * formula prices every prompt token at input_cost.
 */
public record Prices(OptionalDouble input, OptionalDouble output, OptionalDouble cacheRead,
                     OptionalDouble cacheWrite, OptionalDouble cacheWrite1h) {

    /** Anthropic's multipliers of the input price, for cache prices the config leaves unset. */
    public static final double CACHE_WRITE_5M = 1.25;
    public static final double CACHE_WRITE_1H = 2.0;
    public static final double CACHE_READ = 0.1;

    /** The cost of the counted tokens, with {@code completionTokens} standing for the output count. */
    public double cost(AnthropicUsage usage, long completionTokens) {
        double inputPrice = input.orElse(0);
        long writes1h = usage.cacheCreation1hTokens();
        long writes5m = usage.cacheCreationTokens() - writes1h;
        double perMillion = usage.inputTokens() * inputPrice
                + writes5m * cacheWrite.orElse(inputPrice * CACHE_WRITE_5M)
                + writes1h * cacheWrite1h.orElse(inputPrice * CACHE_WRITE_1H)
                + usage.cacheReadTokens() * cacheRead.orElse(inputPrice * CACHE_READ)
                + completionTokens * output.orElse(0);
        return perMillion / 1_000_000;
    }
}
