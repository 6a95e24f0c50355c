package io.kongjava.pdk.schema;

import io.kongjava.catalogue.KongSchemaRules.KongType;
import io.kongjava.pdk.internal.Json;
import java.lang.reflect.Constructor;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.lang.reflect.WildcardType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The reflective model of a config record shared by schema derivation and binding, so that what Kong is
 * told and what the binder accepts cannot drift apart.
 */
final class ConfigModel {

    private ConfigModel() {
    }

    sealed interface Shape permits Scalar, EnumShape, CollectionShape, MapShape, RecordShape {
        KongType kongType();
    }

    /** string, integer, number or boolean, bound to {@code javaType}. */
    record Scalar(KongType kongType, Class<?> javaType) implements Shape {
    }

    /** A Java enum, a string with {@code one_of} its constants' Kong names. */
    record EnumShape(Class<?> javaType, Map<String, Object> constantsByKongName) implements Shape {
        @Override
        public KongType kongType() {
            return KongType.STRING;
        }
    }

    record CollectionShape(boolean set, Shape elements) implements Shape {
        @Override
        public KongType kongType() {
            return set ? KongType.SET : KongType.ARRAY;
        }
    }

    record MapShape(Shape values) implements Shape {
        @Override
        public KongType kongType() {
            return KongType.MAP;
        }
    }

    record RecordShape(Class<?> javaType, List<Field> fields, List<EntityCheck> checks, Constructor<?> constructor)
            implements Shape {
        @Override
        public KongType kongType() {
            return KongType.RECORD;
        }

        Field field(String kongName) {
            for (Field f : fields) {
                if (f.kongName().equals(kongName)) {
                    return f;
                }
            }
            return null;
        }
    }

    /** How a component holds a value that may be absent. */
    enum Holder {
        /** Plain type: a primitive, String, enum or record (required), or a collection (empty when absent). */
        PLAIN,
        /** A boxed number or boolean: {@code null} when absent. */
        BOXED,
        OPTIONAL, OPTIONAL_INT, OPTIONAL_LONG, OPTIONAL_DOUBLE
    }

    static final Object NO_DEFAULT = new Object();

    record Constraints(List<Object> oneOf, double[] between, Double gt, Integer lenMin, Integer lenMax,
                       String match, Pattern matchRegex, String matchError, boolean referenceable, boolean encrypted,
                       String description) {
    }

    record Field(String javaName, String kongName, Shape shape, Holder holder, boolean required,
                 Object defaultValue, Constraints constraints) {

        boolean hasDefault() {
            return defaultValue != NO_DEFAULT;
        }
    }

    private static final Map<Class<?>, RecordShape> RECORDS = new ConcurrentHashMap<>();

    static RecordShape record(Class<?> type) {
        RecordShape cached = RECORDS.get(type);
        if (cached != null) {
            return cached;
        }
        synchronized (RECORDS) {
            return buildRecord(type, new HashSet<>());
        }
    }

    private static RecordShape buildRecord(Class<?> type, Set<Class<?>> inProgress) {
        RecordShape cached = RECORDS.get(type);
        if (cached != null) {
            return cached;
        }
        if (!type.isRecord()) {
            throw new IllegalArgumentException(type.getName() + " is not a record");
        }
        if (!inProgress.add(type)) {
            throw new IllegalArgumentException("config record " + type.getName() + " contains itself; Kong schemas cannot be recursive");
        }
        RecordComponent[] components = type.getRecordComponents();
        List<Field> fields = new ArrayList<>(components.length);
        Set<String> names = new HashSet<>();
        for (RecordComponent component : components) {
            Field field = buildField(type, component, inProgress);
            if (!names.add(field.kongName())) {
                throw new IllegalArgumentException(type.getName() + ": two components have the Kong name " + field.kongName());
            }
            fields.add(field);
        }
        List<EntityCheck> checks = List.of(type.getAnnotationsByType(EntityCheck.class));
        for (EntityCheck check : checks) {
            for (String name : check.fields()) {
                if (!pathExists(fields, name)) {
                    throw new IllegalArgumentException(type.getName() + ": entity check " + check.kind().kongName()
                            + " names unknown field '" + name + "' (use Kong field names, e.g. " + names + ")");
                }
            }
            if (check.fields().length < 2) {
                throw new IllegalArgumentException(type.getName() + ": entity check " + check.kind().kongName() + " needs at least two fields");
            }
        }
        Constructor<?> constructor;
        try {
            constructor = type.getDeclaredConstructor(Arrays.stream(components).map(RecordComponent::getType).toArray(Class<?>[]::new));
            constructor.setAccessible(true);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalArgumentException("cannot use the canonical constructor of " + type.getName() + ": " + e, e);
        }
        RecordShape shape = new RecordShape(type, List.copyOf(fields), checks, constructor);
        inProgress.remove(type);
        RECORDS.put(type, shape);
        return shape;
    }

