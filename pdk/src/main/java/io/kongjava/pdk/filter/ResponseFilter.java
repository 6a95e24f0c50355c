package io.kongjava.pdk.filter;

import java.util.Map;

/**
 * One request's view of its upstream exchange, called by the relay on one thread, in this order:
 * {@link #onRequest} once, {@link #onHeaders} once, {@link #onChunk} for each piece of the body as it
 * arrives (fed with what the filters before this one returned), {@link #onEnd} at the end of the body, and
 * {@link #onClose} exactly once however the exchange ended. A method that throws ends the response: with
 * Kong's 500 when nothing was sent yet (the status of an {@link AnswerRefused}), otherwise by closing the body where
 * it is; the log line says so.
 *
 * <p>Bytes returned reach the client as soon as every later filter has passed them on; an empty array
 * holds nothing back and sends nothing. The response head is sent with the first bytes that leave (or at
 * the end), so a filter that buffers the whole body may still change the status and headers in
 * {@link #onHeaders}, and a body nobody streamed gets a Content-Length.
 */
public interface ResponseFilter {

    byte[] NOTHING = new byte[0];

    /** The request about to be sent upstream: its URL, headers and body may be changed here, off Kong. */
    default void onRequest(UpstreamRequest request) throws Exception {
    }

    /** The upstream's status and headers (hop-by-hop ones and Content-Length removed), changeable. */
    default void onHeaders(ResponseHead head) throws Exception {
    }

    /** A piece of the body; returns what goes on to the next filter and then the client. */
    default byte[] onChunk(byte[] chunk) throws Exception {
        return chunk;
    }

    /** The body ended (or broke off after it had started: see {@link #onClose}); returns any last bytes. */
    default byte[] onEnd() throws Exception {
        return NOTHING;
    }

    /** How the exchange ended; called once, last. Must not throw. */
    default void onClose(StreamEnd end) {
    }

    /**
     * Fields for the request's log line, by dotted path as in {@code kong.log.set_serialize_value} (e.g.
     * {@code ai.sanitizer.redactions}); read once after {@link #onClose}. java-file-log writes them.
     */
    default Map<String, Object> logFields() {
        return Map.of();
    }
}
