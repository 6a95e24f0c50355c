package io.kongjava.plugins.filelog;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Kong's serialized log record as the text Kong sent, with the places java-file-log changes: the request's
 * headers (some redacted, some left out) and the end of the record (where the {@code ai} block goes). Found
 * with one pass over the record's UTF-8 bytes that builds no tree; the line is then Kong's own bytes with
 * those places spliced, which costs a fraction of parsing the record into a tree and writing it out again.
 *
 * <p>The pass is written out here rather than done with Jackson's streaming parser, which did the same job
 * first: the plugin server runs C1-compiled code by default, where Jackson took 38 us per 2.4 KB record and
 * turning the text into chars and back into bytes most of the rest (C1 has no intrinsics for them); more
 * than half of java-file-log's CPU per event went there (bench/README.md, "java-file-log's record scan").
 */
final class SerializedRecord {

    private static final byte[] REDACTED = "\"REDACTED\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] AI_MEMBER = "\"ai\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RELAY_MEMBER = "\"relay\":".getBytes(StandardCharsets.US_ASCII);

    /** One member of {@code request.headers}: its name, and where its text starts, its value starts and ends. */
    private record Header(String name, int start, int valueStart, int end) {
    }

    private final byte[] json;
    private final String requestId;
    private final List<Header> headers;
    private final int headersStart;
    private final int headersEnd;
    private final int closingBrace;
    private final boolean empty;

    private SerializedRecord(byte[] json, String requestId, List<Header> headers, int headersStart, int headersEnd,
                             int closingBrace, boolean empty) {
        this.json = json;
        this.requestId = requestId;
        this.headers = headers;
        this.headersStart = headersStart;
        this.headersEnd = headersEnd;
        this.closingBrace = closingBrace;
        this.empty = empty;
    }

    /**
     * The record's places; empty when the text is not one JSON object on one line, already has an {@code ai}
     * member (which must be merged with java-ai-proxy's) or a {@code relay} member (which the relay's block
     * replaces in place), or has a member name or request id written with escapes: the caller builds a tree.
     */
    static Optional<SerializedRecord> scan(String json) {
        try {
            return Optional.ofNullable(new Scan(json.getBytes(StandardCharsets.UTF_8)).record());
        } catch (Malformed | ArrayIndexOutOfBoundsException e) {
            return Optional.empty();
        }
    }

    String requestId() {
        return requestId;
    }

    /**
     * The line, UTF-8: Kong's text with the named request headers' values replaced by {@code "REDACTED"}, the
     * {@code dropped} ones left out, and {@code aiJson} (a JSON object, or null) added as the {@code ai} member.
     */
    byte[] line(Set<String> redacted, Set<String> dropped, byte[] aiJson) {
        return line(redacted, dropped, aiJson, null);
    }

