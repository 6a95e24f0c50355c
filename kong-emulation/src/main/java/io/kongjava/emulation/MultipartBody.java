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
