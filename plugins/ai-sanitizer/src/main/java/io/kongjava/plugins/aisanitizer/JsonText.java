package io.kongjava.plugins.aisanitizer;

import java.util.function.UnaryOperator;

/**
 * Rewrites the string values of one key in a JSON text, copying everything else as it is (the plugin depends
 * on the PDK alone, and a round trip through a parser would reorder or reformat what it need not touch).
 */
final class JsonText {

    private JsonText() {
    }

    /** {@code json} with every string value of a {@code key} member replaced by {@code rewrite} of it. */
    static String rewriteValues(String json, String key, UnaryOperator<String> rewrite) {
        StringBuilder out = new StringBuilder(json.length() + 16);
        int i = 0;
        String lastKey = null;
        while (i < json.length()) {
            char c = json.charAt(i);
            if (c != '"') {
                out.append(c);
                i++;
                continue;
            }
            int end = endOfString(json, i);
            String raw = json.substring(i, end);
            int next = end;
            while (next < json.length() && Character.isWhitespace(json.charAt(next))) {
                next++;
            }
            if (next < json.length() && json.charAt(next) == ':') {
                lastKey = decode(raw);
                out.append(raw);
            } else if (key.equals(lastKey)) {
                out.append(encode(rewrite.apply(decode(raw))));
                lastKey = null;
            } else {
                out.append(raw);
                lastKey = null;
            }
            i = end;
        }
        return out.toString();
    }

    /**
     * {@code json} with every string value replaced by {@code rewrite} of it, except the values of the {@code kept}
     * members (and member names themselves): what a message says, not what it is. Inside the value of a
     * {@code freeForm} member (a tool's {@code input}, which the model writes whole) nothing is structure: a
     * {@code name} or {@code id} there is content like any other.
     *
     * @throws IllegalArgumentException on a string that does not end
     */
    static String rewriteStrings(String json, java.util.Set<String> kept, java.util.Set<String> freeForm, UnaryOperator<String> rewrite) {
        StringBuilder out = new StringBuilder(json.length() + 16);
        int i = 0;
        String lastKey = null;
        int depth = 0;
        int freeFormDepth = -1; // the depth of the free-form value being walked, or -1
        while (i < json.length()) {
            char c = json.charAt(i);
            if (c != '"') {
                if (c == '{' || c == '[') {
                    depth++;
                    if (freeFormDepth < 0 && lastKey != null && freeForm.contains(lastKey)) {
                        freeFormDepth = depth;
                    }
                } else if (c == '}' || c == ']') {
                    if (depth == freeFormDepth) {
                        freeFormDepth = -1;
                    }
                    depth--;
                }
                if (c == '{' || c == '}' || c == ']') {
                    lastKey = null; // a new object, or the end of the member's value (an array's elements share its key)
                }
                out.append(c);
                i++;
                continue;
            }
            int end = endOfString(json, i);
            String raw = json.substring(i, end);
            int next = end;
            while (next < json.length() && Character.isWhitespace(json.charAt(next))) {
                next++;
            }
            if (next < json.length() && json.charAt(next) == ':') {
                lastKey = decode(raw);
                out.append(raw);
            } else if (lastKey != null && kept.contains(lastKey) && freeFormDepth < 0) {
                out.append(raw);
            } else {
                String value = decode(raw);
                String rewritten = rewrite.apply(value);
                out.append(rewritten.equals(value) ? raw : encode(rewritten));
            }
            i = end;
        }
        return out.toString();
    }

