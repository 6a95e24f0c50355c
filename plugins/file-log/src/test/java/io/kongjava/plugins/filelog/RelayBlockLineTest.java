package io.kongjava.plugins.filelog;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The response relay's block in a line: how the exchange ended, and each filter's fields at their paths. */
class RelayBlockLineTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theRelaysOutcomeAndTheFiltersFieldsReachTheLine() throws Exception {
        ObjectNode record = (ObjectNode) JSON.readTree("{\"request\":{\"id\":\"r1\"},\"ai\":{\"proxy\":{\"meta\":{\"x\":1}}}}");
        Map<String, Object> relay = Map.of("outcome", "filter_failed", "filters", List.of("java-ai-proxy", "java-ai-sanitizer"),
                "failed_filter", "java-ai-sanitizer", "error", "boom",
                "fields", Map.of("ai.sanitizer.redactions", 3));
        FileLogConfig config = new FileLogConfig("/dev/null", false, Map.of(), Map.of(), "0644", 0);

        JsonNode line = JSON.readTree(FileLogPlugin.line(record, null, relay, config));

        assertThat(line.path("relay").path("outcome").asText()).isEqualTo("filter_failed");
        assertThat(line.path("relay").path("failed_filter").asText()).isEqualTo("java-ai-sanitizer");
        assertThat(line.path("relay").has("fields")).isFalse();
        assertThat(line.path("ai").path("sanitizer").path("redactions").asInt()).isEqualTo(3);
        assertThat(line.path("ai").path("proxy").path("meta").path("x").asInt()).as("the ai block is kept").isEqualTo(1);
    }
}
