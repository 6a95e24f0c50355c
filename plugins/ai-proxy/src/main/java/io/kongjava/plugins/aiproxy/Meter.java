package io.kongjava.plugins.aiproxy;

import io.kongjava.plugins.ai.ExchangeMeter;

/**
 * What one LLM exchange cost and how long it took ({@link ExchangeMeter}), plus the generated text, from which
 * the completion count is estimated when the upstream sent no final count.
 */
final class Meter extends ExchangeMeter {

    private final StringBuilder responseText = new StringBuilder();
    private long generatedChars;
    /** The upstream's last word on the counts came (a whole answer's usage, a stream's message_delta). */
    private boolean finalCount;

    Meter(long startNanos, int payloadLimit) {
        super(startNanos, payloadLimit);
    }

    /** Generated text arrived (a text, tool input or thinking delta). */
    synchronized void token(String text) {
        firstToken();
        if (text != null) {
            generatedChars += text.length();
        }
        if (text != null && responseText.length() < payloadLimit()) {
            responseText.append(text, 0, Math.min(text.length(), payloadLimit() - responseText.length()));
        }
    }

    /** The counts that end an exchange: a whole answer's usage, or a stream's {@code message_delta}. */
    synchronized void finalUsage(com.fasterxml.jackson.databind.JsonNode usage) {
        usage(usage);
        finalCount = usage != null && usage.isObject();
    }

    /**
     * A whole answer's usage, the last word whether it came or not: Kong estimates a count only at a stream's end, and
     * logs a whole answer without usage with 0 tokens.
     */
    synchronized void wholeAnswerUsage(com.fasterxml.jackson.databind.JsonNode usage) {
        usage(usage);
        finalCount = true;
    }

    /**
     * The output count: the upstream's final one; without it (a stream cut before its {@code message_delta}, whose
     * {@code message_start} says 1) at least four characters a token of what was generated, so that the output the
     * client got is not logged as one token. Kong estimates only when the count is 0.
     */
    synchronized long completionTokens() {
        if (!finalCount && generatedChars > 0) {
            return Math.max(outputTokens(), (generatedChars + 3) / 4);
        }
        return outputTokens();
    }

    synchronized String responseText() {
        return responseText.toString();
    }
}
