package io.kongjava.plugins.ai;

import io.kongjava.pdk.Kong;
import io.kongjava.pdk.PdkException;
import java.util.UUID;

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

    /** Kong's {@code kong_request_id}, or a fresh random id (32 hex digits) where Kong has none. */
    public static String requestId(Kong kong) throws PdkException {
        return kong.nginx().getVar("kong_request_id").filter(id -> !id.isEmpty())
                .orElseGet(() -> UUID.randomUUID().toString().replace("-", ""));
    }
}
