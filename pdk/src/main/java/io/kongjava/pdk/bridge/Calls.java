package io.kongjava.pdk.bridge;

import io.kongjava.catalogue.KongPhase;
import io.kongjava.catalogue.PdkFunction;
import io.kongjava.pdk.PdkException;
import io.kongjava.pdk.internal.Wire;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Typed calls over a {@link Bridge}: builds Kong-safe argument lists and reads Kong's results leniently,
 * turning a missing required result into a {@link PdkException} named after the Kong function.
 */
final class Calls {

    private final Bridge bridge;
    private final Optional<KongPhase> phase;

    Calls(Bridge bridge) {
        this.bridge = bridge;
        this.phase = bridge.phase();
    }

    /**
     * The argument list for Kong: values in wire shape, trailing nulls dropped. A null before a non-null
     * argument is a bug in this PDK (Kong's {@code unpack} would lose the later arguments).
     */
    static List<Object> args(PdkFunction method, Object... args) {
        int end = args.length;
        while (end > 0 && args[end - 1] == null) {
            end--;
        }
        List<Object> out = new ArrayList<>(end);
        for (int i = 0; i < end; i++) {
            if (args[i] == null) {
                throw new IllegalArgumentException(method.kongName() + ": argument " + (i + 1) + " is null but a later one is not;"
                        + " Kong would lose the later arguments");
            }
            out.add(Wire.toWire(args[i]));
        }
        return Collections.unmodifiableList(out);
    }

    static <T> T required(T value, String name) {
        if (value == null) {
            throw new NullPointerException(name + " must not be null");
        }
        return value;
    }

