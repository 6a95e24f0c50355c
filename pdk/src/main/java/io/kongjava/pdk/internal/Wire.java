package io.kongjava.pdk.internal;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Lenient readers of Kong-shaped values (what {@link io.kongjava.pdk.bridge.Bridge} returns) and the
 * normalizer for values a plugin sends to Kong. Kong sends text as msgpack str or bin, numbers in any
 * width (integral floats as integers), and empty tables as empty arrays.
 */
public final class Wire {

    private Wire() {
    }

    /** Text from a str ({@link String}) or bin ({@code byte[]}, decoded as UTF-8); otherwise null. */
    public static String text(Object value) {
        if (value instanceof String s) {
            return s;
        }
        if (value instanceof byte[] b) {
            return new String(b, StandardCharsets.UTF_8);
        }
        return null;
    }

    /** Text, or the decimal form of a number or boolean (Kong sometimes stores ids/ports as numbers). */
    public static String textLenient(Object value) {
        String s = text(value);
        if (s != null) {
            return s;
        }
        if (value instanceof Double d && d == Math.rint(d) && !d.isInfinite()) {
            return Long.toString(d.longValue());
        }
        if (value instanceof Number || value instanceof Boolean) {
            return value.toString();
        }
        return null;
    }

    /** Bytes from a bin or str (UTF-8); otherwise null. */
    public static byte[] bytes(Object value) {
        if (value instanceof byte[] b) {
            return b;
        }
        if (value instanceof String s) {
            return s.getBytes(StandardCharsets.UTF_8);
        }
        return null;
    }

    /** A whole number from any numeric width, a whole double, or a decimal string; otherwise null. */
    public static Long integer(Object value) {
        if (value instanceof Long l) {
            return l;
        }
        if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        if (value instanceof BigInteger b) {
            return b.bitLength() < 64 ? b.longValue() : null;
        }
        if (value instanceof Double || value instanceof Float || value instanceof BigDecimal) {
            double d = ((Number) value).doubleValue();
            return Double.isFinite(d) && d == Math.rint(d) ? (long) d : null;
        }
        String s = text(value);
        if (s != null) {
            try {
                return Long.parseLong(s.trim());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    /** Any number as a double, or a numeric string; otherwise null. */
    public static Double number(Object value) {
        if (value instanceof Number n) {
            return n.doubleValue();
        }
        String s = text(value);
        if (s != null) {
            try {
                return Double.parseDouble(s.trim());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    public static Boolean bool(Object value) {
        return value instanceof Boolean b ? b : null;
    }

    /** A map (string keys), with an empty array read as an empty map; otherwise null. */
    public static Map<String, Object> map(Object value) {
        if (value instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put(keyText(k), v));
            return out;
        }
        if (value instanceof List<?> l && l.isEmpty()) {
            return new LinkedHashMap<>();
        }
        return null;
    }

    /** A list; a map with integer keys 1..n (a Lua sequence with holes) in key order; otherwise null. */
    public static List<Object> list(Object value) {
        if (value instanceof List<?> l) {
            return new ArrayList<>(l);
        }
        if (value instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                return new ArrayList<>();
            }
            long max = 0;
            for (Object k : m.keySet()) {
                Long i = k instanceof String ? null : integer(k);
                if (i == null || i < 1) {
                    return null;
                }
                max = Math.max(max, i);
            }
            if (max > 1_000_000) {
                return null;
            }
            List<Object> out = new ArrayList<>();
            for (long i = 1; i <= max; i++) {
                Object v = m.get(i);
                if (v == null) {
                    v = m.get((int) i);
                }
                out.add(v);
            }
            return out;
        }
        return null;
    }

    /** A list of texts (null elements and non-text elements dropped); a single text as one element. */
    public static List<String> texts(Object value) {
        String single = text(value);
        if (single != null) {
            return List.of(single);
        }
        List<Object> list = list(value);
        if (list == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>(list.size());
        for (Object o : list) {
            String s = textLenient(o);
            if (s != null) {
                out.add(s);
            }
        }
        return Collections.unmodifiableList(out);
    }

    /**
     * Kong's multimap (headers, query): name → array of strings, with a single string as one value,
     * {@code true} (a query flag without value) as no values, and {@code []} for an empty map.
     */
    public static Map<String, List<String>> multimap(Object value) {
        Map<String, Object> map = map(value);
        if (map == null) {
            return null;
        }
        Map<String, List<String>> out = new LinkedHashMap<>();
        map.forEach((k, v) -> {
            if (v instanceof Boolean) {
                out.put(k, List.of());
            } else {
                out.put(k, texts(v));
            }
        });
        return Collections.unmodifiableMap(out);
    }

    private static String keyText(Object key) {
        String s = textLenient(key);
        return s != null ? s : String.valueOf(key);
    }

    /** A deep, read-only copy of a Kong value with str/bin kept as received and maps keyed by text. */
    public static Object freeze(Object value) {
        if (value instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put(keyText(k), freeze(v)));
            return Collections.unmodifiableMap(out);
        }
        if (value instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            l.forEach(v -> out.add(freeze(v)));
            return Collections.unmodifiableList(out);
        }
        return value;
    }

    /**
     * Converts a value a plugin hands to Kong into wire shape: integral numbers to {@link Long}, other
     * numbers to {@link Double}, {@link CharSequence} and enums to {@link String}, arrays and collections to
     * {@link List}, maps to {@link Map} with string keys, {@link Optional} to its content or null.
     *
     * @throws IllegalArgumentException for values Kong cannot receive (objects, functions)
     */
    public static Object toWire(Object value) {
        return switch (value) {
            case null -> null;
            case String s -> s;
            case Boolean b -> b;
            case Long l -> l;
            case Integer i -> i.longValue();
            case Short s -> s.longValue();
            case Byte b -> b.longValue();
            case Double d -> d;
            case Float f -> f.doubleValue();
            case BigInteger b when b.bitLength() < 64 -> b.longValue();
            case BigDecimal d -> d.doubleValue();
            case BigInteger b -> b.doubleValue();
            case byte[] b -> b;
            case CharSequence s -> s.toString();
            case Enum<?> e -> e.name();
            case Optional<?> o -> toWire(o.orElse(null));
            case Map<?, ?> m -> {
                Map<String, Object> out = new LinkedHashMap<>();
                m.forEach((k, v) -> {
                    if (k == null) {
                        throw new IllegalArgumentException("map keys sent to Kong must not be null");
                    }
                    out.put(k instanceof CharSequence ? k.toString() : keyText(toWire(k)), toWire(v));
                });
                yield out;
            }
            case Collection<?> c -> {
                List<Object> out = new ArrayList<>(c.size());
                c.forEach(v -> out.add(toWire(v)));
                yield out;
            }
            case Object[] a -> toWire(java.util.Arrays.asList(a));
            default -> throw new IllegalArgumentException("cannot send a " + value.getClass().getName()
                    + " to Kong: use null, Boolean, numbers, String, byte[], List or Map");
        };
    }
}
