package io.kongjava.plugins.ai;

import io.kongjava.pdk.Kong;
import io.kongjava.pdk.PdkException;
import io.kongjava.pdk.exchange.RequestExchange;
import java.util.UUID;
import java.util.concurrent.CompletionStage;

/**
 * How an AI plugin hands its log block to java-file-log through the request exchange: under which request id
 * and which keys. Both AI plugins publish the same way, so a line has one {@code ai} block whichever served it.
 */
public final class AiExchange {

    /** The exchange key java-file-log reads the block from. */
    public static final String AI_KEY = "ai";
    /** The block java-file-log writes instead when the {@link #AI_KEY} one does not come (Kong abandoned the phase). */
    public static final String AI_PENDING_KEY = "ai_pending";

    private AiExchange() {
    }

    /**
     * Drops the {@link #AI_PENDING_KEY} fallback as soon as the measured block is there: readers only take the
     * fallback when the block is missing, and held for the exchange's retention after completion (10 s) one
     * fallback per request kept a how-to burst's young collections copying tens of thousands of live entries.
     * A reader that finds neither must look for the block once more (it came between its two looks).
     */
    public static void forgetPendingOnceMeasured(RequestExchange exchange, String requestId, CompletionStage<?> block) {
        block.thenAccept(value -> {
            if (value != null) {
                exchange.forget(requestId, AI_PENDING_KEY);
            }
        });
    }

    /** Kong's {@code kong_request_id}, or a fresh random id (32 hex digits) where Kong has none. */
    public static String requestId(Kong kong) throws PdkException {
        return kong.nginx().getVar("kong_request_id").filter(id -> !id.isEmpty())
                .orElseGet(() -> UUID.randomUUID().toString().replace("-", ""));
    }
}