    /** As {@link #line(Set, Set, byte[])}, with {@code relayJson} (a JSON object, or null) added after it as {@code relay}. */
    byte[] line(Set<String> redacted, Set<String> dropped, byte[] aiJson, byte[] relayJson) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(json.length + 64 + (aiJson == null ? 0 : aiJson.length)
                + (relayJson == null ? 0 : relayJson.length));
        int copied = 0;
        if (headersStart >= 0 && touchesAHeader(redacted, dropped)) {
            out.write(json, 0, headersStart);
            out.write('{');
            boolean first = true;
            for (Header header : headers) {
                if (dropped.contains(header.name())) {
                    continue;
                }
                if (!first) {
                    out.write(',');
                }
                first = false;
                if (redacted.contains(header.name())) {
                    out.write(json, header.start(), header.valueStart() - header.start());
                    out.writeBytes(REDACTED);
                } else {
                    out.write(json, header.start(), header.end() - header.start());
                }
            }
            out.write('}');
            copied = headersEnd;
        }
        out.write(json, copied, closingBrace - copied);
        boolean first = empty;
        if (aiJson != null) {
            if (!first) {
                out.write(',');
            }
            out.writeBytes(AI_MEMBER);
            out.writeBytes(aiJson);
            first = false;
        }
        if (relayJson != null) {
            if (!first) {
                out.write(',');
            }
            out.writeBytes(RELAY_MEMBER);
            out.writeBytes(relayJson);
        }
        out.write('}');
        out.write('\n');
        return out.toByteArray();
    }

    private boolean touchesAHeader(Set<String> redacted, Set<String> dropped) {
        for (Header header : headers) {
            if (redacted.contains(header.name()) || dropped.contains(header.name())) {
                return true;
            }
        }
        return false;
    }

    /** Not what this scan takes: the text goes to Jackson's tree instead, which names what is wrong, if anything. */
    private static final class Malformed extends Exception {
        Malformed() {
            super(null, null, false, false);
        }
    }

    /**
     * One pass that checks the record's JSON grammar (strings, numbers, literals, nesting) and notes the offsets
     * {@link #line} needs. Every byte of a multi-byte UTF-8 sequence is 0x80 or above, so none is taken for a
     * quote, a brace or a backslash. A line break anywhere, even as white space between tokens, makes the text
     * unfit to be one line as it is.
     */
    private static final class Scan {
        private static final Malformed MALFORMED = new Malformed();
        private static final byte[] AI = {'a', 'i'};
        private static final byte[] RELAY = {'r', 'e', 'l', 'a', 'y'};
        private static final byte[] REQUEST = {'r', 'e', 'q', 'u', 'e', 's', 't'};
        private static final byte[] ID = {'i', 'd'};
        private static final byte[] HEADERS = {'h', 'e', 'a', 'd', 'e', 'r', 's'};

        private final byte[] json;
        private int at;
        /** Where the last member name's text starts and ends (inside its quotes). */
        private int nameStart;
        private int nameEnd;

        Scan(byte[] json) {
            this.json = json;
        }

        SerializedRecord record() throws Malformed {
            String requestId = "";
            List<Header> headers = List.of();
            int headersStart = -1;
            int headersEnd = -1;
            boolean empty = true;
            skipSpace();
            expect('{');
            skipSpace();
            if (json[at] == '}') {
                at++;
            } else {
                do {
                    empty = false;
                    name();
                    if (nameIs(AI) || nameIs(RELAY)) {
                        return null;
                    }
                    if (nameIs(REQUEST) && json[at] == '{') {
                        at++;
                        skipSpace();
                        if (json[at] == '}') {
                            at++;
                            continue;
                        }
                        do {
                            name();
                            if (nameIs(ID) && json[at] == '"') {
                                requestId = plainString();
                            } else if (nameIs(HEADERS) && json[at] == '{') {
                                headersStart = at;
                                headers = headers();
                                headersEnd = at;
                            } else {
                                value();
                            }
                        } while (next('}'));
                    } else {
                        value();
                    }
                } while (next('}'));
            }
            int closingBrace = at - 1;
            skipSpace();
            if (at != json.length) {
                throw MALFORMED;
            }
            return new SerializedRecord(json, requestId, headers, headersStart, headersEnd, closingBrace, empty);
        }

        /** The members of the headers object at {@code at}; leaves {@code at} just past its closing brace. */
        private List<Header> headers() throws Malformed {
            List<Header> headers = new ArrayList<>();
            at++;
            skipSpace();
            if (json[at] == '}') {
                at++;
                return headers;
            }
            do {
                int start = at;
                String name = plainString();
                skipSpace();
                expect(':');
                skipSpace();
                int valueStart = at;
                value();
                headers.add(new Header(name, start, valueStart, at));
            } while (next('}'));
            return headers;
        }

        /**
         * After a member or an element: true when a comma and more follow (then {@code at} is on the next one),
         * false when {@code close} ended the object or array (then {@code at} is just past it).
         */
        private boolean next(char close) throws Malformed {
            skipSpace();
            byte c = json[at++];
            if (c == ',') {
                skipSpace();
                return true;
            }
            if (c == close) {
                return false;
            }
            throw MALFORMED;
        }

        /** A member's name and its colon, the name's place noted; leaves {@code at} on the value's first byte. */
        private void name() throws Malformed {
            nameStart = at + 1;
            string();
            nameEnd = at - 1;
            skipSpace();
            expect(':');
            skipSpace();
        }

        private boolean nameIs(byte[] expected) {
            if (nameEnd - nameStart != expected.length) {
                return false;
            }
            for (int i = 0; i < expected.length; i++) {
                if (json[nameStart + i] != expected[i]) {
                    return false;
                }
            }
            return true;
        }

        /** A string with no escapes in it, as the header names and ids java-file-log compares are written. */
        private String plainString() throws Malformed {
            int start = at + 1;
            string();
            for (int i = start; i < at - 1; i++) {
                if (json[i] == '\\') {
                    throw MALFORMED;
                }
            }
            return new String(json, start, at - 1 - start, StandardCharsets.UTF_8);
        }

        private void value() throws Malformed {
            switch (json[at]) {
                case '"' -> string();
                case '{' -> {
                    at++;
                    skipSpace();
                    if (json[at] == '}') {
                        at++;
                        return;
                    }
                    do {
                        name();
                        value();
                    } while (next('}'));
                }
                case '[' -> {
                    at++;
                    skipSpace();
                    if (json[at] == ']') {
                        at++;
                        return;
                    }
                    do {
                        value();
                    } while (next(']'));
                }
                case 't' -> literal('t', 'r', 'u', 'e');
                case 'f' -> literal('f', 'a', 'l', 's', 'e');
                case 'n' -> literal('n', 'u', 'l', 'l');
                default -> number();
            }
        }

        private void string() throws Malformed {
            byte[] text = json;
            int i = at;
            if (text[i++] != '"') {
                throw MALFORMED;
            }
            while (true) {
                byte c = text[i++];
                if (c == '"') {
                    at = i;
                    return;
                }
                if (c == '\\') {
                    byte escaped = text[i++];
                    if (escaped == 'u') {
                        for (int end = i + 4; i < end; i++) {
                            byte hex = text[i];
                            if (!(hex >= '0' && hex <= '9' || hex >= 'a' && hex <= 'f' || hex >= 'A' && hex <= 'F')) {
                                throw MALFORMED;
                            }
                        }
                    } else if (escaped != '"' && escaped != '\\' && escaped != '/' && escaped != 'b' && escaped != 'f'
                            && escaped != 'n' && escaped != 'r' && escaped != 't') {
                        throw MALFORMED;
                    }
                } else if (c >= 0 && c < 0x20) {
                    throw MALFORMED;
                }
            }
        }

        /** JSON's number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
        private void number() throws Malformed {
            if (json[at] == '-') {
                at++;
            }
            if (json[at] == '0') {
                at++;
            } else {
                digits();
            }
            if (at < json.length && json[at] == '.') {
                at++;
                digits();
            }
            if (at < json.length && (json[at] == 'e' || json[at] == 'E')) {
                at++;
                if (json[at] == '+' || json[at] == '-') {
                    at++;
                }
                digits();
            }
        }

        private void digits() throws Malformed {
            int start = at;
            while (at < json.length && json[at] >= '0' && json[at] <= '9') {
                at++;
            }
            if (at == start) {
                throw MALFORMED;
            }
        }

        private void literal(char... word) throws Malformed {
            for (char c : word) {
                if (json[at++] != c) {
                    throw MALFORMED;
                }
            }
        }

        private void expect(char c) throws Malformed {
            if (json[at++] != c) {
                throw MALFORMED;
            }
        }

        private void skipSpace() throws Malformed {
            while (at < json.length) {
                byte c = json[at];
                if (c == ' ' || c == '\t') {
                    at++;
                } else if (c == '\n' || c == '\r') {
                    throw MALFORMED;
                } else {
                    return;
                }
            }
        }
    }
}
