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

    static Map<String, List<String>> parseQuery(String raw) {
        Map<String, List<String>> query = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return query;
        }
        for (String part : raw.split("&")) {
            if (part.isEmpty()) {
                continue;
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

    static String encodeQuery(Map<?, ?> args) {
        StringBuilder out = new StringBuilder();
        args.forEach((k, v) -> {
            for (String value : v instanceof Boolean ? List.<String>of() : values(v)) {
                if (!out.isEmpty()) {
                    out.append('&');
                }
                out.append(java.net.URLEncoder.encode(String.valueOf(k), StandardCharsets.UTF_8)).append('=')
                        .append(java.net.URLEncoder.encode(value, StandardCharsets.UTF_8));
            }
            if (v instanceof Boolean) {
                if (!out.isEmpty()) {
                    out.append('&');
                }
                out.append(java.net.URLEncoder.encode(String.valueOf(k), StandardCharsets.UTF_8));
            }
        });
        return out.toString();
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
            case List<?> list -> list.stream().map(LuaValues::headerValue).toList();
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
