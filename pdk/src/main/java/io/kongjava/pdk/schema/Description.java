package io.kongjava.pdk.schema;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Kong's {@code description} of a field, 10 to 500 characters (shown by Kong Manager and the Admin API
 * schema endpoints). A Kong whose metaschema lacks the attribute (older releases) rejects the whole schema, so use it only when targeting current Kong.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
public @interface Description {
    String value();
}
