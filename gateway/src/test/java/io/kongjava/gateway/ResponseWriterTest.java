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
        assertThat(defaults).containsOnlyKeys("x-kong-upstream-latency", "x-kong-proxy-latency", "via", "server", "x-kong-request-id");

        state.kongHeaders = java.util.Set.of("x-kong-upstream-status");
        Map<String, java.util.List<String>> chosen = new java.util.LinkedHashMap<>();
        ResponseWriter.addKongHeaders(chosen, state, 0, 0);
        assertThat(chosen).isEqualTo(Map.of("x-kong-upstream-status", java.util.List.of("201")));
    }

    @Test
    void aProxiedAnswerKeepsTheUpstreamsServerAndViaWithKongsEntryAfterIt() {
        io.kongjava.emulation.KongRequest state = new io.kongjava.emulation.KongRequest();
        Map<String, java.util.List<String>> bare = new java.util.LinkedHashMap<>();
        ResponseWriter.addKongHeaders(bare, state, 0, 0);
        assertThat(bare).containsEntry("server", java.util.List.of("kong-java-gateway"))
                .containsEntry("via", java.util.List.of("1.1 kong-java-gateway"));

        Map<String, java.util.List<String>> fromUpstream = new java.util.LinkedHashMap<>();
        fromUpstream.put("server", java.util.List.of("uvicorn"));
        fromUpstream.put("via", java.util.List.of("1.1 varnish"));
        ResponseWriter.addKongHeaders(fromUpstream, state, 0, 0);
        assertThat(fromUpstream).containsEntry("server", java.util.List.of("uvicorn"))
                .containsEntry("via", java.util.List.of("1.1 varnish, 1.1 kong-java-gateway"));

        state.kongHeaders = java.util.Set.of();
        Map<String, java.util.List<String>> off = new java.util.LinkedHashMap<>();
        ResponseWriter.addKongHeaders(off, state, 0, 0);
        assertThat(off).as("headers = off").isEmpty();
    }

    @Test
    void theLoggedResponseSizeCountsTheHeadAsNginxsBytesSentDo() {
        Map<String, java.util.List<String>> headers = new java.util.LinkedHashMap<>();
        headers.put("content-type", java.util.List.of("application/json"));
        headers.put("x-kong-request-id", java.util.List.of("abc"));
        // "HTTP/1.1 200 OK", the two headers, the front's Date and Content-Length, the blank line
        long expected = 17 + ("content-type: application/json\r\n".length() + "x-kong-request-id: abc\r\n".length())
                + "Date: Thu, 01 Jan 1970 00:00:00 GMT\r\n".length() + "Content-Length: 0\r\n".length() + 2;
        assertThat(ResponseWriter.headSize(200, headers)).isEqualTo(expected);
    }
}
