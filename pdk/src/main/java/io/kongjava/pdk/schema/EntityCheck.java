package io.kongjava.pdk.schema;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Repeatable;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * One of Kong's record-level {@code entity_checks} on a config record, naming fields by their Kong names:
 * <pre>{@code
 * @EntityCheck(kind = EntityCheck.Kind.MUTUALLY_REQUIRED, fields = {"header_name", "header_value"})
 * record Auth(Optional<String> headerName, Optional<String> headerValue) {}
 * }</pre>
 * Fields are Kong names, or dotted paths into nested records ({@code "auth.header_name"}), as in Kong.
 * As in Kong, a field counts as set when it is present (after defaults) and not null, not an empty string,
 * not an empty array or map.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@Repeatable(EntityChecks.class)
public @interface EntityCheck {

    Kind kind();

    String[] fields();

    enum Kind {
        /** All or none of the fields are set. */
        MUTUALLY_REQUIRED("mutually_required"),
        /** At most one of the fields is set. */
        MUTUALLY_EXCLUSIVE("mutually_exclusive"),
        /** At least one of the fields is set. */
        AT_LEAST_ONE_OF("at_least_one_of"),
        /** Exactly one of the fields is set. */
        ONLY_ONE_OF("only_one_of");

        private final String kongName;

        Kind(String kongName) {
            this.kongName = kongName;
        }

        public String kongName() {
            return kongName;
        }
    }
}
