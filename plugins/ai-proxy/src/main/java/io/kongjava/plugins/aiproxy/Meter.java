package io.kongjava.plugins.aiproxy;

import io.kongjava.plugins.ai.ExchangeMeter;

/**
 * What one LLM exchange cost and how long it took ({@link ExchangeMeter}), plus the generated text, from which
 * the completion count is estimated when the upstream sent no usage.
 */
final class Meter extends ExchangeMeter {

    private final StringBuilder responseText = new StringBuilder();

    Meter(long startNanos, int payloadLimit) {
        super(startNanos, payloadLimit);
    }

    /** Generated text arrived (a text, tool input or thinking delta). */
    synchronized void token(String text) {
        firstToken();
        if (text != null && responseText.length() < payloadLimit()) {
            responseText.append(text, 0, Math.min(text.length(), payloadLimit() - responseText.length()));
        }
    }

    /** The final output count; estimated at four characters per token only when the upstream sent none. */
    synchronized long completionTokens() {
        if (!usageSeen() && outputTokens() == 0 && !responseText.isEmpty()) {
            return (responseText.toString().strip().length() + 3) / 4;
        }
        return outputTokens();
    }

    synchronized String responseText() {
        return responseText.toString();
    }
}
