package io.kongjava.pdk.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WireTest {

    @Test
    void textFromStrOrBin() {
        assertThat(Wire.text("a")).isEqualTo("a");
        assertThat(Wire.text("é".getBytes(StandardCharsets.UTF_8))).isEqualTo("é");
        assertThat(Wire.text(1L)).isNull();
        assertThat(Wire.textLenient(2.0)).isEqualTo("2");
    }

    @Test
    void integersFromAnyWidth() {
        assertThat(Wire.integer(5)).isEqualTo(5L);
        assertThat(Wire.integer(5.0)).isEqualTo(5L);
        assertThat(Wire.integer(5.5)).isNull();
        assertThat(Wire.integer(new java.math.BigInteger("18446744073709551615"))).isNull();
    }

    @Test
    void emptyArrayIsAnEmptyMapAndSequencesWithHolesAreLists() {
        assertThat(Wire.map(List.of())).isEmpty();
        assertThat(Wire.map(List.of("x"))).isNull();
        assertThat(Wire.list(Map.of(1L, "a", 3L, "c"))).containsExactly("a", null, "c");
        assertThat(Wire.list(Map.of("k", "v"))).isNull();
    }

    @Test
    void toWireNormalizesJavaValues() {
        enum Mode { FAST }
        assertThat(Wire.toWire(Map.of("n", 1, "f", 1.5f, "m", Mode.FAST, "s", new StringBuilder("sb"))))
                .isEqualTo(Map.of("n", 1L, "f", 1.5, "m", "FAST", "s", "sb"));
        assertThat(Wire.toWire(new Object[] {1, "a"})).isEqualTo(List.of(1L, "a"));
        assertThat(Wire.toWire(java.util.Set.of("x"))).isEqualTo(List.of("x"));
    }
}
