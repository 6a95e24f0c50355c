package io.kongjava.emulation;

import io.kongjava.emulation.LuaValues.LuaError;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * set_body's multipart/form-data encoding as Kong writes it (kong/pdk/service/request.lua): the boundary of the
 * given MIME type or a random number, one part per key in sorted order, each value a string or number.
 */
record MultipartBody(byte[] bytes, String boundary) {

    static MultipartBody of(Map<?, ?> fields, String mime) {
        String boundary = boundaryOf(mime);
        List<String> keys = new ArrayList<>();
        List<String> values = new ArrayList<>();
        fields.forEach((k, v) -> {
            if (!(k instanceof String key)) {
                throw new LuaError("invalid key \"" + k + "\": got " + luaType(k) + ", expected string");
            }
            String value = switch (v) {
                case String text -> text;
                case byte[] raw -> new String(raw, StandardCharsets.UTF_8);
                case Number n -> LuaValues.luaNumber(n);
                // Kong's type check lets a boolean through, but LuaJIT's string.buffer it writes into takes none
                case Boolean b -> throw new LuaError("bad argument #1 to 'put' (string expected, got boolean)");
                case null, default -> throw new LuaError("invalid value \"" + key + "\": got " + luaType(v)
                        + ", expected string, number or boolean");
            };
            keys.add(key);
            values.add(value);
        });
        while (boundary == null || values.stream().anyMatch(containsBoundary(boundary))) {
            boundary = Long.toString(1 + ThreadLocalRandom.current().nextLong(10_000_000_000L));
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            order.add(i);
        }
        order.sort((a, b) -> keys.get(a).compareTo(keys.get(b)));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i : order) {
            write(out, "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + keys.get(i) + "\"\r\n\r\n" + values.get(i) + "\r\n");
        }
        write(out, "--" + boundary + "--\r\n");
        return new MultipartBody(out.toByteArray(), boundary);
    }

    private static final java.util.regex.Pattern DECODED_BOUNDARY = java.util.regex.Pattern.compile(";\\s*boundary=(\\S+)");
    private static final java.util.regex.Pattern HEADER_LIKE = java.util.regex.Pattern.compile("\\S:\\s*\\S");
    private static final java.util.regex.Pattern NAME_PARAMETER = java.util.regex.Pattern.compile("^\\s*[Nn][Aa][Mm][Ee]=\\s*([^=]*)");

    /**
     * get_body's multipart/form-data decoding as Kong 3.x does it (lua-multipart 0.5.9, get_all_with_arrays): a field
     * sent once as its value, one sent several times as the list of its values. Its reading is lenient and kept so:
     * lines end at a CR or an LF alone, a part's name is the {@code name=} parameter's value less its first and last
     * character, a line that looks like a header before any value is taken as one, and a body whose last part has
     * no closing boundary keeps that part's value as it is (and only that value for its name). No boundary in the
     * content type: no fields.
     */
    static Map<String, Object> decode(byte[] body, String contentType) {
        String boundary = null;
        java.util.regex.Matcher named = contentType == null ? null : DECODED_BOUNDARY.matcher(contentType);
        if (named != null && named.find()) {
            boundary = named.group(1);
            if (boundary.length() >= 2 && (boundary.startsWith("\"") && boundary.endsWith("\"")
                    || boundary.startsWith("'") && boundary.endsWith("'"))) {
                boundary = boundary.substring(1, boundary.length() - 1);
            }
        }
        Map<String, List<String>> fields = new java.util.LinkedHashMap<>();
        if (boundary == null || boundary.isEmpty()) {
            return new java.util.LinkedHashMap<>();
        }
        String text = new String(body, StandardCharsets.ISO_8859_1);
        String name = null;
        List<String> value = new ArrayList<>();
        boolean inValue = false;
        int position = 0;
        boolean done = false;
        while (!done) {
            int end = nextLineEnd(text, position);
            String line;
            if (end >= 0) {
                line = text.substring(position, end);
                position = end + 1;
            } else {
                line = text.substring(position);
                done = true;
            }
            if (line.isEmpty()) {
                if (end >= 0 && inValue) {
                    value.add(text.substring(end, end + 1));
                }
            } else if (line.startsWith("--") && line.length() >= boundary.length() + 2
                    && line.substring(2, boundary.length() + 2).equals(boundary)) {
                inValue = false;
                if (name != null) {
                    if (!value.isEmpty() && value.getLast().equals("\n")) {
                        value.removeLast();
                        if (!value.isEmpty() && value.getLast().equals("\r")) {
                            value.removeLast();
                        }
                    } else if (value.size() >= 2 && value.get(value.size() - 2).equals("\r")) {
                        // a hole before the last piece: LuaJIT's table.concat stops at it (checked: "abc\r\r" -> "abc")
                        value.subList(value.size() - 2, value.size()).clear();
                    }
                    fields.computeIfAbsent(WireText.text(name), k -> new ArrayList<>()).add(WireText.text(String.join("", value)));
                    value.clear();
                    name = null;
                }
            } else if (!inValue && (line.length() >= 19 && line.substring(0, 19).equalsIgnoreCase("content-disposition")
                    || HEADER_LIKE.matcher(line).find())) {
                if (line.length() >= 19 && line.substring(0, 19).equalsIgnoreCase("content-disposition")) {
                    for (String parameter : line.split(";")) {
                        java.util.regex.Matcher given = NAME_PARAMETER.matcher(parameter);
                        if (!parameter.isEmpty() && !HEADER_LIKE.matcher(parameter).find() && given.find()) {
                            String quoted = given.group(1).stripTrailing();
                            name = quoted.length() < 2 ? "" : quoted.substring(1, quoted.length() - 1);
                        }
                    }
                }
                if (end >= 0 && text.startsWith("\r\n\r\n", end)) {
                    inValue = true;
                    position = end + 4;
                }
            } else {
                inValue = true;
                value.add(line);
                if (end >= 0) {
                    value.add(text.substring(end, end + 1));
                }
            }
        }
        if (name != null) {
            fields.put(WireText.text(name), new ArrayList<>(List.of(WireText.text(String.join("", value)))));
        }
        Map<String, Object> decoded = new java.util.LinkedHashMap<>();
        fields.forEach((field, values) -> decoded.put(field, values.size() == 1 ? values.getFirst() : values));
        return decoded;
    }

    private static int nextLineEnd(String text, int from) {
        for (int i = from; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\r' || c == '\n') {
                return i;
            }
        }
        return -1;
    }

    private static java.util.function.Predicate<String> containsBoundary(String boundary) {
        return value -> value.contains("\n--" + boundary);
    }

    /** The boundary a MIME type names, quoted or not; null when it names none. */
    private static String boundaryOf(String mime) {
        int at = mime.indexOf("boundary=");
        if (at < 0) {
            return null;
        }
        String rest = mime.substring(at + "boundary=".length());
        if (rest.startsWith("\"")) {
            int close = rest.indexOf('"', 1);
            return close < 0 ? rest.substring(1) : rest.substring(1, close);
        }
        return rest;
    }

    private static String luaType(Object value) {
        return switch (value) {
            case null -> "nil";
            case String s -> "string";
            case Number n -> "number";
            case Boolean b -> "boolean";
            default -> "table";
        };
    }

    private static void write(ByteArrayOutputStream out, String text) {
        out.writeBytes(WireText.wire(text).getBytes(StandardCharsets.ISO_8859_1));
    }
}
