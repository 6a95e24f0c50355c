package io.kongjava.plugins.filelog;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Kong's serialized log record as the text Kong sent, with the places java-file-log changes: the request's
 * headers (some redacted, some left out) and the end of the record (where the {@code ai} block goes). Found
 * with one streaming pass that builds no tree; the line is then Kong's own text with those places spliced,
 * which costs a fraction of parsing the record into a tree and writing it out again.
 */
final class SerializedRecord {

    /** One member of {@code request.headers}: its name, and where its text starts, its value starts and ends. */
    private record Header(String name, int start, int valueStart, int end) {
    }

    private final String json;
    private final String requestId;
    private final List<Header> headers;
    private final int headersStart;
    private final int headersEnd;
    private final int closingBrace;
    private final boolean empty;

    private SerializedRecord(String json, String requestId, List<Header> headers, int headersStart, int headersEnd,
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
     * The record's places; empty when the text is not a JSON object, already has an {@code ai} member (which
     * must be merged with java-ai-proxy's), or spans lines (a line must be one line): the caller builds a tree.
     */
    static Optional<SerializedRecord> scan(String json) {
        if (json.indexOf('\n') >= 0 || json.indexOf('\r') >= 0) {
            return Optional.empty();
        }
        try {
            return Optional.ofNullable(new Scanner(json).record());
        } catch (Malformed | StringIndexOutOfBoundsException e) {
            return Optional.empty();
        }
    }

    /** Thrown by the scanner at text that is not strict JSON (the tree parser then reports it). */
    private static final class Malformed extends RuntimeException {
        private static final Malformed INSTANCE = new Malformed();

        private Malformed() {
            super(null, null, false, false);
        }
    }

    /**
     * One pass over the text that checks it is strict JSON (as Jackson's parser would) and notes where the
     * places are. Hand-written rather than Jackson's streaming parser: with the server's C1-only JIT, the
     * parser (a copy of the text into chars, name canonicalisation, token objects) was a fifth of the log
     * phase's CPU (bench/README.md, "Under Kong's own client").
     */
    private static final class Scanner {
        private static final int MAX_DEPTH = 500;

        private final String json;
        private final int length;
        private int at;
        private int depth;

        Scanner(String json) {
            this.json = json;
            this.length = json.length();
        }

        /** The record, or null when it must be left to the tree (not an object, or it has an ai member). */
        SerializedRecord record() {
            skipWhitespace();
            if (at >= length || json.charAt(at) != '{') {
                return null;
            }
            at++;
            String requestId = "";
            List<Header> headers = List.of();
            int headersStart = -1;
            int headersEnd = -1;
            boolean empty = true;
            skipWhitespace();
            if (peek() != '}') {
                while (true) {
                    empty = false;
                    String field = name();
                    if (field.equals("ai")) {
                        return null;
                    }
                    if (field.equals("request") && peek() == '{') {
                        at++;
                        skipWhitespace();
                        if (peek() != '}') {
                            while (true) {
                                String name = name();
                                if (name.equals("id") && peek() == '"') {
                                    int from = at;
                                    skipString();
                                    requestId = text(from, at);
                                } else if (name.equals("headers") && peek() == '{') {
                                    headersStart = at;
                                    headers = headers();
                                    headersEnd = at;
                                } else {
                                    skipValue();
                                }
                                if (!more()) {
                                    break;
                                }
                            }
                        } else {
                            at++;
                        }
                        skipWhitespace();
                    } else {
                        skipValue();
                    }
                    if (!more()) {
                        break;
                    }
                }
            } else {
                at++;
            }
            int closingBrace = at - 1;
            skipWhitespace();
            if (at != length) {
                throw Malformed.INSTANCE;
            }
            return new SerializedRecord(json, requestId, headers, headersStart, headersEnd, closingBrace, empty);
        }

        /** The members of the headers object at {@code at}; leaves {@code at} just past its closing brace. */
        private List<Header> headers() {
            List<Header> headers = new ArrayList<>();
            at++;
            skipWhitespace();
            if (peek() == '}') {
                at++;
                return headers;
            }
            while (true) {
                int start = at;
                String name = name();
                int valueStart = at;
                skipValue();
                headers.add(new Header(name, start, valueStart, at));
                if (!more()) {
                    return headers;
                }
            }
        }

        /** A member's name and its colon; leaves {@code at} at the value. */
        private String name() {
            skipWhitespace();
            if (peek() != '"') {
                throw Malformed.INSTANCE;
            }
            int from = at;
            skipString();
            String name = text(from, at);
            skipWhitespace();
            if (peek() != ':') {
                throw Malformed.INSTANCE;
            }
            at++;
            skipWhitespace();
            return name;
        }

        /** After an object's member: true at a comma, false at the object's closing brace (either consumed). */
        private boolean more() {
            skipWhitespace();
            char c = peek();
            at++;
            if (c == ',') {
                return true;
            }
            if (c == '}') {
                return false;
            }
            throw Malformed.INSTANCE;
        }

        private void skipValue() {
            switch (peek()) {
                case '"' -> skipString();
                case '{' -> skipContainer('}');
                case '[' -> skipContainer(']');
                case 't' -> literal("true");
                case 'f' -> literal("false");
                case 'n' -> literal("null");
                default -> skipNumber();
            }
        }

        private void skipContainer(char closing) {
            if (++depth > MAX_DEPTH) {
                throw Malformed.INSTANCE;
            }
            at++;
            skipWhitespace();
            if (peek() == closing) {
                at++;
            } else {
                boolean object = closing == '}';
                while (true) {
                    if (object) {
                        name();
                    }
                    skipValue();
                    skipWhitespace();
                    char c = peek();
                    at++;
                    if (c == closing) {
                        break;
                    }
                    if (c != ',') {
                        throw Malformed.INSTANCE;
                    }
                    skipWhitespace();
                }
            }
            depth--;
        }

        /** Past the string whose opening quote is at {@code at}, checking its escapes. */
        private void skipString() {
            int i = at + 1;
            while (true) {
                char c = json.charAt(i++);
                if (c == '"') {
                    break;
                }
                if (c < 0x20) {
                    throw Malformed.INSTANCE;
                }
                if (c == '\\') {
                    char escaped = json.charAt(i++);
                    if (escaped == 'u') {
                        for (int end = i + 4; i < end; i++) {
                            if (Character.digit(json.charAt(i), 16) < 0) {
                                throw Malformed.INSTANCE;
                            }
                        }
                    } else if ("\"\\/bfnrt".indexOf(escaped) < 0) {
                        throw Malformed.INSTANCE;
                    }
                }
            }
            at = i;
        }

        /** The text of the string between {@code from} (its opening quote) and {@code to} (past its closing one). */
        private String text(int from, int to) {
            if (json.indexOf('\\', from + 1, to) < 0) {
                return json.substring(from + 1, to - 1);
            }
            StringBuilder text = new StringBuilder(to - from);
            for (int i = from + 1; i < to - 1; i++) {
                char c = json.charAt(i);
                if (c != '\\') {
                    text.append(c);
                    continue;
                }
                char escaped = json.charAt(++i);
                switch (escaped) {
                    case 'b' -> text.append('\b');
                    case 'f' -> text.append('\f');
                    case 'n' -> text.append('\n');
                    case 'r' -> text.append('\r');
                    case 't' -> text.append('\t');
                    case 'u' -> {
                        text.append((char) Integer.parseInt(json, i + 1, i + 5, 16));
                        i += 4;
                    }
                    default -> text.append(escaped);
                }
            }
            return text.toString();
        }

        private void literal(String word) {
            if (!json.startsWith(word, at)) {
                throw Malformed.INSTANCE;
            }
            at += word.length();
        }

        /** JSON's number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
        private void skipNumber() {
            if (peek() == '-') {
                at++;
            }
            if (peek() == '0') {
                at++;
            } else {
                digits();
            }
            if (at < length && json.charAt(at) == '.') {
                at++;
                digits();
            }
            if (at < length && (json.charAt(at) == 'e' || json.charAt(at) == 'E')) {
                at++;
                if (peek() == '+' || peek() == '-') {
                    at++;
                }
                digits();
            }
        }

        private void digits() {
            int from = at;
            while (at < length && json.charAt(at) >= '0' && json.charAt(at) <= '9') {
                at++;
            }
            if (at == from) {
                throw Malformed.INSTANCE;
            }
        }

        private char peek() {
            if (at >= length) {
                throw Malformed.INSTANCE;
            }
            return json.charAt(at);
        }

        private void skipWhitespace() {
            while (at < length) {
                char c = json.charAt(at);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                    return;
                }
                at++;
            }
        }
    }

    String requestId() {
        return requestId;
    }

    /**
     * The line: Kong's text with the named request headers' values replaced by {@code "REDACTED"}, the
     * {@code dropped} ones left out, and {@code aiJson} (a JSON object, or null) added as the {@code ai} member.
     */
    String line(Set<String> redacted, Set<String> dropped, String aiJson) {
        StringBuilder out = new StringBuilder(json.length() + (aiJson == null ? 0 : aiJson.length() + 8) + 1);
        int copied = 0;
        if (headersStart >= 0 && headers.stream().anyMatch(h -> redacted.contains(h.name()) || dropped.contains(h.name()))) {
            out.append(json, 0, headersStart).append('{');
            boolean first = true;
            for (Header header : headers) {
                if (dropped.contains(header.name())) {
                    continue;
                }
                if (!first) {
                    out.append(',');
                }
                first = false;
                if (redacted.contains(header.name())) {
                    out.append(json, header.start(), header.valueStart()).append("\"REDACTED\"");
                } else {
                    out.append(json, header.start(), header.end());
                }
            }
            out.append('}');
            copied = headersEnd;
        }
        out.append(json, copied, closingBrace);
        if (aiJson != null) {
            out.append(empty ? "" : ",").append("\"ai\":").append(aiJson);
        }
        return out.append("}\n").toString();
    }
}
