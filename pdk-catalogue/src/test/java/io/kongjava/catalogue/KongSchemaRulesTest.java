package io.kongjava.catalogue;

import static org.assertj.core.api.Assertions.assertThat;

import io.kongjava.catalogue.KongSchemaRules.KongType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KongSchemaRulesTest {

    @Test
    void typesAreFoundByTheirSchemaNames() {
        for (KongType type : KongType.values()) {
            assertThat(KongType.of(type.kongName())).contains(type);
        }
        assertThat(KongType.of("json")).isEmpty();
        assertThat(KongType.of("String")).isEmpty();
    }

    @Test
    void mismatchesUseKongsWords() {
        assertThat(KongType.INTEGER.mismatch()).isEqualTo("expected an integer");
        assertThat(KongType.ARRAY.mismatch()).isEqualTo("expected an array");
        assertThat(KongType.SET.mismatch()).isEqualTo("expected a set");
        assertThat(KongType.RECORD.mismatch()).isEqualTo("expected a record");
        assertThat(KongSchemaRules.notOneOf(List.of("a", 2))).isEqualTo("expected one of: a, 2");
    }

    @Test
    void anIntegerIsAnyWholeNumber() {
        assertThat(KongType.INTEGER.accepts(3L)).isTrue();
        assertThat(KongType.INTEGER.accepts(3.0)).isTrue();
        assertThat(KongType.INTEGER.accepts(new BigInteger("123456789012345678901234567890"))).isTrue();
        assertThat(KongType.INTEGER.accepts(new BigDecimal("4.000"))).isTrue();
        assertThat(KongType.INTEGER.accepts(new BigDecimal("4.5"))).isFalse();
        assertThat(KongType.INTEGER.accepts(3.5)).isFalse();
        assertThat(KongType.INTEGER.accepts(Double.POSITIVE_INFINITY)).isFalse();
        assertThat(KongType.INTEGER.accepts("3")).isFalse();
        assertThat(KongType.NUMBER.accepts(3.5)).isTrue();
    }

    @Test
    void anEmptyTableIsAnyOfTheseAsInLua() {
        assertThat(KongType.RECORD.accepts(List.of())).isTrue();
        assertThat(KongType.MAP.accepts(List.of())).isTrue();
        assertThat(KongType.MAP.accepts(List.of("x"))).isFalse();
        assertThat(KongType.RECORD.accepts(Map.of("a", 1))).isTrue();
        assertThat(KongType.SET.accepts(List.of())).isTrue();
        assertThat(KongType.ARRAY.accepts(Map.of())).as("cjson writes an empty Lua table as {}").isTrue();
        assertThat(KongType.ARRAY.accepts(Map.of("a", 1))).isFalse();
        assertThat(KongType.STRING.accepts(1)).isFalse();
        assertThat(KongType.BOOLEAN.accepts("true")).isFalse();
    }
}
