package io.kongjava.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RequestReaderTest {

    @Test
    void theHostLosesOnlyATrailingPort() {
        assertThat(RequestReader.withoutPort("example.com:8000")).isEqualTo("example.com");
        assertThat(RequestReader.withoutPort("[::1]:80")).isEqualTo("[::1]");
        assertThat(RequestReader.withoutPort("example.com")).isEqualTo("example.com");
        assertThat(RequestReader.withoutPort("example.com:")).isEqualTo("example.com:");
        assertThat(RequestReader.withoutPort("example.com:80a")).isEqualTo("example.com:80a");
        assertThat(RequestReader.withoutPort("[::1]")).isEqualTo("[::1]");
    }

    @Test
    void requestIdsAre32HexDigitsAndDiffer() {
        String first = RequestReader.newRequestId();
        assertThat(first).matches("[0-9a-f]{32}");
        assertThat(RequestReader.newRequestId()).isNotEqualTo(first);
    }
}