    /** Whether a Kong field path ({@code header_name}, or {@code auth.header_name} into a nested record) exists. */
    private static boolean pathExists(List<Field> fields, String path) {
        int dot = path.indexOf('.');
        String head = dot < 0 ? path : path.substring(0, dot);
        for (Field f : fields) {
            if (f.kongName().equals(head)) {
                if (dot < 0) {
                    return true;
                }
                return f.shape() instanceof RecordShape r && pathExists(r.fields(), path.substring(dot + 1));
            }
        }
        return false;
    }

    private static Field buildField(Class<?> owner, RecordComponent component, Set<Class<?>> inProgress) {
        String where = owner.getName() + "." + component.getName();
        KongName kongName = component.getAnnotation(KongName.class);
        String name = kongName != null ? kongName.value() : snakeCase(component.getName());
        Type type = component.getGenericType();
        Holder holder = Holder.PLAIN;
        Class<?> raw = rawClass(type, where);
        if (raw == Optional.class) {
            holder = Holder.OPTIONAL;
            type = typeArgument(type, 0, where);
        } else if (raw == OptionalInt.class) {
            holder = Holder.OPTIONAL_INT;
            type = int.class;
        } else if (raw == OptionalLong.class) {
            holder = Holder.OPTIONAL_LONG;
            type = long.class;
        } else if (raw == OptionalDouble.class) {
            holder = Holder.OPTIONAL_DOUBLE;
            type = double.class;
        } else if (isBoxed(raw)) {
            holder = Holder.BOXED;
        }
        Shape shape = shapeOf(type, where, inProgress);
        boolean collection = shape instanceof CollectionShape || shape instanceof MapShape;
        boolean required = component.isAnnotationPresent(Required.class)
                || (holder == Holder.PLAIN && !collection);

        Constraints constraints = constraints(component, shape, where);
        Object defaultValue = NO_DEFAULT;
        Default def = component.getAnnotation(Default.class);
        if (def != null) {
            if (shape.kongType() == KongType.STRING) {
                defaultValue = def.value();
            } else {
                try {
                    defaultValue = Json.freeze(Json.parse(def.value()));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(where + ": @Default(\"" + def.value() + "\") is not JSON: " + e.getMessage(), e);
                }
            }
            Field probe = new Field(component.getName(), name, shape, holder, required, defaultValue, constraints);
            Map<String, String> errors = new LinkedHashMap<>();
            Binding.bindValue(probe, defaultValue, name, errors);
            if (!errors.isEmpty()) {
                throw new IllegalArgumentException(where + ": @Default(\"" + def.value() + "\") is invalid: " + errors);
            }
        }
        return new Field(component.getName(), name, shape, holder, required, defaultValue, constraints);
    }

    /** The whole numbers a Java integer type holds; {@code null} for {@link java.math.BigInteger}. */
    static long[] integerRange(Class<?> type) {
        if (type == int.class || type == Integer.class) {
            return new long[] {Integer.MIN_VALUE, Integer.MAX_VALUE};
        }
        if (type == short.class || type == Short.class) {
            return new long[] {Short.MIN_VALUE, Short.MAX_VALUE};
        }
        if (type == byte.class || type == Byte.class) {
            return new long[] {Byte.MIN_VALUE, Byte.MAX_VALUE};
        }
        if (type == long.class || type == Long.class) {
            return new long[] {Long.MIN_VALUE, Long.MAX_VALUE};
        }
        return null;
    }

