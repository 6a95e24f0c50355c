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
 * A field counts as set when it is present and not null (for {@code AT_LEAST_ONE_OF} and
 * {@code ONLY_ONE_OF}: also not an empty string, array or map, as Kong's "non-empty" wording says).
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
