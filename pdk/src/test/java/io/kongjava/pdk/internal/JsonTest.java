package io.kongjava.pdk.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void roundTrip() {
        String text = "{\"a\":[1,2.5,true,null,\"x\\\"y\\n\\u0001\"],\"b\":{}}";
        Object value = Json.parse(text);
        assertThat(value).isEqualTo(Map.of("a", java.util.Arrays.asList(1L, 2.5, true, null, "x\"y\n\u0001"), "b", Map.of()));
        assertThat(Json.write(value)).isEqualTo(text);
    }

    @Test
    void wholeDoublesStayDoubles() {
        assertThat(Json.write(List.of(2.0, 3L))).isEqualTo("[2.0,3]");
    }

    @Test
    void badInputIsAClearError() {
        assertThatThrownBy(() -> Json.parse("{\"a\":}")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("offset");
        assertThatThrownBy(() -> Json.parse("[1] x")).hasMessageContaining("trailing");
    }
}
