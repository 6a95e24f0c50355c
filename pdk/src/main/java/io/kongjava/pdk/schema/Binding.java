package io.kongjava.pdk.schema;

import io.kongjava.catalogue.KongSchemaRules;
import io.kongjava.catalogue.KongSchemaRules.KongType;
import io.kongjava.pdk.schema.ConfigModel.CollectionShape;
import io.kongjava.pdk.schema.ConfigModel.EnumShape;
import io.kongjava.pdk.schema.ConfigModel.Field;
import io.kongjava.pdk.schema.ConfigModel.MapShape;
import io.kongjava.pdk.schema.ConfigModel.RecordShape;
import io.kongjava.pdk.schema.ConfigModel.Scalar;
import io.kongjava.pdk.schema.ConfigModel.Shape;
import java.lang.reflect.InvocationTargetException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.stream.Collectors;

/** Kong's config JSON (decoded) to Java values, with Kong's validation rules and wording ({@link KongSchemaRules}). */
final class Binding {

    /** Returned for a value that failed; the error is already recorded. */
    static final Object INVALID = new Object();

    private Binding() {
    }

    static Object bindRecord(RecordShape shape, Object raw, String path, Map<String, String> errors) {
        Map<?, ?> map;
        if (raw instanceof Map<?, ?> m) {
            map = m;
        } else if (raw instanceof List<?> l && l.isEmpty()) {
            map = Map.of();
        } else {
            errors.putIfAbsent(label(path), KongType.RECORD.mismatch());
            return INVALID;
        }
        int errorsBefore = errors.size();
        Object[] args = new Object[shape.fields().size()];
        Map<String, Object> bound = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            Field field = shape.fields().get(i);
            Object given = map.get(field.kongName());
            if (given == null && field.required() && map.containsKey(field.kongName())) {
                // an explicit null: Kong gives no default to it (only to a missing field) and refuses it when required
                errors.putIfAbsent(join(path, field.kongName()), KongSchemaRules.REQUIRED_FIELD_MISSING);
                args[i] = INVALID;
                bound.put(field.kongName(), INVALID);
                continue;
            }
            Object value = bindValue(field, given, join(path, field.kongName()), errors);
            args[i] = value;
            bound.put(field.kongName(), value);
        }
        for (EntityCheck check : shape.checks()) {
            checkEntity(check, shape, map, path, errors);
        }
        if (errors.size() > errorsBefore) {
            return INVALID;
        }
        try {
            return shape.constructor().newInstance(args);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            errors.putIfAbsent(join(path, "@entity"), cause.getMessage() != null ? cause.getMessage() : cause.toString());
            return INVALID;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot construct " + shape.javaType().getName(), e);
        }
    }

    /** Binds one field's raw value (null = absent) to the Java value its component holds. */
    static Object bindValue(Field field, Object raw, String path, Map<String, String> errors) {
        if (raw == null && field.hasDefault()) {
            raw = field.defaultValue();
        }
        if (raw == null) {
            if (field.required()) {
                if (field.shape() instanceof RecordShape record) {
                    // Kong expands a missing required record to obtain its nested defaults.
                    return hold(field, bindRecord(record, Map.of(), path, errors));
                }
                errors.putIfAbsent(path, KongSchemaRules.REQUIRED_FIELD_MISSING);
                return INVALID;
            }
            return absent(field);
        }
        Object value = convert(field.shape(), raw, path, errors, field);
        if (value == INVALID) {
            return INVALID;
        }
        return hold(field, value);
    }

    private static Object absent(Field field) {
        return switch (field.holder()) {
            case OPTIONAL -> Optional.empty();
            case OPTIONAL_INT -> OptionalInt.empty();
            case OPTIONAL_LONG -> OptionalLong.empty();
            case OPTIONAL_DOUBLE -> OptionalDouble.empty();
            case BOXED -> null;
            case PLAIN -> switch (field.shape()) {
                case CollectionShape c -> c.set() ? java.util.Set.of() : List.of();
                case MapShape m -> Map.of();
                default -> null;
            };
        };
    }

    private static Object hold(Field field, Object value) {
        if (value == INVALID) {
            return INVALID;
        }
        return switch (field.holder()) {
            case OPTIONAL -> Optional.of(value);
            case OPTIONAL_INT -> OptionalInt.of((Integer) value);
            case OPTIONAL_LONG -> OptionalLong.of((Long) value);
            case OPTIONAL_DOUBLE -> OptionalDouble.of((Double) value);
            case BOXED, PLAIN -> value;
        };
    }

    private static Object convert(Shape shape, Object raw, String path, Map<String, String> errors, Field field) {
        ConfigModel.Constraints c = field.constraints();
        switch (shape) {
            case Scalar s -> {
                Object v = scalar(s, raw);
                if (v == null) {
                    // a whole number beyond what the Java type holds: the dumped between says so, as Kong would
                    String outOfRange = s.kongType().accepts(raw) ? validateScalar(raw, c) : null;
                    errors.putIfAbsent(path, outOfRange != null ? outOfRange : s.kongType().mismatch());
                    return INVALID;
                }
                String error = validateScalar(raw, c);
                if (error != null) {
                    errors.putIfAbsent(path, error);
                    return INVALID;
                }
                return v;
            }
            case EnumShape e -> {
                if (!(raw instanceof String s)) {
                    errors.putIfAbsent(path, KongType.STRING.mismatch());
                    return INVALID;
                }
                Object constant = e.constantsByKongName().get(s);
                if (constant == null) {
                    errors.putIfAbsent(path, KongSchemaRules.notOneOf(e.constantsByKongName().keySet()));
                    return INVALID;
                }
                return constant;
            }
            case CollectionShape col -> {
                // Lua has one empty table: Kong's JSON of an empty array can be {} (cjson without array_mt)
                if (raw instanceof Map<?, ?> empty && empty.isEmpty()) {
                    raw = List.of();
                }
                if (!(raw instanceof List<?> list)) {
                    errors.putIfAbsent(path, col.kongType().mismatch());
                    return INVALID;
                }
                String lengthError = validateLength(list.size(), c);
                if (lengthError != null) {
                    errors.putIfAbsent(path, lengthError);
                    return INVALID;
                }
                Collection<Object> out = col.set() ? new LinkedHashSet<>() : new ArrayList<>(list.size());
                boolean ok = true;
                for (int i = 0; i < list.size(); i++) {
                    Object element = elementValue(col.elements(), list.get(i), path + "." + (i + 1), errors, c);
                    if (element == INVALID) {
                        ok = false;
                    } else {
                        out.add(element);
                    }
                }
                if (!ok) {
                    return INVALID;
                }
                return col.set() ? Collections.unmodifiableSet((LinkedHashSet<Object>) out) : Collections.unmodifiableList((List<Object>) out);
            }
            case MapShape m -> {
                Map<?, ?> map;
                if (raw instanceof Map<?, ?> mm) {
                    map = mm;
                } else if (raw instanceof List<?> l && l.isEmpty()) {
                    map = Map.of();
                } else {
                    errors.putIfAbsent(path, KongType.MAP.mismatch());
                    return INVALID;
                }
                String lengthError = validateLength(map.size(), c);
                if (lengthError != null) {
                    errors.putIfAbsent(path, lengthError);
                    return INVALID;
                }
                Map<String, Object> out = new LinkedHashMap<>();
                boolean ok = true;
                for (Map.Entry<?, ?> entry : map.entrySet()) {
                    String key = String.valueOf(entry.getKey());
                    Object value = elementValue(m.values(), entry.getValue(), path + "." + key, errors, c);
                    if (value == INVALID) {
                        ok = false;
                    } else {
                        out.put(key, value);
                    }
                }
                return ok ? Collections.unmodifiableMap(out) : INVALID;
            }
            case RecordShape r -> {
                return bindRecord(r, raw, path, errors);
            }
        }
    }

    /** An element of an array/set or a value of a map; the field's value constraints apply to it. */
    private static Object elementValue(Shape shape, Object raw, String path, Map<String, String> errors,
                                       ConfigModel.Constraints c) {
        if (raw == null) {
            errors.putIfAbsent(path, shape.kongType().mismatch());
            return INVALID;
        }
        ConfigModel.Constraints elementConstraints = new ConfigModel.Constraints(c.oneOf(), c.between(), c.gt(),
                null, null, c.match(), c.matchRegex(), c.matchError(), false, false, null);
        Field element = new Field("", "", shape, ConfigModel.Holder.PLAIN, true, ConfigModel.NO_DEFAULT, elementConstraints);
        return convert(shape, raw, path, errors, element);
    }

    private static Object scalar(Scalar s, Object raw) {
        Class<?> t = s.javaType();
        return switch (s.kongType()) {
            case STRING -> raw instanceof String str ? str : null;
            case BOOLEAN -> raw instanceof Boolean b ? b : null;
            case INTEGER -> {
                BigInteger big = integral(raw);
                if (big == null) {
                    yield null;
                }
                if (t == BigInteger.class) {
                    yield big;
                }
                long[] range = ConfigModel.integerRange(t);
                if (big.compareTo(BigInteger.valueOf(range[0])) < 0 || big.compareTo(BigInteger.valueOf(range[1])) > 0) {
                    yield null;
                }
                long v = big.longValue();
                if (t == int.class || t == Integer.class) {
                    yield (int) v;
                }
                if (t == short.class || t == Short.class) {
                    yield (short) v;
                }
                if (t == byte.class || t == Byte.class) {
                    yield (byte) v;
                }
                yield v;
            }
            case NUMBER -> {
                if (!(raw instanceof Number n)) {
                    yield null;
                }
                if (t == BigDecimal.class) {
                    yield n instanceof Long || n instanceof Integer ? BigDecimal.valueOf(n.longValue()) : new BigDecimal(n.toString());
                }
                if (t == float.class || t == Float.class) {
                    yield n.floatValue();
                }
                yield n.doubleValue();
            }
            default -> null;
        };
    }

    private static BigInteger integral(Object raw) {
        if (raw instanceof Long || raw instanceof Integer || raw instanceof Short || raw instanceof Byte) {
            return BigInteger.valueOf(((Number) raw).longValue());
        }
        if (raw instanceof BigInteger b) {
            return b;
        }
        if (raw instanceof Double || raw instanceof Float) {
            double d = ((Number) raw).doubleValue();
            if (Double.isFinite(d) && d == Math.rint(d)) {
                return new BigDecimal(d).toBigInteger();
            }
        }
        if (raw instanceof BigDecimal bd) {
            try {
                return bd.toBigIntegerExact();
            } catch (ArithmeticException e) {
                return null;
            }
        }
        return null;
    }

    /** Kong's validators in Kong's order: one_of, gt, between, len_min, len_max, match. */
    private static String validateScalar(Object raw, ConfigModel.Constraints c) {
        if (c.oneOf() != null) {
            boolean found = false;
            for (Object option : c.oneOf()) {
                if (sameValue(option, raw)) {
                    found = true;
                    break;
                }
            }
            if (!found) {
                return KongSchemaRules.notOneOf(c.oneOf());
            }
        }
        if (raw instanceof Number n) {
            double d = n.doubleValue();
            if (c.gt() != null && !(d > c.gt())) {
                return KongSchemaRules.notGreaterThan(c.gt());
            }
            if (c.between() != null && (d < c.between()[0] || d > c.between()[1])) {
                return KongSchemaRules.notBetween(c.between()[0], c.between()[1]);
            }
        }
        if (raw instanceof String s) {
            // Kong refuses an empty string unless the field declares len_min 0 (kong/db/schema/init.lua); a vault
            // reference that resolved to nothing arrives here as "" and must not pass for "not set"
            String lengthError = validateLength(s.length(), c, KongSchemaRules.STRING_LEN_MIN);
            if (lengthError != null) {
                return lengthError;
            }
            if (c.matchRegex() != null && !c.matchRegex().matcher(s).find()) {
                return c.matchError() != null ? c.matchError() : "invalid value: " + s;
            }
        }
        return null;
    }

    private static String validateLength(int length, ConfigModel.Constraints c) {
        return validateLength(length, c, 0);
    }

    private static String validateLength(int length, ConfigModel.Constraints c, int defaultMin) {
        int min = c.lenMin() != null ? c.lenMin() : defaultMin;
        if (length < min) {
            return KongSchemaRules.tooShort(min);
        }
        if (c.lenMax() != null && length > c.lenMax()) {
            return KongSchemaRules.tooLong(c.lenMax());
        }
        return null;
    }

    private static boolean sameValue(Object option, Object raw) {
        if (option instanceof Number a && raw instanceof Number b) {
            return a.doubleValue() == b.doubleValue();
        }
        return option.equals(raw);
    }


    private static void checkEntity(EntityCheck check, RecordShape shape, Map<?, ?> raw, String path, Map<String, String> errors) {
        String[] fields = check.fields();
        int set = 0;
        for (String name : fields) {
            if (isNonEmpty(rawAt(shape, raw, name))) {
                set++;
            }
        }
        boolean ok = switch (check.kind()) {
            case MUTUALLY_REQUIRED -> set == 0 || set == fields.length;
            case MUTUALLY_EXCLUSIVE -> set <= 1;
            case AT_LEAST_ONE_OF -> set >= 1;
            case ONLY_ONE_OF -> set == 1;
        };
        if (ok) {
            return;
        }
        String quoted = java.util.Arrays.stream(fields).map(f -> "'" + f + "'").collect(Collectors.joining(", "));
        String message = switch (check.kind()) {
            case MUTUALLY_REQUIRED -> "all or none of these fields must be set: ";
            case MUTUALLY_EXCLUSIVE -> "only one or none of these fields must be set: ";
            case AT_LEAST_ONE_OF -> "at least one of these fields must be non-empty: ";
            case ONLY_ONE_OF -> "exactly one of these fields must be non-empty: ";
        };
        errors.putIfAbsent(join(path, "@entity"), message + quoted);
    }

    /**
     * The value Kong's entity check sees at a (dotted) field path: the input with defaults filled in, a
     * missing required record expanded, null for anything absent.
     */
    private static Object rawAt(RecordShape shape, Object raw, String dottedPath) {
        String[] parts = dottedPath.split("\\.");
        RecordShape current = shape;
        Object value = raw;
        for (int i = 0; i < parts.length; i++) {
            Map<?, ?> map = value instanceof Map<?, ?> m ? m : value instanceof List<?> l && l.isEmpty() ? Map.of() : null;
            Field field = current == null ? null : current.field(parts[i]);
            if (map == null || field == null) {
                return null;
            }
            value = map.get(parts[i]);
            if (value == null && field.hasDefault()) {
                value = field.defaultValue();
            }
            if (i == parts.length - 1) {
                return value;
            }
            if (!(field.shape() instanceof RecordShape next)) {
                return null;
            }
            if (value == null && field.required()) {
                value = Map.of();
            }
            current = next;
        }
        return value;
    }

    /** Kong's is_nonempty: not null, not an empty string or table. */
    private static boolean isNonEmpty(Object value) {
        return switch (value) {
            case null -> false;
            case String s -> !s.isEmpty();
            case Collection<?> c -> !c.isEmpty();
            case Map<?, ?> m -> !m.isEmpty();
            default -> true;
        };
    }

    /** The Kong-shaped form of a bound value: the inverse of binding. */
    static Object unbind(Shape shape, Object value) {
        if (value == null) {
            return null;
        }
        return switch (shape) {
            case Scalar s -> switch (s.kongType()) {
                case INTEGER -> ((Number) value).longValue();
                case NUMBER -> ((Number) value).doubleValue();
                default -> value;
            };
            case EnumShape e -> e.constantsByKongName().entrySet().stream()
                    .filter(en -> en.getValue() == value).map(Map.Entry::getKey).findFirst().orElseThrow();
            case CollectionShape c -> {
                List<Object> out = new ArrayList<>();
                for (Object element : (Collection<?>) value) {
                    out.add(unbind(c.elements(), element));
                }
                yield out;
            }
            case MapShape m -> {
                Map<String, Object> out = new LinkedHashMap<>();
                ((Map<?, ?>) value).forEach((k, v) -> out.put(String.valueOf(k), unbind(m.values(), v)));
                yield out;
            }
            case RecordShape r -> {
                Map<String, Object> out = new LinkedHashMap<>();
                java.lang.reflect.RecordComponent[] components = r.javaType().getRecordComponents();
                for (int i = 0; i < components.length; i++) {
                    Field field = r.fields().get(i);
                    Object held;
                    try {
                        java.lang.reflect.Method accessor = components[i].getAccessor();
                        accessor.setAccessible(true);
                        held = accessor.invoke(value);
                    } catch (ReflectiveOperationException ex) {
                        throw new IllegalStateException("cannot read " + components[i], ex);
                    }
                    Object content = switch (held) {
                        case null -> null;
                        case Optional<?> o -> o.orElse(null);
                        case OptionalInt o -> o.isPresent() ? o.getAsInt() : null;
                        case OptionalLong o -> o.isPresent() ? o.getAsLong() : null;
                        case OptionalDouble o -> o.isPresent() ? o.getAsDouble() : null;
                        default -> held;
                    };
                    out.put(field.kongName(), unbind(field.shape(), content));
                }
                yield out;
            }
        };
    }

    static String join(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    private static String label(String path) {
        return path.isEmpty() ? "config" : path;
    }
}
