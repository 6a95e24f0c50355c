package io.kongjava.plugins.ai;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Reads a request body the way the most literal upstream parser could: a key given twice (at any depth) or
 * anything after the top-level value is refused, so the body a plugin checked (the model pin, the prompts) is
 * the body the provider reads. {@code {"model":"<other>","model":"<pinned>"}} would otherwise reach a parser
 * that keeps the first key with the other model.
 */
public final class StrictJson {

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private static final JsonFactory STRICT_PARSERS = JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    private StrictJson() {
    }

    /**
     * A member of the body's top-level object.
     *
     * @param kind  the value's first token: a scalar's type, or {@code START_OBJECT}/{@code START_ARRAY}
     * @param text  a scalar's text (a string decoded), null for a container
     * @param start the value's first byte in the body
     * @param end   the byte after a string or a literal ({@code null}, {@code true}, {@code false}); -1 otherwise
     * @param empty whether a container has no elements
     */
    public record Member(JsonToken kind, String text, int start, int end, boolean empty) {
    }

    /**
     * What {@link #scan} found: whether the body is an object, where its brace is, how many members it has and the
     * asked-for members present.
     */
    public record Scan(boolean object, int objectStart, int memberCount, Map<String, Member> members) {

        /** The member, or null when the object has none of that name (or the body is not an object). */
        public Member member(String name) {
            return members.get(name);
        }
    }

    /** A key given twice in the same object. */
    public static final class DuplicateKeyException extends IOException {
        private final String key;

        DuplicateKeyException(String key, Throwable cause) {
            super("duplicate key: " + key, cause);
            this.key = key;
        }

        /** The key, or {@code ?} when Jackson's message did not name it. */
        public String key() {
            return key;
        }
    }

    /**
     * Parses {@code body} as one JSON value.
     *
     * @throws DuplicateKeyException when an object repeats a key
     * @throws IOException           when the body is not one JSON value
     */
    public static JsonNode read(byte[] body) throws IOException {
        try {
            return MAPPER.readTree(body);
        } catch (StreamReadException e) {
            throw duplicateKeyOr(e);
        }
    }

    /**
     * Checks {@code body} as {@link #read} does (one JSON value, no key twice at any depth) in one streaming pass that
     * builds no tree, and keeps the top-level members named in {@code names}. A request body of hundreds of KB
     * (a long Claude Code session) costs a fraction of a tree's time and allocates next to nothing.
     *
     * @throws DuplicateKeyException when an object repeats a key
     * @throws IOException           when the body is not one JSON value
     */
    public static Scan scan(byte[] body, Set<String> names) throws IOException {
        try (JsonParser parser = STRICT_PARSERS.createParser(body)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                throw new IOException("no JSON value");
            }
            if (parser.currentTokenLocation().getByteOffset() < 0) {
                // Jackson found UTF-16 or UTF-32 and reads chars: JSON between systems is UTF-8 (RFC 8259), as Kong's cjson reads it
                throw new IOException("not UTF-8");
            }
            Map<String, Member> members = new HashMap<>();
            int objectStart = -1;
            int count = 0;
            if (first == JsonToken.START_OBJECT) {
                objectStart = (int) parser.currentTokenLocation().getByteOffset();
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String name = parser.currentName();
                    count++;
                    JsonToken value = parser.nextToken();
                    if (names.contains(name)) {
                        members.put(name, member(parser, value));
                    } else if (value.isStructStart()) {
                        parser.skipChildren();
                    }
                }
            } else if (first.isStructStart()) {
                parser.skipChildren();
            }
            if (parser.nextToken() != null) {
                throw new IOException("more than one JSON value");
            }
            return new Scan(first == JsonToken.START_OBJECT, objectStart, count, Map.copyOf(members));
        } catch (StreamReadException e) {
            throw duplicateKeyOr(e);
        }
    }

    private static Member member(JsonParser parser, JsonToken value) throws IOException {
        int start = (int) parser.currentTokenLocation().getByteOffset();
        if (value.isStructStart()) {
            JsonToken next = parser.nextToken();
            boolean empty = next != null && next.isStructEnd();
            if (!empty) {
                if (next != null && next.isStructStart()) {
                    parser.skipChildren();
                }
                int depth = 1;
                while (depth > 0) {
                    JsonToken token = parser.nextToken();
                    if (token == null) {
                        throw new IOException("unexpected end of the body");
                    }
                    depth += token.isStructStart() ? 1 : token.isStructEnd() ? -1 : 0;
                }
            }
            return new Member(value, null, start, -1, empty);
        }
        String text = parser.getText();
        int end = switch (value) {
            case VALUE_STRING -> (int) parser.currentLocation().getByteOffset();
            case VALUE_NULL, VALUE_TRUE -> start + 4;
            case VALUE_FALSE -> start + 5;
            default -> -1;
        };
        return new Member(value, text, start, end, false);
    }

    /**
     * The body with the top-level member {@code name} set to the string {@code value}: the member's value replaced
     * where it is a string or a literal, or the member added first in the object. Every other byte is the client's.
     *
     * @throws IllegalArgumentException when the scan's body is not an object, or the member's value is a number or
     *                                  a container
     */
    public static byte[] withMember(byte[] body, Scan scan, String name, String value) {
        if (!scan.object()) {
            throw new IllegalArgumentException("the body is not a JSON object");
        }
        byte[] quoted = quoted(value);
        Member member = scan.member(name);
        if (member != null) {
            if (member.end() < 0) {
                throw new IllegalArgumentException("'" + name + "' is not a string or a literal");
            }
            return splice(body, member.start(), member.end(), quoted);
        }
        byte[] quotedName = quoted(name);
        byte[] inserted = new byte[quotedName.length + 1 + quoted.length + (scan.memberCount() > 0 ? 1 : 0)];
        System.arraycopy(quotedName, 0, inserted, 0, quotedName.length);
        inserted[quotedName.length] = ':';
        System.arraycopy(quoted, 0, inserted, quotedName.length + 1, quoted.length);
        if (scan.memberCount() > 0) {
            inserted[inserted.length - 1] = ',';
        }
        return splice(body, scan.objectStart() + 1, scan.objectStart() + 1, inserted);
    }

    private static byte[] quoted(String value) {
        byte[] escaped = JsonStringEncoder.getInstance().quoteAsUTF8(value);
        byte[] quoted = new byte[escaped.length + 2];
        quoted[0] = '"';
        System.arraycopy(escaped, 0, quoted, 1, escaped.length);
        quoted[quoted.length - 1] = '"';
        return quoted;
    }

    private static byte[] splice(byte[] body, int from, int to, byte[] replacement) {
        byte[] spliced = new byte[body.length - (to - from) + replacement.length];
        System.arraycopy(body, 0, spliced, 0, from);
        System.arraycopy(replacement, 0, spliced, from, replacement.length);
        System.arraycopy(body, to, spliced, from + replacement.length, body.length - to);
        return spliced;
    }

    private static IOException duplicateKeyOr(StreamReadException e) {
        String message = String.valueOf(e.getOriginalMessage());
        return message.startsWith("Duplicate field") ? new DuplicateKeyException(quotedName(message), e) : e;
    }

    private static String quotedName(String message) {
        int open = message.indexOf('\'');
        int close = message.indexOf('\'', open + 1);
        return open >= 0 && close > open ? message.substring(open + 1, close) : "?";
    }
}
