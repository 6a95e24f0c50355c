package io.kongjava.plugins.filelog;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
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

    private static final JsonFactory FACTORY = new JsonFactory();

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
     * must be merged with java-ai-proxy's) or a {@code relay} member (which the relay's block replaces in place), or spans lines (a line must be one line): the caller builds a tree.
     */
    static Optional<SerializedRecord> scan(String json) {
        if (json.indexOf('\n') >= 0 || json.indexOf('\r') >= 0) {
            return Optional.empty();
        }
        try (JsonParser parser = FACTORY.createParser(json)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return Optional.empty();
            }
            String requestId = "";
            List<Header> headers = List.of();
            int headersStart = -1;
            int headersEnd = -1;
            boolean empty = true;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                empty = false;
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if (field.equals("ai") || field.equals("relay")) {
                    return Optional.empty();
                }
                if (field.equals("request") && value == JsonToken.START_OBJECT) {
                    while (parser.nextToken() == JsonToken.FIELD_NAME) {
                        String name = parser.currentName();
                        JsonToken requestValue = parser.nextToken();
                        if (name.equals("id") && requestValue == JsonToken.VALUE_STRING) {
                            requestId = parser.getText();
                        } else if (name.equals("headers") && requestValue == JsonToken.START_OBJECT) {
                            headersStart = offset(parser);
                            headers = headers(parser, json);
                            headersEnd = offset(parser) + 1;
                        } else {
                            parser.skipChildren();
                        }
                    }
                } else {
                    parser.skipChildren();
                }
            }
            if (parser.currentToken() != JsonToken.END_OBJECT) {
                return Optional.empty();
            }
            int closingBrace = offset(parser);
            if (parser.nextToken() != null) {
                return Optional.empty();
            }
            return Optional.of(new SerializedRecord(json, requestId, headers, headersStart, headersEnd, closingBrace, empty));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Reads the members of the headers object the parser has just entered; leaves it at the object's end. */
    private static List<Header> headers(JsonParser parser, String json) throws IOException {
        List<Header> headers = new ArrayList<>();
        String name = null;
        int start = -1;
        int valueStart = -1;
        while (true) {
            JsonToken token = parser.nextToken();
            if (name != null) {
                // The value ended where the separator before this token (a comma, or the closing brace) begins.
                headers.add(new Header(name, start, valueStart, valueEnd(json, offset(parser))));
                name = null;
            }
            if (token != JsonToken.FIELD_NAME) {
                return headers;
            }
            name = parser.currentName();
            start = offset(parser);
            parser.nextToken();
            valueStart = offset(parser);
            parser.skipChildren();
        }
    }

    private static int valueEnd(String json, int nextToken) {
        int i = nextToken;
        if (json.charAt(i) == '}') {
            i--;
        } else {
            i--;
            while (Character.isWhitespace(json.charAt(i))) {
                i--;
            }
            i--; // the comma
        }
        while (Character.isWhitespace(json.charAt(i))) {
            i--;
        }
        return i + 1;
    }

    private static int offset(JsonParser parser) {
        return (int) parser.currentTokenLocation().getCharOffset();
    }

    String requestId() {
        return requestId;
    }

    /**
     * The line: Kong's text with the named request headers' values replaced by {@code "REDACTED"}, the
     * {@code dropped} ones left out, and {@code aiJson} (a JSON object, or null) added as the {@code ai} member.
     */
    String line(Set<String> redacted, Set<String> dropped, String aiJson) {
        return line(redacted, dropped, aiJson, null);
    }

    /** As {@link #line(Set, Set, String)}, with {@code relayJson} (a JSON object, or null) added after it as {@code relay}. */
    String line(Set<String> redacted, Set<String> dropped, String aiJson, String relayJson) {
        StringBuilder out = new StringBuilder(json.length() + (aiJson == null ? 0 : aiJson.length() + 8)
                + (relayJson == null ? 0 : relayJson.length() + 11) + 1);
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
        boolean first = empty;
        if (aiJson != null) {
            out.append(first ? "" : ",").append("\"ai\":").append(aiJson);
            first = false;
        }
        if (relayJson != null) {
            out.append(first ? "" : ",").append("\"relay\":").append(relayJson);
        }
        return out.append("}\n").toString();
    }
}
