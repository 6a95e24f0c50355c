package io.kongjava.pdk.schema;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** Kong's {@code default}: the value as text for string fields, as JSON for every other type (e.g. {@code "65536"}, {@code "true"}, {@code "[]"}, {@code "{\\"a\\": 1}"}). */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.RECORD_COMPONENT})
public @interface Default {
    String value();
}
