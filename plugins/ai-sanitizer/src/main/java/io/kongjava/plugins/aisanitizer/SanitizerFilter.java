package io.kongjava.plugins.aisanitizer;

import io.kongjava.pdk.filter.ResponseFilter;
import io.kongjava.pdk.filter.ResponseHead;
import io.kongjava.pdk.filter.StreamEnd;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One answer's redaction; whatever it cannot read it refuses rather than passes. A streamed answer (Anthropic's SSE)
 * is passed on whole event by whole event: in each delta of text, thinking or a tool's input JSON the block's last
 * characters are held back (at most the configured match length) and sent with the block's next delta, or in one more
 * delta just before its {@code content_block_stop}, so that a match split across deltas is still caught and every
 * event stays valid; every other event is redacted in all its string values. Any other answer (any status, JSON or
 * not) is read whole and redacted in every string value of its JSON, or as text when it is no JSON.
 * The values of {@link #KEPT} (ids, types, the model, thinking signatures) are the message's structure, not its
 * content, and are not rewritten, except inside a tool call's input ({@link #FREE_FORM}), which is all content.
 */
final class SanitizerFilter implements ResponseFilter {

    /** An answer that is not streamed is read whole to be redacted; a larger one is refused (the default heap is 64 MB). */
    static final int MAX_BUFFERED = 8 << 20;
    /** The longest SSE event taken; an upstream that never ends one is refused rather than buffered. */
    static final int MAX_EVENT = 4 << 20;
    static final Set<String> KEPT = Set.of("type", "id", "role", "model", "stop_reason", "signature", "data", "tool_use_id", "name");
    /** Members whose whole value the model writes (a tool call's input): no key in them is structure. */
    static final Set<String> FREE_FORM = Set.of("input");
    private static final Pattern INDEX = Pattern.compile("\"index\"\\s*:\\s*(\\d+)");

    /** The member of each kind of delta whose text streams, and which a held tail is sent back in. */
    private static final Map<String, String> STREAMED_TEXT = Map.of(
            "text_delta", "text", "thinking_delta", "thinking", "input_json_delta", "partial_json");

    private enum Mode { STREAM, WHOLE }

    /** A block's held tail and the kind of delta it came in. */
    private record Held(String deltaType, String raw) {
    }

    private final Redactor redactor;
    private Mode mode = Mode.WHOLE;
    private String coding = "identity";
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private final Map<Integer, Held> held = new TreeMap<>();
    private int redactions;
    /** How long a whole answer waits for room in the body budget before the filter fails (the relay then answers 500). */
    static final java.time.Duration ROOM_WAIT = java.time.Duration.ofSeconds(10);
    private final io.kongjava.plugins.ai.BodyBudget.Growing answerRoom;

    SanitizerFilter(Redactor redactor) {
        this(redactor, io.kongjava.plugins.ai.BodyBudget.shared());
    }

    SanitizerFilter(Redactor redactor, io.kongjava.plugins.ai.BodyBudget budget) {
        this.redactor = redactor;
        this.answerRoom = budget.growing();
    }

    @Override
    public void onHeaders(ResponseHead head) {
        String type = head.headers().first("content-type").orElse("").toLowerCase(Locale.ROOT);
        coding = head.headers().first("content-encoding").orElse("identity").strip().toLowerCase(Locale.ROOT);
        mode = type.startsWith("text/event-stream") ? Mode.STREAM : Mode.WHOLE;
    }

    @Override
    public byte[] onChunk(byte[] chunk) throws IOException {
        try {
            return chunkRedacted(chunk);
        } catch (Redactor.TooSlow e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private byte[] chunkRedacted(byte[] chunk) throws IOException {
        if (!coding.equals("identity")) {
            throw new IOException("java-ai-sanitizer: cannot read an answer in content-encoding " + coding);
        }
        int limit = mode == Mode.WHOLE ? MAX_BUFFERED : MAX_EVENT;
        if (pending.size() + (long) chunk.length > limit) {
            throw new IOException(mode == Mode.WHOLE ? "java-ai-sanitizer: an answer larger than " + (MAX_BUFFERED >> 20) + " MiB"
                    : "java-ai-sanitizer: an SSE event longer than " + (MAX_EVENT >> 20) + " MiB");
        }
        if (mode == Mode.WHOLE) {
            makeRoom(pending.size() + (long) chunk.length);
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
    public byte[] onEnd() throws IOException {
        try {
            return endRedacted();
        } catch (Redactor.TooSlow e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private byte[] endRedacted() throws IOException {
        byte[] rest = pending.toByteArray();
        pending.reset();
        if (!coding.equals("identity") && rest.length > 0) {
            throw new IOException("java-ai-sanitizer: cannot read an answer in content-encoding " + coding);
        }
        if (mode == Mode.WHOLE) {
            return redactBody(rest);
        }
        StringBuilder out = new StringBuilder();
        for (Integer index : held.keySet().toArray(Integer[]::new)) {
            out.append(flush(index));
        }
        // An unfinished last event (the upstream broke off): no JSON to walk, so its text is redacted as it stands.
        return out.append(redactText(new String(rest, StandardCharsets.UTF_8))).toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Room in the server's body budget (shared with java-ai-proxy) for a whole answer this large: several multi-MB answers
     * at once would otherwise run the small heap out of memory and fail every request in flight.
     */
    private void makeRoom(long size) throws IOException {
        try {
            if (!answerRoom.ensure(size, ROOM_WAIT)) {
                throw new IOException("java-ai-sanitizer: the plugin server holds as many large answers as its heap allows;"
                        + " an answer of " + (size >> 10) + " KiB or more found no room");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting for room for the answer");
        }
    }

    @Override
    public void onClose(StreamEnd end) {
        held.clear();
        answerRoom.close();
    }

    @Override
    public Map<String, Object> logFields() {
        return Map.of("ai.sanitizer.redactions", redactions);
    }

    int redactions() {
        return redactions;
    }

    /** A whole answer: its JSON's string values, or, for anything else, its text (bytes that are no UTF-8 kept as they are). */
    private byte[] redactBody(byte[] body) {
        Charset charset = isUtf8(body) ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1;
        String text = new String(body, charset);
        String redacted = JsonText.looksLikeJson(text) ? redactJson(text) : redactText(text);
        return redacted.equals(text) ? body : redacted.getBytes(charset);
    }

    private String redactJson(String json) {
        return JsonText.rewriteStrings(json, KEPT, FREE_FORM, this::redactText);
    }

    private String redactText(String text) {
        Redactor.Redacted redacted = redactor.redact(text);
        redactions += redacted.count();
        return redacted.text();
    }

    private String event(String event) {
        String data = data(event);
        if (data == null) {
            return event;
        }
        String type = JsonText.firstValue(data, "type");
        Matcher index = INDEX.matcher(data);
        int block = index.find() ? Integer.parseInt(index.group(1)) : 0;
        if ("content_block_delta".equals(type)) {
            String deltaType = deltaType(data);
            String field = STREAMED_TEXT.get(deltaType);
            if (field != null) {
                boolean inJson = field.equals("partial_json");
                String rewritten = JsonText.rewriteValues(data, field, text -> {
                    Held before = held.get(block);
                    String combined = (before == null ? "" : before.raw()) + text;
                    // a tool's input streams as JSON text: "sk\u002dant-..." must read as the client's parser will read it
                    Redactor.Split split = redactor.split(inJson ? JsonText.plainEscapes(combined) : combined, replacement(inJson), inJson);
                    redactions += split.count();
                    held.put(block, new Held(deltaType, split.held()));
                    return split.emitted();
                });
                return "event: content_block_delta\ndata: " + rewritten + "\n\n";
            }
        }
        if ("content_block_stop".equals(type)) {
            return flush(block) + event;
        }
        String redactedData = JsonText.looksLikeJson(data) ? redactJson(data) : redactText(data);
        String redacted = redactedData.equals(data) ? event
                : "event: " + eventName(event, type) + "\ndata: " + redactedData.replace("\n", "\ndata: ") + "\n\n";
        if ("message_stop".equals(type) || "error".equals(type)) {
            StringBuilder out = new StringBuilder();
            for (Integer open : held.keySet().toArray(Integer[]::new)) {
                out.append(flush(open));
            }
            return out.append(redacted).toString();
        }
        return redacted;
    }

    /** The block's held tail, redacted, as one more delta of its kind; empty when nothing is held. */
    private String flush(int block) {
        Held tail = held.remove(block);
        if (tail == null || tail.raw().isEmpty()) {
            return "";
        }
        boolean inJson = tail.deltaType().equals("input_json_delta");
        Redactor.Redacted redacted = redactor.redact(tail.raw(), replacement(inJson));
        redactions += redacted.count();
        return "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":" + block
                + ",\"delta\":{\"type\":\"" + tail.deltaType() + "\",\"" + STREAMED_TEXT.get(tail.deltaType()) + "\":"
                + JsonText.encode(redacted.text()) + "}}\n\n";
    }

    /** In a tool's partial input JSON a match stands inside a JSON string: its replacement goes in escaped. */
    private String replacement(boolean inJson) {
        String plain = redactor.replacement();
        return inJson ? JsonText.encode(plain).substring(1, JsonText.encode(plain).length() - 1) : plain;
    }

    private static String deltaType(String data) {
        int delta = data.indexOf("\"delta\"");
        return delta < 0 ? null : JsonText.firstValue(data.substring(delta), "type");
    }

    /** The event's own name, or its data's type when it names none (Anthropic names every event after its type). */
    private static String eventName(String event, String type) {
        for (String line : event.split("\r?\n")) {
            if (line.startsWith("event:")) {
                return line.substring(6).strip();
            }
        }
        return type == null ? "message" : type;
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

    private static boolean isUtf8(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
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