    private static Constraints constraints(RecordComponent component, Shape shape, String where) {
        Shape valueShape = switch (shape) {
            case CollectionShape c -> c.elements();
            case MapShape m -> m.values();
            default -> shape;
        };
        KongType valueType = valueShape.kongType();
        List<Object> oneOf = null;
        OneOf one = component.getAnnotation(OneOf.class);
        if (one != null) {
            oneOf = new ArrayList<>();
            for (String option : one.value()) {
                oneOf.add(switch (valueType) {
                    case STRING -> option;
                    case INTEGER -> parseInteger(option, where);
                    case NUMBER -> integralOrDouble(parseDouble(option, where));
                    default -> throw new IllegalArgumentException(where + ": @OneOf needs a string, integer or number field");
                });
            }
            oneOf = List.copyOf(oneOf);
            if (valueShape instanceof EnumShape) {
                throw new IllegalArgumentException(where + ": an enum field takes its one_of from its constants; drop @OneOf");
            }
        }
        double[] between = null;
        Between b = component.getAnnotation(Between.class);
        if (b != null) {
            requireNumeric(valueType, where, "@Between");
            if (b.min() > b.max()) {
                throw new IllegalArgumentException(where + ": @Between min > max");
            }
            if (!(ConfigModel.integralOrDouble(b.min()) instanceof Long) || !(ConfigModel.integralOrDouble(b.max()) instanceof Long)) {
                // Kong's metaschema declares between as an array of integers, even on number fields.
                throw new IllegalArgumentException(where + ": @Between needs whole numbers (Kong's metaschema accepts only integers); use @Gt or validate() for fractions");
            }
            between = new double[] {b.min(), b.max()};
        }
        long[] range = valueShape instanceof Scalar scalar && valueType == KongType.INTEGER ? integerRange(scalar.javaType()) : null;
        if (range != null && range[0] != Long.MIN_VALUE) {
            if (between == null) {
                // Kong's integer is any whole number: the dumped range refuses at config time what this field cannot hold
                between = new double[] {range[0], range[1]};
            } else if (between[0] < range[0] || between[1] > range[1]) {
                throw new IllegalArgumentException(where + ": @Between(min = " + (long) between[0] + ", max = " + (long) between[1]
                        + ") goes beyond what its Java type holds (" + range[0] + " to " + range[1] + ")");
            }
        }
        Double gt = null;
        Gt g = component.getAnnotation(Gt.class);
        if (g != null) {
            requireNumeric(valueType, where, "@Gt");
            gt = g.value();
        }
        Integer lenMin = null;
        Integer lenMax = null;
        LenMin lmin = component.getAnnotation(LenMin.class);
        LenMax lmax = component.getAnnotation(LenMax.class);
        if (lmin != null || lmax != null) {
            KongType t = shape.kongType();
            if (t != KongType.STRING && t != KongType.ARRAY && t != KongType.SET && t != KongType.MAP) {
                throw new IllegalArgumentException(where + ": @LenMin/@LenMax need a string, array, set or map field");
            }
            lenMin = lmin != null ? lmin.value() : null;
            lenMax = lmax != null ? lmax.value() : null;
        }
        String match = null;
        Pattern regex = null;
        String matchError = null;
        Match m = component.getAnnotation(Match.class);
        if (m != null) {
            if (valueType != KongType.STRING) {
                throw new IllegalArgumentException(where + ": @Match needs a string field");
            }
            match = m.value();
            regex = LuaPattern.toRegex(match).orElse(null);
            matchError = m.err().isEmpty() ? null : m.err();
        }
        boolean referenceable = component.isAnnotationPresent(Referenceable.class);
        if (referenceable && valueType != KongType.STRING) {
            throw new IllegalArgumentException(where + ": @Referenceable needs a string field (or strings in an array, set or map)");
        }
        Description d = component.getAnnotation(Description.class);
        if (d != null && (d.value().length() < 10 || d.value().length() > 500)) {
            throw new IllegalArgumentException(where + ": @Description must have 10 to 500 characters (Kong's metaschema)");
        }
        return new Constraints(oneOf, between, gt, lenMin, lenMax, match, regex, matchError, referenceable,
                component.isAnnotationPresent(Encrypted.class), d != null ? d.value() : null);
    }

    private static void requireNumeric(KongType t, String where, String what) {
        if (t != KongType.INTEGER && t != KongType.NUMBER) {
            throw new IllegalArgumentException(where + ": " + what + " needs an integer or number field");
        }
    }