    /**
     * Headers as Kong's header setters take them: a single value as a string, several as an array, none as an empty
     * array, which clears the header as Kong's {@code ngx.header[name] = {}} does.
     */
    static Map<String, Object> headerArg(Map<String, List<String>> headers, PdkFunction method) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (headers == null) {
            return out;
        }
        headers.forEach((name, values) -> {
            required(name, "header name");
            if (values == null) {
                throw noHeaderValue(method, name);
            }
            out.put(name, headerValues(values, name, method));
        });
        return out;
    }

    static Object headerValues(List<String> values, String name, PdkFunction method) {
        required(values, "values");
        values.forEach(v -> required(v, "value of header " + name));
        return values.size() == 1 ? values.get(0) : List.copyOf(values);
    }

    private static IllegalArgumentException noHeaderValue(PdkFunction method, String name) {
        return new IllegalArgumentException(method.kongName() + ": header " + name + " has no value");
    }

    /** Whether Kong returned a table (an entity), not nil, false or the empty table. */
    static boolean isTable(Object v) {
        return v instanceof Map<?, ?> || (v instanceof List<?> l && !l.isEmpty());
    }

    Object call(PdkFunction method, Object... args) throws PdkException {
        List<Object> wireArgs = args(method, args);
        refuseOutsidePhase(method);
        return bridge.call(method.kongName(), wireArgs);
    }

    void terminal(PdkFunction method, Object... args) throws PdkException {
        List<Object> wireArgs = args(method, args);
        refuseOutsidePhase(method);
        bridge.callTerminal(method.kongName(), wireArgs);
    }

    private void refuseOutsidePhase(PdkFunction method) throws PdkException {
        Optional<String> refusal = phase.flatMap(method::refusalIn);
        if (refusal.isPresent()) {
            throw new PdkException(method.kongName(), "Kong refuses it here: " + refusal.get() + "; not sent (Kong would abandon the event)");
        }
    }

    static PdkException noValue(PdkFunction method) {
        return new PdkException(method.kongName(), "Kong returned no value (the call failed in Kong, see Kong's error log)");
    }

    static PdkException unexpected(PdkFunction method, Object value) {
        return new PdkException(method.kongName(), "unexpected result from Kong: " + describe(value));
    }

    private static String describe(Object value) {
        if (value == null) {
            return "nil";
        }
        String s = value instanceof byte[] b ? "bin[" + b.length + "]" : String.valueOf(value);
        if (s.length() > 200) {
            s = s.substring(0, 200) + "...";
        }
        return value.getClass().getSimpleName() + " " + s;
    }

    String text(PdkFunction method, Object... args) throws PdkException {
        Object v = call(method, args);
        if (v == null) {
            throw noValue(method);
        }
        String s = Wire.textLenient(v);
        if (s == null) {
            throw unexpected(method, v);
        }
        return s;
    }

    Optional<String> optionalText(PdkFunction method, Object... args) throws PdkException {
        Object v = call(method, args);
        if (v == null || Boolean.FALSE.equals(v)) {
            return Optional.empty();
        }
        String s = Wire.textLenient(v);
        if (s == null) {
            throw unexpected(method, v);
        }
        return Optional.of(s);
    }

    /** A header getter's result: a string, or (defensively) the first of several values. */
    Optional<String> firstText(PdkFunction method, Object... args) throws PdkException {
        Object v = call(method, args);
        if (v == null || Boolean.FALSE.equals(v)) {
            return Optional.empty();
        }
        String s = Wire.textLenient(v);
        if (s != null) {
            return Optional.of(s);
        }
        List<String> values = Wire.texts(v);
        if (!values.isEmpty()) {
            return Optional.of(values.get(0));
        }
        throw unexpected(method, v);
    }

    long integer(PdkFunction method, Object... args) throws PdkException {
        Object v = call(method, args);
        if (v == null) {
            throw noValue(method);
        }
        Long l = Wire.integer(v);
        if (l == null) {
            Double d = Wire.number(v);
            if (d == null || !Double.isFinite(d)) {
                throw unexpected(method, v);
            }
            return Math.round(d);
        }
        return l;
    }

    int intValue(PdkFunction method, Object... args) throws PdkException {
        long l = integer(method, args);
        if (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
            throw new PdkException(method.kongName(), "value out of int range: " + l);
        }
        return (int) l;
    }

    double number(PdkFunction method, Object... args) throws PdkException {
        Object v = call(method, args);
        if (v == null) {
            throw noValue(method);
        }
        Double d = Wire.number(v);
        if (d == null) {
            throw unexpected(method, v);
        }
        return d;
    }

    /** A boolean Kong always returns. */
    boolean bool(PdkFunction method, Object... args) throws PdkException {
        Object v = call(method, args);
        if (v == null) {
            throw noValue(method);
        }
        if (v instanceof Boolean b) {
            return b;
        }
        throw unexpected(method, v);
    }

    /** Kong's {@code true} or {@code nil, err} (the error is dropped on the way): false unless true. */
    boolean succeeded(PdkFunction method, Object... args) throws PdkException {
        Object v = call(method, args);
        return v != null && !Boolean.FALSE.equals(v);
    }

    /** A call whose result Kong does not define (setters): anything is accepted. */
    void run(PdkFunction method, Object... args) throws PdkException {
        call(method, args);
    }

    Map<String, List<String>> multimap(PdkFunction method, Object... args) throws PdkException {
        Object v = call(method, args);
        if (v == null) {
            throw noValue(method);
        }
        Map<String, List<String>> m = Wire.multimap(v);
        if (m == null) {
            throw unexpected(method, v);
        }
        return m;
    }

    /**
     * Headers as Kong's table gives them to a Lua plugin: looked up whatever the case, and with {@code _} for
     * {@code -} ({@code get("Content-Type")}, {@code get("x_api_key")}); read-only, in name order.
     */
    Map<String, List<String>> headers(PdkFunction method, Object... args) throws PdkException {
        java.util.TreeMap<String, List<String>> headers = new java.util.TreeMap<>(HEADER_NAMES);
        headers.putAll(multimap(method, args));
        return java.util.Collections.unmodifiableMap(headers);
    }

    /** Header names compared as Kong's header tables look them up. */
    static final java.util.Comparator<String> HEADER_NAMES = java.util.Comparator.comparing(
            (String name) -> name.replace('_', '-'), String.CASE_INSENSITIVE_ORDER);

    byte[] bytes(PdkFunction method, Object... args) throws PdkException {
        Object v = call(method, args);
        if (v == null) {
            throw noValue(method);
        }
        byte[] b = Wire.bytes(v);
        if (b == null) {
            throw unexpected(method, v);
        }
        return b;
    }

    Map<String, Object> map(PdkFunction method, Object... args) throws PdkException {
        Object v = call(method, args);
        if (v == null) {
            throw noValue(method);
        }
        Map<String, Object> m = Wire.map(v);
        if (m == null) {
            throw unexpected(method, v);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> frozen = (Map<String, Object>) Wire.freeze(m);
        return frozen;
    }

    /** Any value, read-only, empty when Kong returned nil. */
    Optional<Object> value(PdkFunction method, Object... args) throws PdkException {
        return Optional.ofNullable(Wire.freeze(call(method, args)));
    }
}
