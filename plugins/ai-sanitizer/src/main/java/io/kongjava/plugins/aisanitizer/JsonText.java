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
