package io.kongjava.emulation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;
import org.junit.jupiter.api.Test;

class KongRequestTest {

    @Test
    void aNewRequestHasKongsIdShapes() {
        KongRequest first = new KongRequest();
        KongRequest second = new KongRequest();

        assertThat(first.requestId).matches("[0-9a-f]{32}").isNotEqualTo(second.requestId);
        UUID plugin = UUID.fromString(first.pluginId);
        assertThat(plugin.version()).isEqualTo(4);
        assertThat(plugin.variant()).isEqualTo(2);
        assertThat(first.pluginId).isNotEqualTo(second.pluginId);
    }
}
