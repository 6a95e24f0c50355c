package io.kongjava.pdk.schema;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Kong's {@code match}: a Lua pattern (not a Java regex) the string must contain, e.g. {@code ^[%w.-]+$}; {@link #err()}
 * is Kong's {@code err}, the message when it does not (Kong's default: "invalid value: ...").
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.RECORD_COMPONENT})
public @interface Match {
    String value();

    String err() default "";
}
