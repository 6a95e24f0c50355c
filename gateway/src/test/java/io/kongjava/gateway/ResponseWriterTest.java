package io.kongjava.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResponseWriterTest {

    @Test
    void errorBodiesHaveKongsLayout() {
        assertThat(new String(ResponseWriter.kongErrorBody("no Route matched with those values", "abc123"), StandardCharsets.UTF_8))
                .isEqualTo("{\n  \"message\":\"no Route matched with those values\",\n  \"request_id\":\"abc123\"\n}");
    }

    @Test
    void errorBodiesAreJsonWhateverTheMessage() throws Exception {
        String message = "a \"quoted\" back\\slash\nand a new line";
        Map<?, ?> parsed = new ObjectMapper().readValue(ResponseWriter.kongErrorBody(message, "id"), Map.class);
        assertThat(parsed).isEqualTo(Map.of("message", message, "request_id", "id"));
    }

    @Test
    void kongsOwnHeadersOnAProxiedAnswerAreTheOnesKongConfLetsItAdd() {
        io.kongjava.emulation.KongRequest state = new io.kongjava.emulation.KongRequest();
        state.upstreamStatus = "201";
        Map<String, java.util.List<String>> defaults = new java.util.LinkedHashMap<>();
        ResponseWriter.addKongHeaders(defaults, state, 0, 0);
        assertThat(defaults).containsOnlyKeys("x-kong-upstream-latency", "x-kong-proxy-latency", "via", "x-kong-request-id");

        state.kongHeaders = java.util.Set.of("x-kong-upstream-status");
        Map<String, java.util.List<String>> chosen = new java.util.LinkedHashMap<>();
        ResponseWriter.addKongHeaders(chosen, state, 0, 0);
        assertThat(chosen).isEqualTo(Map.of("x-kong-upstream-status", java.util.List.of("201")));
    }
}
