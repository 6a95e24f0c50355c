package io.kongjava.testing.anthropic;

/**
 * The token counts the fake reports, in Anthropic's terms: {@code input_tokens} excludes the cached parts,
 * which are counted in {@code cache_creation_input_tokens} and {@code cache_read_input_tokens}.
 */
public record Usage(long inputTokens, long outputTokens, long cacheCreationInputTokens, long cacheReadInputTokens) {

    public Usage {
        if (inputTokens < 0 || outputTokens < 0 || cacheCreationInputTokens < 0 || cacheReadInputTokens < 0) {
            throw new IllegalArgumentException("token counts cannot be negative");
        }
    }

    public static Usage of(long inputTokens, long outputTokens) {
        return new Usage(inputTokens, outputTokens, 0, 0);
    }

    public Usage withCache(long creation, long read) {
        return new Usage(inputTokens, outputTokens, creation, read);
    }
}