    private static long parseInteger(String s, String where) {
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(where + ": '" + s + "' is not an integer");
        }
    }

    private static double parseDouble(String s, String where) {
        try {
            return Double.parseDouble(s.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(where + ": '" + s + "' is not a number");
        }
    }

    static Object integralOrDouble(double d) {
        if (d == Math.rint(d) && Math.abs(d) < 9.007199254740992E15) {
            return (long) d;
        }
        return d;
    }

    static Shape shapeOf(Type type, String where, Set<Class<?>> inProgress) {
        Class<?> raw = rawClass(type, where);
        if (raw == String.class || raw == CharSequence.class) {
            return new Scalar(KongType.STRING, String.class);
        }
        if (raw == int.class || raw == long.class || raw == short.class || raw == byte.class
                || raw == Integer.class || raw == Long.class || raw == Short.class || raw == Byte.class
                || raw == BigInteger.class) {
            return new Scalar(KongType.INTEGER, raw);
        }
        if (raw == double.class || raw == float.class || raw == Double.class || raw == Float.class
                || raw == BigDecimal.class) {
            return new Scalar(KongType.NUMBER, raw);
        }
        if (raw == boolean.class || raw == Boolean.class) {
            return new Scalar(KongType.BOOLEAN, raw);
        }
        if (raw.isEnum()) {
            Map<String, Object> constants = new LinkedHashMap<>();
            for (Object constant : raw.getEnumConstants()) {
                Enum<?> e = (Enum<?>) constant;
                KongName n;
                try {
                    n = raw.getField(e.name()).getAnnotation(KongName.class);
                } catch (NoSuchFieldException ex) {
                    n = null;
                }
                String kongName = n != null ? n.value() : e.name().toLowerCase(Locale.ROOT);
                if (constants.put(kongName, e) != null) {
                    throw new IllegalArgumentException(where + ": two constants of " + raw.getName() + " have the Kong name " + kongName);
                }
            }
            return new EnumShape(raw, java.util.Collections.unmodifiableMap(constants));
        }
        if (raw.isRecord()) {
            return buildRecord(raw, inProgress);
        }
        if (raw == List.class || raw == Collection.class || raw == Iterable.class) {
            return new CollectionShape(false, shapeOf(typeArgument(type, 0, where), where + "[]", inProgress));
        }
        if (raw == Set.class) {
            return new CollectionShape(true, shapeOf(typeArgument(type, 0, where), where + "[]", inProgress));
        }
        if (raw == Map.class) {
            Class<?> key = rawClass(typeArgument(type, 0, where), where);
            if (key != String.class) {
                throw new IllegalArgumentException(where + ": map keys must be String (Kong map keys are strings)");
            }
            return new MapShape(shapeOf(typeArgument(type, 1, where), where + "{}", inProgress));
        }
        if (raw == Optional.class || raw == OptionalInt.class || raw == OptionalLong.class || raw == OptionalDouble.class) {
            throw new IllegalArgumentException(where + ": Optional is only allowed as a record component's own type");
        }
        throw new IllegalArgumentException(where + ": type " + type.getTypeName()
                + " has no Kong schema type (use String, int/long/double/boolean and their boxes, enums, records, List, Set, Map<String, V>, Optional)");
    }

    private static boolean isBoxed(Class<?> c) {
        return c == Integer.class || c == Long.class || c == Short.class || c == Byte.class || c == Double.class
                || c == Float.class || c == Boolean.class || c == BigInteger.class || c == BigDecimal.class;
    }

    private static Class<?> rawClass(Type type, String where) {
        if (type instanceof Class<?> c) {
            return c;
        }
        if (type instanceof ParameterizedType p && p.getRawType() instanceof Class<?> c) {
            return c;
        }
        if (type instanceof WildcardType w && w.getUpperBounds().length == 1) {
            return rawClass(w.getUpperBounds()[0], where);
        }
        throw new IllegalArgumentException(where + ": unsupported type " + type.getTypeName());
    }

    private static Type typeArgument(Type type, int index, String where) {
        if (type instanceof ParameterizedType p) {
            Type arg = p.getActualTypeArguments()[index];
            if (arg instanceof WildcardType w && w.getUpperBounds().length == 1) {
                return w.getUpperBounds()[0];
            }
            return arg;
        }
        throw new IllegalArgumentException(where + ": raw type " + type.getTypeName() + " needs type arguments");
    }

    /** {@code maxLineBytes} → {@code max_line_bytes}; {@code HTTPProxy} → {@code http_proxy}. */
    static String snakeCase(String name) {
        StringBuilder out = new StringBuilder(name.length() + 8);
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (Character.isUpperCase(c)) {
                boolean prevLowerOrDigit = i > 0 && (Character.isLowerCase(name.charAt(i - 1)) || Character.isDigit(name.charAt(i - 1)));
                boolean acronymEnd = i > 0 && Character.isUpperCase(name.charAt(i - 1))
                        && i + 1 < name.length() && Character.isLowerCase(name.charAt(i + 1));
                if ((prevLowerOrDigit || acronymEnd) && out.length() > 0 && out.charAt(out.length() - 1) != '_') {
                    out.append('_');
                }
                out.append(Character.toLowerCase(c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
