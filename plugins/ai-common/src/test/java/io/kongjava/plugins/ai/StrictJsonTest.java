package io.kongjava.plugins.ai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class StrictJsonTest {

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void readsOneJsonValue() throws Exception {
        assertThat(StrictJson.read(bytes("{\"model\":\"claude\",\"messages\":[{\"role\":\"user\"}]}")).path("model").asText())
                .isEqualTo("claude");
    }

    @Test
    void aKeyGivenTwiceAtAnyDepthIsRefusedAndNamed() {
        assertThatThrownBy(() -> StrictJson.read(bytes("{\"model\":\"other\",\"model\":\"pinned\"}")))
                .isInstanceOfSatisfying(StrictJson.DuplicateKeyException.class, e -> assertThat(e.key()).isEqualTo("model"));
        assertThatThrownBy(() -> StrictJson.read(bytes("{\"messages\":[{\"role\":\"user\",\"role\":\"assistant\"}]}")))
                .isInstanceOfSatisfying(StrictJson.DuplicateKeyException.class, e -> assertThat(e.key()).isEqualTo("role"));
    }

    @Test
    void trailingContentAndBrokenJsonAreNotDuplicateKeys() {
        assertThatThrownBy(() -> StrictJson.read(bytes("{\"a\":1} {\"a\":2}")))
                .isInstanceOf(IOException.class).isNotInstanceOf(StrictJson.DuplicateKeyException.class);
        assertThatThrownBy(() -> StrictJson.read(bytes("{\"a\":")))
                .isInstanceOf(IOException.class).isNotInstanceOf(StrictJson.DuplicateKeyException.class);
    }
}
