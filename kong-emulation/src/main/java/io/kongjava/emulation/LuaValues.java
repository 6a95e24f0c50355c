package io.kongjava.emulation;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Lua values as Kong's PDK reads and writes them for the emulation: arguments checked the way Kong's
 * functions raise ({@link LuaError}), header and query tables, Kong's multimap and empty-table encodings.
 */
final class LuaValues {

    private static final ObjectMapper JSON = new ObjectMapper();

    private LuaValues() {
    }

    /** How many arguments or header lines ngx.req.get_uri_args, get_post_args and get_headers read unless told (lua_max_uri_args). */
    static final int DEFAULT_MAX_ARGS = 100;

    static Map<String, List<String>> parseQuery(String raw) {
        return parseQuery(raw, Integer.MAX_VALUE);
    }

    /** The first {@code maxArgs} arguments of a query string, as ngx.decode_args reads them. */
    static Map<String, List<String>> parseQuery(String raw, int maxArgs) {
        Map<String, List<String>> query = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return query;
        }
        int read = 0;
        for (String part : raw.split("&")) {
            if (part.isEmpty()) {
                continue;
            }
            if (read++ == maxArgs) {
                break;
            }
            int eq = part.indexOf('=');
            // percent escapes and raw bytes alike become bytes first, then UTF-8 text, as ngx.decode_args and Kong's side do
            String key = WireText.text(URLDecoder.decode(eq < 0 ? part : part.substring(0, eq), StandardCharsets.ISO_8859_1));
            List<String> values = query.computeIfAbsent(key, k -> new ArrayList<>());
            if (eq >= 0) {
                values.add(WireText.text(URLDecoder.decode(part.substring(eq + 1), StandardCharsets.ISO_8859_1)));
            }
        }
        return query;
    }

    /**
     * Kong's make_ordered_args (kong/pdk/service/request.lua), behind set_query and set_body's form encoding: each key
     * encoded alone by ngx.encode_args, the pieces sorted and joined with "&". A false value encodes to nothing but
     * still counts as a piece, as in Kong.
     */
    static String encodeQuery(Map<?, ?> args) {
        List<String> pieces = new ArrayList<>();
        args.forEach((k, v) -> {
            if (!(k instanceof String key)) {
                throw new LuaError("arg keys must be strings");
            }
            pieces.add(encodeArg(key, v));
        });
        java.util.Collections.sort(pieces);
        return String.join("&", pieces);
    }

    /** ngx.encode_args for one key: {@code k=v}, a list as {@code k=a&k=b}, true as a bare {@code k}, false as nothing. */
    private static String encodeArg(String key, Object value) {
        if (value instanceof List<?> list) {
            List<String> parts = new ArrayList<>();
            for (Object element : list) {
                String part = encodeArg(key, element);
                if (!part.isEmpty()) {
                    parts.add(part);
                }
            }
            return String.join("&", parts);
        }
        return switch (value) {
            case Boolean b -> b ? escapeUri(key) : "";
            case String text -> escapeUri(key) + "=" + escapeUri(text);
            case byte[] raw -> escapeUri(key) + "=" + escapeUri(raw);
            case Number n -> escapeUri(key) + "=" + luaNumber(n);
            case null, default -> throw new LuaError("attempt to use " + (value == null ? "nil" : "a table") + " as query arg value");
        };
    }

    /** What ngx.escape_uri leaves of a URI component besides letters and digits (lua-nginx-module, checked under Debian's nginx). */
    private static final String UNESCAPED_MARKS = "!'()*-._~";

    /** ngx.escape_uri as ngx.encode_args applies it: every other byte percent-encoded. */
    static String escapeUri(String text) {
        return escapeUri(WireText.wire(text).getBytes(StandardCharsets.ISO_8859_1));
    }

    private static String escapeUri(byte[] bytes) {
        StringBuilder out = new StringBuilder(bytes.length + 8);
        for (byte b : bytes) {
            int c = b & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || UNESCAPED_MARKS.indexOf(c) >= 0) {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16))).append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return out.toString();
    }

    /** A number as Lua's tostring writes it ({@code %.14g}): every Lua number is a double, a Java long too. */
    static String luaNumber(Number n) {
        return cNumber(n.doubleValue(), 14);
    }

    /** C's {@code %.<precision>g}: Lua's tostring (14 digits) and Kong's cjson (16, kong/globalpatches.lua) write numbers so. */
    static String cNumber(double d, int precision) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == Math.rint(d) && Math.abs(d) < Math.pow(10, precision)) {
            return Long.toString((long) d);
        }
        String g = String.format(Locale.ROOT, "%." + precision + "g", d);
        if (g.contains("e")) {
            String mantissa = g.substring(0, g.indexOf('e'));
            String exponent = g.substring(g.indexOf('e') + 1);
            return stripZeros(mantissa) + "e" + (exponent.startsWith("-") ? "-" : "+") + String.format("%02d", Math.abs(Integer.parseInt(exponent)));
        }
        return stripZeros(g);
    }

    /**
     * A table as Kong's cjson encodes it (kong.response.exit's table body, set_body's JSON): numbers as doubles in 16
     * digits, {@code /} escaped, an empty table (list or map alike) an object, as cjson has it without the array marker.
     */
    static String cjson(Object value) {
        StringBuilder out = new StringBuilder(128);
        writeCjson(value, out);
        return out.toString();
    }

    private static void writeCjson(Object value, StringBuilder out) {
        switch (value) {
            case null -> out.append("null");
            case Boolean b -> out.append(b);
            case Number n -> {
                double d = n.doubleValue();
                if (Double.isNaN(d) || Double.isInfinite(d)) {
                    throw new LuaError("Cannot serialise number: must not be NaN or Infinity");
                }
                out.append(cNumber(d, 16));
            }
            case byte[] bytes -> quoteCjson(new String(bytes, StandardCharsets.UTF_8), out);
            case CharSequence text -> quoteCjson(text.toString(), out);
            case List<?> list when list.isEmpty() -> out.append("{}");
            case List<?> list -> {
                out.append('[');
                for (int i = 0; i < list.size(); i++) {
                    if (i > 0) {
                        out.append(',');
                    }
                    writeCjson(list.get(i), out);
                }
                out.append(']');
            }
            case Map<?, ?> map -> {
                out.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> entry : map.entrySet()) {
                    if (!first) {
                        out.append(',');
                    }
                    first = false;
                    Object key = entry.getKey();
                    quoteCjson(key instanceof Number n ? cNumber(n.doubleValue(), 16) : String.valueOf(key), out);
                    out.append(':');
                    writeCjson(entry.getValue(), out);
                }
                out.append('}');
            }
            default -> throw new LuaError("Cannot serialise " + value.getClass().getSimpleName() + ": type not supported");
        }
    }

    private static void quoteCjson(String text, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '/' -> out.append("\\/");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private static String stripZeros(String decimal) {
        if (!decimal.contains(".")) {
            return decimal;
        }
        String stripped = decimal.replaceAll("0+$", "");
        return stripped.endsWith(".") ? stripped.substring(0, stripped.length() - 1) : stripped;
    }

    static void setHeader(Map<String, List<String>> headers, List<Object> args) {
        headers.put(string(args, 0).toLowerCase(Locale.ROOT), headerValues(args.size() > 1 ? args.get(1) : ""));
    }

    static void addHeader(Map<String, List<String>> headers, List<Object> args) {
        headers.computeIfAbsent(string(args, 0).toLowerCase(Locale.ROOT), k -> new ArrayList<>()).addAll(headerValues(args.get(1)));
    }

    static void setHeaders(Map<String, List<String>> headers, List<Object> args) {
        if (args.getFirst() instanceof Map<?, ?> given) {
            given.forEach((k, v) -> headers.put(String.valueOf(k).toLowerCase(Locale.ROOT), headerValues(v)));
        }
    }

    /** A plugin's header value or values as the gateway writes them: bytes as given, text as UTF-8 (see {@link WireText}). */
    static List<String> headerValues(Object value) {
        return switch (value) {
            case null -> List.of();
            case List<?> list -> new ArrayList<>(list.stream().map(LuaValues::headerValue).toList()); // add_header may grow it
            default -> new ArrayList<>(List.of(headerValue(value)));
        };
    }

    private static String headerValue(Object value) {
        return value instanceof byte[] b ? new String(b, StandardCharsets.ISO_8859_1) : WireText.wire(String.valueOf(value));
    }

    static List<String> values(Object value) {
        return switch (value) {
            case null -> List.of();
            case List<?> list -> list.stream().map(v -> v instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(v)).toList();
            case byte[] b -> List.of(new String(b, StandardCharsets.UTF_8));
            default -> new ArrayList<>(List.of(String.valueOf(value)));
        };
    }

    /** Kong's multimap encoding: every value an array of strings; empty map stays a map. */
    static Map<String, List<String>> multimap(Map<String, List<String>> headers) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        headers.forEach((k, v) -> {
            if (!v.isEmpty()) {
                out.put(k, v.stream().map(WireText::text).toList());
            }
        });
        return out;
    }

    /** The first {@code max} header lines, as ngx.req.get_headers(max) reads them (a name's lines counted one by one). */
    static Map<String, List<String>> firstLines(Map<String, List<String>> headers, int max) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        int left = max;
        for (Map.Entry<String, List<String>> entry : headers.entrySet()) {
            if (left <= 0) {
                break;
            }
            List<String> values = entry.getValue();
            if (values.size() <= left) {
                out.put(entry.getKey(), values);
            } else {
                out.put(entry.getKey(), values.subList(0, left));
            }
            left -= values.size();
        }
        return out;
    }

    static String first(Map<String, List<String>> headers, String name) {
        List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
        return values == null || values.isEmpty() ? null : WireText.text(values.getFirst());
    }

    /** Kong sends an empty Lua table as an empty array. */
    static Object emptyAsList(Object value) {
        return value instanceof Map<?, ?> m && m.isEmpty() ? List.of() : value;
    }

    static String string(List<Object> args, int index) {
        if (index >= args.size() || args.get(index) == null) {
            throw new LuaError("argument #" + (index + 1) + " must be a string");
        }
        Object value = args.get(index);
        return value instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(value);
    }

    static int intArg(List<Object> args, int index) {
        if (index >= args.size() || !(args.get(index) instanceof Number n)) {
            throw new LuaError("argument #" + (index + 1) + " must be a number");
        }
        return n.intValue();
    }

    static Map<?, ?> mapArg(List<Object> args, int index) {
        Object value = index < args.size() ? args.get(index) : null;
        if (value instanceof Map<?, ?> map) {
            return map;
        }
        if (value instanceof List<?> list && list.isEmpty()) {
            return Map.of();
        }
        throw new LuaError("argument #" + (index + 1) + " must be a table");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> mapOrNull(List<Object> args, int index) {
        return index < args.size() && args.get(index) instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
    }

    static byte[] bytes(Object value) {
        return value instanceof byte[] b ? b : String.valueOf(value).getBytes(StandardCharsets.UTF_8);
    }

    static String firstNonNull(String a, String b) {
        return a != null ? a : b;
    }

    /**
     * A value as it comes back after a stay in Kong's Lua (kong.ctx.shared, a body cjson decoded): every number is a
     * double there and lua-MessagePack packs a whole one in the integer range as an integer (so 1.0 comes back 1, and
     * Long.MAX_VALUE as 2^63, a double); a string of bytes is a string; an empty table packs as an empty array.
     */
    static Object throughLua(Object value) {
        return switch (value) {
            case null -> null;
            case Number n -> luaNumberValue(n.doubleValue());
            case byte[] bytes -> new String(bytes, StandardCharsets.UTF_8);
            case CharSequence text -> text.toString();
            case List<?> list -> {
                List<Object> out = new ArrayList<>(list.size());
                for (Object element : list) {
                    out.add(throughLua(element));
                }
                yield out;
            }
            case Map<?, ?> map when map.isEmpty() -> new ArrayList<>();
            case Map<?, ?> map -> {
                Map<Object, Object> out = new LinkedHashMap<>();
                map.forEach((k, v) -> out.put(k instanceof Number n ? luaNumberValue(n.doubleValue()) : throughLua(k), throughLua(v)));
                yield out;
            }
            default -> value;
        };
    }

    /** lua-MessagePack packs a whole number as an integer only strictly inside this bound (its maxinteger, 2^53 - 1). */
    private static final double MAX_PACKED_INTEGER = 9007199254740991.0;

    private static Object luaNumberValue(double d) {
        if (d == Math.floor(d) && d < MAX_PACKED_INTEGER && d > -MAX_PACKED_INTEGER) {
            return (long) d;
        }
        return d;
    }

    /** The JSON text's value, or null when it is not JSON (Kong's get_body answers nil then). */
    static Object readJson(String text) {
        try {
            return JSON.readValue(text, Object.class);
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new LuaError("cannot encode as JSON: " + e.getOriginalMessage());
        }
    }

    /** A PDK function raised a Lua error. */
    static final class LuaError extends RuntimeException {
        LuaError(String message) {
            super(message, null, false, false);
        }
    }
}