    /**
     * JSON text (a tool's partial input) with the escapes that need not be escapes written as the characters they stand
     * for ({@code \u002d} as {@code -}, {@code \/} as {@code /}), so that text matched against patterns reads as the
     * client's parser will read it. Quotes, backslashes, control characters and surrogates stay escaped; so does an
     * escape cut off at the end.
     */
    static String plainEscapes(String jsonText) {
        if (jsonText.indexOf('\\') < 0) {
            return jsonText;
        }
        StringBuilder out = new StringBuilder(jsonText.length());
        for (int i = 0; i < jsonText.length(); i++) {
            char c = jsonText.charAt(i);
            if (c != '\\' || i + 1 >= jsonText.length()) {
                out.append(c);
                continue;
            }
            char e = jsonText.charAt(i + 1);
            if (e == '/') {
                out.append('/');
            } else if (e == 'u' && i + 5 < jsonText.length() && isHex4(jsonText, i + 2)) {
                char decoded = (char) Integer.parseInt(jsonText.substring(i + 2, i + 6), 16);
                if (decoded >= 0x20 && decoded != '"' && decoded != '\\' && !Character.isSurrogate(decoded)) {
                    out.append(decoded);
                } else {
                    out.append(jsonText, i, i + 6);
                }
                i += 4;
            } else {
                out.append(c).append(e);
            }
            i++;
        }
        return out.toString();
    }

    /** The largest index at or before {@code at} that is not inside an escape sequence of JSON text {@code text}. */
    static int escapeBoundary(String text, int at) {
        int i = 0;
        while (i < at) {
            if (text.charAt(i) == '\\') {
                int length = i + 1 < text.length() && text.charAt(i + 1) == 'u' ? 6 : 2;
                if (i + length > at) {
                    return i;
                }
                i += length;
            } else {
                i++;
            }
        }
        return at;
    }

    private static boolean isHex4(String text, int from) {
        for (int i = from; i < from + 4; i++) {
            if (Character.digit(text.charAt(i), 16) < 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether {@code text} is a JSON object or array as far as redaction cares: it opens with one, its strings end, and
     * outside them stand only punctuation, numbers and {@code true}/{@code false}/{@code null}, so that no text is left
     * that {@link #rewriteStrings} would not see.
     */
    static boolean looksLikeJson(String text) {
        String trimmed = text.strip();
        if (trimmed.isEmpty() || (trimmed.charAt(0) != '{' && trimmed.charAt(0) != '[')) {
            return false;
        }
        int i = 0;
        while (i < trimmed.length()) {
            char c = trimmed.charAt(i);
            if (c == '"') {
                int end = trimmed.indexOf('"', i + 1);
                while (end > 0 && escaped(trimmed, end)) {
                    end = trimmed.indexOf('"', end + 1);
                }
                if (end < 0) {
                    return false;
                }
                i = end + 1;
                continue;
            }
            if ("{}[],:.+-0123456789eEtruefalsn \t\r\n".indexOf(c) < 0) {
                return false;
            }
            i++;
        }
        return true;
    }

    private static boolean escaped(String text, int quote) {
        int backslashes = 0;
        for (int i = quote - 1; i >= 0 && text.charAt(i) == '\\'; i--) {
            backslashes++;
        }
        return backslashes % 2 == 1;
    }

    /** The first string value of {@code key} in {@code json}, or null. */
    static String firstValue(String json, String key) {
        String[] found = new String[1];
        rewriteValues(json, key, value -> {
            if (found[0] == null) {
                found[0] = value;
            }
            return value;
        });
        return found[0];
    }

    /** Index just past the closing quote of the string starting at {@code start}. */
    private static int endOfString(String json, int start) {
        int i = start + 1;
        while (i < json.length()) {
            char c = json.charAt(i);
            if (c == '\\') {
                i += 2;
            } else if (c == '"') {
                return i + 1;
            } else {
                i++;
            }
        }
        throw new IllegalArgumentException("unterminated JSON string");
    }

    static String decode(String quoted) {
        StringBuilder out = new StringBuilder(quoted.length());
        for (int i = 1; i < quoted.length() - 1; i++) {
            char c = quoted.charAt(i);
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char e = quoted.charAt(++i);
            switch (e) {
                case 'n' -> out.append('\n');
                case 't' -> out.append('\t');
                case 'r' -> out.append('\r');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'u' -> {
                    out.append((char) Integer.parseInt(quoted.substring(i + 1, i + 5), 16));
                    i += 4;
                }
                default -> out.append(e);
            }
        }
        return out.toString();
    }

    static String encode(String text) {
        StringBuilder out = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
