package io.kongjava.pdk.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every schema derived in these tests passes the checks of Kong's plugin metaschema. */
class KongMetaschemaTest {

    @Test
    void derivedSchemasPassTheMetaschema() {
        for (Class<? extends Record> type : List.of(AiProxyLikeConfig.class, FileLogLikeConfig.class,
                KongSchemaTest.CollectionFields.class, KongSchemaTest.Scalars.class, ConfigBinderTest.Lists.class,
                ConfigBinderTest.Checks.class, ConfigBinderTest.Patterns.class, ConfigBinderTest.Numbers.class)) {
            assertThat(KongMetaschema.check(KongSchema.derive("test-plugin", type))).as(type.getSimpleName()).isEmpty();
        }
    }

    @Test
    void theCheckerRejectsWhatKongRejects() {
        Map<String, Object> bad = Map.of("name", "x", "fields", List.of(Map.of("config", Map.of("type", "record", "fields", List.of(
                Map.of("a", Map.of("type", "array")),
                Map.of("b", Map.of("type", "number", "between", List.of(0.5, 1L))),
                Map.of("c", Map.of("type", "boolean", "one_of", List.of(true))),
                Map.of("d", Map.of("type", "string", "frobnicate", true)))))));
        assertThat(KongMetaschema.check(bad)).containsExactlyInAnyOrder(
                "config.a: field of type 'array' must declare 'elements'",
                "config.b: between must be two integers",
                "config.c: field of type 'boolean' cannot have attribute 'one_of'",
                "config.d: unknown attribute frobnicate");
    }
}
