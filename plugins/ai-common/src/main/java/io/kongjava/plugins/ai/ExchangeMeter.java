package io.kongjava.plugins.ai;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What one LLM exchange used and how long it took: its token counts ({@link AnthropicUsage}), the answer's model
 * and stop reason, the answer's text kept for {@code log_payloads} (up to a limit, so one request cannot flood a
 * log line), and the timings from the access phase. Each plugin's meter adds how it is fed. Thread-safe: every
 * method holds the meter's lock, which a subclass's synchronized methods share.
 */
public class ExchangeMeter {

    private final long startNanos;
    private final int payloadLimit;
    private final AnthropicUsage usage = new AnthropicUsage();
    private long countedTokens = -1;
    private String responseModel;
    private String stopReason;
    private long firstTokenNanos;
    private long endNanos;
    private final StringBuilder payload = new StringBuilder();
    private java.nio.charset.CharsetDecoder payloadDecoder;
    private byte[] payloadCarry = new byte[0];

    /**
     * @param startNanos   {@link System#nanoTime()} when the access phase began
     * @param payloadLimit how many characters of payload (and of any text a subclass keeps) to keep at most
     */
    protected ExchangeMeter(long startNanos, int payloadLimit) {
        this.startNanos = startNanos;
        this.payloadLimit = payloadLimit;
    }

    protected final int payloadLimit() {
        return payloadLimit;
    }

    /** Takes the counts of an Anthropic {@code usage} object. */
    public synchronized void usage(JsonNode usage) {
        this.usage.read(usage);
    }

    /** The answer of a count_tokens call. */
    public synchronized void counted(long tokens) {
        countedTokens = tokens;
    }

    /** The answer of a count_tokens call; {@code -1} when there was none. */
    public synchronized long countedTokens() {
        return countedTokens;
    }

    /** The model the answer names; null or empty keeps the previous one. */
    public synchronized void responseModel(String model) {
        if (model != null && !model.isEmpty()) {
            responseModel = model;
        }
    }

    /** The answer's stop reason; null or empty keeps the previous one. */
    public synchronized void stopReason(String reason) {
        if (reason != null && !reason.isEmpty()) {
            stopReason = reason;
        }
    }

    /** Generated content arrived; only the first time counts. */
    public synchronized void firstToken() {
        if (firstTokenNanos == 0) {
            firstTokenNanos = System.nanoTime();
        }
    }

    /** Keeps raw answer text for {@code log_payloads}, up to the payload limit. */
    public synchronized void payload(String text) {
        if (payload.length() < payloadLimit) {
            payload.append(text, 0, Math.min(text.length(), payloadLimit - payload.length()));
        }
    }

    /**
     * Keeps raw answer bytes as they arrive, for {@code log_payloads}: a character split between two reads is decoded
     * whole, not as two replacement characters.
     */
    public synchronized void payload(byte[] chunk) {
        if (payload.length() >= payloadLimit) {
            return;
        }
        if (payloadDecoder == null) {
            payloadDecoder = java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(java.nio.charset.CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPLACE);
        }
        java.nio.ByteBuffer in;
        if (payloadCarry.length > 0) {
            in = java.nio.ByteBuffer.allocate(payloadCarry.length + chunk.length).put(payloadCarry).put(chunk).flip();
        } else {
            in = java.nio.ByteBuffer.wrap(chunk);
        }
        java.nio.CharBuffer out = java.nio.CharBuffer.allocate(in.remaining());
        payloadDecoder.decode(in, out, false);
        payloadCarry = new byte[in.remaining()]; // at most the first bytes of one character
        in.get(payloadCarry);
        out.flip();
        payload(out.toString());
    }

    public synchronized String payload() {
        return payload.toString();
    }

    /** The answer ended (the first call counts). */
    public synchronized void end() {
        if (endNanos == 0) {
            endNanos = System.nanoTime();
        }
    }

    public synchronized long promptTokens() {
        return usage.promptTokens();
    }

    public synchronized long inputTokens() {
        return usage.inputTokens();
    }

    public synchronized long cacheCreationTokens() {
        return usage.cacheCreationTokens();
    }

    public synchronized long cacheCreation1hTokens() {
        return usage.cacheCreation1hTokens();
    }

    public synchronized long cacheReadTokens() {
        return usage.cacheReadTokens();
    }

    /** The output count the upstream reported (0 when none). */
    public synchronized long outputTokens() {
        return usage.outputTokens();
    }

    /** Whether the upstream sent any usage object. */
    public synchronized boolean usageSeen() {
        return usage.seen();
    }

    public synchronized String responseModel() {
        return responseModel;
    }

    public synchronized String stopReason() {
        return stopReason;
    }

    /** The cost at {@code prices}, with {@code completionTokens} as the output count. */
    public synchronized double cost(Prices prices, long completionTokens) {
        return prices.cost(usage, completionTokens);
    }

    /** Milliseconds from the access phase to the end of the answer (to now while it lasts). */
    public synchronized long latencyMillis() {
        return (endOrNowNanos() - startNanos) / 1_000_000;
    }

    /** Milliseconds from the access phase to the first generated token; {@code -1} if none came. */
    public synchronized long timeToFirstTokenMillis() {
        return firstTokenNanos == 0 ? -1 : (firstTokenNanos - startNanos) / 1_000_000;
    }

    /** {@link System#nanoTime()} of the first generated token; 0 if none came. */
    protected final synchronized long firstTokenNanos() {
        return firstTokenNanos;
    }

    /** {@link System#nanoTime()} of the end, or now while the answer lasts. */
    protected final synchronized long endOrNowNanos() {
        return endNanos == 0 ? System.nanoTime() : endNanos;
    }
}
