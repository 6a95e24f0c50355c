package io.kongjava.plugins.ai;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Server-sent events parsed incrementally from whatever chunks the network delivers: a line or an event
 * may be split anywhere, even inside a UTF-8 character, and lines may end in LF, CRLF or CR (as the SSE format allows). Comments are skipped and
 * fields other than {@code event} and {@code data} ignored. Not thread-safe: one parser per stream.
 */
public final class SseParser {

    /**
     * The longest event taken, in bytes of its lines. An AI provider's events are a few hundred bytes (a server tool's
     * result a few hundred KB); an upstream that never ends its line would otherwise fill the server's heap.
     */
    public static final int MAX_EVENT_BYTES = 4 << 20;

    /** An event longer than {@link #MAX_EVENT_BYTES}: the stream cannot be passed on whole. */
    public static final class OversizedEvent extends IllegalStateException {
        OversizedEvent() {
            super("an SSE event longer than " + (MAX_EVENT_BYTES >> 20) + " MiB: the stream is broken off");
        }
    }

    /** Receives each complete event; {@code event} is {@code "message"} when the stream named none. */
    public interface Listener {
        void onEvent(String event, String data);
    }

    private final Listener listener;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
    private final StringBuilder data = new StringBuilder();
    private String event;
    private boolean hasData;
    /** The last byte was a CR, so an LF next belongs to the same line end. */
    private boolean afterCarriageReturn;

    public SseParser(Listener listener) {
        this.listener = listener;
    }

    /** @throws OversizedEvent when the event being read grows past {@link #MAX_EVENT_BYTES} */
    public void feed(byte[] bytes, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            byte b = bytes[i];
            if (b == '\n' && afterCarriageReturn) {
                afterCarriageReturn = false; // the LF of a CRLF: its line has ended already
            } else if (b == '\n' || b == '\r') {
                afterCarriageReturn = b == '\r';
                endLine();
            } else {
                afterCarriageReturn = false;
                line.write(b);
            }
        }
        if ((long) line.size() + data.length() > MAX_EVENT_BYTES) {
            throw new OversizedEvent();
        }
    }

    /** Dispatches an event the stream ended without its blank line. */
    public void finish() {
        if (line.size() > 0) {
            endLine();
        }
        dispatch();
    }

    private void endLine() {
        String text = line.toString(StandardCharsets.UTF_8);
        line.reset();
        if (text.isEmpty()) {
            dispatch();
            return;
        }
        if (text.startsWith(":")) {
            return;
        }
        int colon = text.indexOf(':');
        String field = colon < 0 ? text : text.substring(0, colon);
        String value = colon < 0 ? "" : text.substring(colon + 1);
        if (value.startsWith(" ")) {
            value = value.substring(1);
        }
        switch (field) {
            case "event" -> event = value;
            case "data" -> {
                if (hasData) {
                    data.append('\n');
                }
                data.append(value);
                hasData = true;
            }
            default -> { }
        }
    }

    private void dispatch() {
        if (hasData) {
            listener.onEvent(event == null ? "message" : event, data.toString());
        }
        event = null;
        data.setLength(0);
        hasData = false;
    }
}
