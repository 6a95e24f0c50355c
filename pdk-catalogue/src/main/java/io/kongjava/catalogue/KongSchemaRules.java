package io.kongjava.catalogue;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Kong's schema rules for a plugin's config that both ends apply, with the words of Kong's schema validation
 * (kong/db/schema): the field types, which decoded values each accepts and what Kong says when it does not,
 * and the messages for a missing required field, an unknown field and a value outside {@code one_of}. The PDK
 * binds a config record with them; the local gateway checks a config against a plugin server's dumped schema
 * with them.
 */
public final class KongSchemaRules {

    public static final String REQUIRED_FIELD_MISSING = "required field missing";
    public static final String UNKNOWN_FIELD = "unknown field";

    private KongSchemaRules() {
    }

    /** Kong's message for a value outside {@code one_of}. */
    public static String notOneOf(Collection<?> allowed) {
        return "expected one of: " + allowed.stream().map(String::valueOf).collect(Collectors.joining(", "));
    }

    /** Kong's default {@code len_min} of a string field: an empty string is refused unless the field allows it. */
    public static final int STRING_LEN_MIN = 1;

    /** Kong's message for a number not above {@code gt}. */
    public static String notGreaterThan(double gt) {
        return "value must be greater than " + plain(gt);
    }

    /** Kong's message for a number outside {@code between}. */
    public static String notBetween(double low, double high) {
        return "value should be between " + plain(low) + " and " + plain(high);
    }

    /** Kong's message for a string, array or set shorter than {@code len_min}. */
    public static String tooShort(int lenMin) {
        return "length must be at least " + lenMin;
    }

    /** Kong's message for a string, array or set longer than {@code len_max}. */
    public static String tooLong(int lenMax) {
        return "length must be at most " + lenMax;
    }

    /** A bound as Kong prints it: 0, not 0.0. */
    private static String plain(double d) {
        return d == Math.rint(d) && Math.abs(d) < 9.007199254740992E15 ? String.valueOf((long) d) : String.valueOf(d);
    }

    /** A schema field's {@code type}. */
    public enum KongType {
        STRING, INTEGER, NUMBER, BOOLEAN, ARRAY, SET, MAP, RECORD;

        /** The name in a schema ({@code "integer"}). */
        public String kongName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The type a schema names; empty for the ones not checked here ({@code json}, {@code foreign}, ...). */
        public static Optional<KongType> of(String kongName) {
            for (KongType type : values()) {
                if (type.kongName().equals(kongName)) {
                    return Optional.of(type);
                }
            }
            return Optional.empty();
        }

        /** What Kong says when a value is not of this type. */
        public String mismatch() {
            return switch (this) {
                case INTEGER -> "expected an integer";
                case ARRAY -> "expected an array";
                default -> "expected a " + kongName();
            };
        }

        /**
         * Whether a decoded JSON or MessagePack value is of this type, as Lua sees it: an integer is any whole
         * number, and an empty list is also an empty record or map, an empty map also an empty array (Lua has one empty table).
         */
        public boolean accepts(Object value) {
            return switch (this) {
                case STRING -> value instanceof String;
                case INTEGER -> isWholeNumber(value);
                case NUMBER -> value instanceof Number;
                case BOOLEAN -> value instanceof Boolean;
                case ARRAY, SET -> value instanceof List<?> || value instanceof Map<?, ?> map && map.isEmpty();
                case MAP, RECORD -> value instanceof Map<?, ?> || value instanceof List<?> list && list.isEmpty();
            };
        }

        private static boolean isWholeNumber(Object value) {
            return switch (value) {
                case Long l -> true;
                case Integer i -> true;
                case Short s -> true;
                case Byte b -> true;
                case BigInteger b -> true;
                case BigDecimal d -> d.signum() == 0 || d.stripTrailingZeros().scale() <= 0;
                case Number n -> Double.isFinite(n.doubleValue()) && n.doubleValue() == Math.rint(n.doubleValue());
                default -> false;
            };
        }
    }
}
