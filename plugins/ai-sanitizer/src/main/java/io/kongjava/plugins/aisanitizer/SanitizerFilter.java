package io.kongjava.plugins.aisanitizer;

import io.kongjava.pdk.filter.ResponseFilter;
import io.kongjava.pdk.filter.ResponseHead;
import io.kongjava.pdk.filter.StreamEnd;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One answer's redaction. A streamed answer (Anthropic's SSE) is passed on whole event by whole event; in
 * each text delta the text block's last characters are held back (at most the configured match length) and
 * sent with the next delta of the block, or in one more delta just before the block's
 * {@code content_block_stop}, so a match split across deltas is still caught and every event stays valid.
 * A whole JSON answer is redacted in every {@code text} value. Anything else passes untouched.
 */
final class SanitizerFilter implements ResponseFilter {

    /** A JSON body is read whole to be redacted; one larger than this is refused. */
    static final int MAX_BUFFERED = 64 << 20;
    private static final Pattern INDEX = Pattern.compile("\"index\"\\s*:\\s*(\\d+)");

    private enum Mode { STREAM, WHOLE, PASS }

    private final Redactor redactor;
    private Mode mode = Mode.PASS;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    /** Raw text held back per content block index. */
    private final Map<Integer, String> held = new TreeMap<>();
    private int redactions;

    SanitizerFilter(Redactor redactor) {
        this.redactor = redactor;
    }

    @Override
    public void onHeaders(ResponseHead head) {
        String type = head.headers().first("content-type").orElse("").toLowerCase(Locale.ROOT);
        if (type.startsWith("text/event-stream")) {
            mode = Mode.STREAM;
        } else if (type.startsWith("application/json") && head.status() < 300) {
            mode = Mode.WHOLE;
        }
    }

    @Override
    public byte[] onChunk(byte[] chunk) throws IOException {
        if (mode == Mode.PASS) {
            return chunk;
        }
        if (pending.size() + (long) chunk.length > MAX_BUFFERED) {
            throw new IOException("java-ai-sanitizer: more than " + MAX_BUFFERED + " bytes without an end of event");
        }
        pending.write(chunk);
        if (mode == Mode.WHOLE) {
            return NOTHING;
        }
        byte[] bytes = pending.toByteArray();
        int end = lastEventEnd(bytes);
        if (end == 0) {
            return NOTHING;
        }
        pending.reset();
        pending.write(bytes, end, bytes.length - end);
        String events = new String(bytes, 0, end, StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder(events.length());
        for (String event : events.split("(?<=\n\n)|(?<=\r\n\r\n)")) {
            out.append(event(event));
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public byte[] onEnd() {
        String rest = pending.toString(StandardCharsets.UTF_8);
        pending.reset();
        if (mode == Mode.WHOLE) {
            return redactWhole(rest).getBytes(StandardCharsets.UTF_8);
        }
        if (mode == Mode.STREAM) {
            StringBuilder out = new StringBuilder();
            for (Integer index : held.keySet().toArray(Integer[]::new)) {
                out.append(flush(index));
            }
            // An unfinished last event: its text cannot be held back any more, so it is redacted as it stands.
            return out.append(redactWhole(rest)).toString().getBytes(StandardCharsets.UTF_8);
        }
        return NOTHING;
    }

    @Override
    public void onClose(StreamEnd end) {
        held.clear();
    }

    @Override
    public Map<String, Object> logFields() {
        return Map.of("ai.sanitizer.redactions", redactions);
    }

    int redactions() {
        return redactions;
    }

    private String redactWhole(String json) {
        return JsonText.rewriteValues(json, "text", text -> {
            Redactor.Redacted redacted = redactor.redact(text);
            redactions += redacted.count();
            return redacted.text();
        });
    }

    private String event(String event) {
        String data = data(event);
        if (data == null) {
            return event;
        }
        String type = JsonText.firstValue(data, "type");
        Matcher index = INDEX.matcher(data);
        int block = index.find() ? Integer.parseInt(index.group(1)) : 0;
        if ("content_block_delta".equals(type) && data.contains("\"text_delta\"")) {
            String rewritten = JsonText.rewriteValues(data, "text", text -> {
                Redactor.Split split = redactor.split(held.getOrDefault(block, "") + text);
                redactions += split.count();
                held.put(block, split.held());
                return split.emitted();
            });
            return "event: content_block_delta\ndata: " + rewritten + "\n\n";
        }
        if ("content_block_stop".equals(type)) {
            return flush(block) + event;
        }
        if ("message_stop".equals(type) || "error".equals(type)) {
            StringBuilder out = new StringBuilder();
            for (Integer open : held.keySet().toArray(Integer[]::new)) {
                out.append(flush(open));
            }
            return out.append(event).toString();
        }
        return event;
    }

    /** The block's held text, redacted, as one more text delta; empty when nothing is held. */
    private String flush(int block) {
        String text = held.remove(block);
        if (text == null || text.isEmpty()) {
            return "";
        }
        Redactor.Redacted redacted = redactor.redact(text);
        redactions += redacted.count();
        return "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":" + block
                + ",\"delta\":{\"type\":\"text_delta\",\"text\":" + JsonText.encode(redacted.text()) + "}}\n\n";
    }

    /** The event's data (its data lines joined), or null when it has none. */
    private static String data(String event) {
        StringBuilder data = null;
        for (String line : event.split("\r?\n")) {
            if (line.startsWith("data:")) {
                String value = line.substring(5);
                value = value.startsWith(" ") ? value.substring(1) : value;
                data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
            }
        }
        return data == null ? null : data.toString();
    }

    /** Index just past the last blank line (the end of the last whole event), or 0. */
    private static int lastEventEnd(byte[] bytes) {
        for (int i = bytes.length - 1; i > 0; i--) {
            if (bytes[i] == '\n' && (bytes[i - 1] == '\n' || (i > 2 && bytes[i - 1] == '\r' && bytes[i - 2] == '\n'))) {
                return i + 1;
            }
        }
        return 0;
    }
}
