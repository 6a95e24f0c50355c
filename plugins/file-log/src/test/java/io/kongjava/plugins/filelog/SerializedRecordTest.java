package io.kongjava.plugins.filelog;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The spliced line says exactly what the tree-built line says, for every shape of record Kong can send. */
class SerializedRecordTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final FileLogConfig CONFIG = new FileLogConfig("/tmp/x.log", false, Map.of(), Map.of(), "0644", 0);
    private static final Map<String, Object> AI = Map.of(
            "proxy", Map.of("usage", Map.of("prompt_tokens", 17, "completion_tokens", 7), "meta", Map.of("request_model", "m")),
            "redact_headers", List.of("X-Api-Key"), "drop_headers", List.of("X-Drop-Me"));

    /** The how-to's relay block: no filter log field to set by path (an empty map, as the relay sends it, or none). */
    private static final Map<String, Object> RELAY = Map.of("outcome", "complete", "filters", List.of("java-ai-proxy"), "status", 200, "fields", Map.of());
    private static final Map<String, Object> RELAY_NO_FIELDS = Map.of("outcome", "complete", "status", 200);

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"request\":{\"id\":\"r1\",\"headers\":{\"host\":\"h\",\"authorization\":\"Bearer a\",\"x-api-key\":\"k\",\"accept\":\"*/*\"}},\"status\":200}",
            "{\"request\":{\"headers\":{\"authorization\":\"Bearer a\"},\"id\":\"r1\"}}",
            "{\"request\":{\"headers\":{\"x-kong-java-relay-ticket\":\"t\",\"x-drop-me\":\"d\",\"host\":\"h\",\"x-drop-me2\":\"e\"}}}",
            "{\"request\":{\"headers\":{\"host\":\"h\",\"x-kong-java-relay-ticket\":\"t\"}}}",
            "{\"request\":{\"headers\":{\"proxy-authorization\":[\"a\",\"b\"],\"x-multi\":[\"1\",\"2\"]}},\"tries\":[{\"ip\":\"1.2.3.4\"}]}",
            "{ \"request\" : { \"headers\" : { \"authorization\" : \"a\" , \"x\" : { \"nested\" : [1, 2] } } } , \"n\" : 1.5e3 }",
            "{\"request\":{\"headers\":{}},\"x\":\"\\\"authorization\\\":\\\"not a header\\\"\"}",
            "{\"request\":{\"querystring\":{\"authorization\":\"stays\"},\"headers\":{\"x-api-key\":\"k\"}}}",
            "{\"response\":{\"headers\":{\"authorization\":\"response headers are not redacted\"}}}",
            "{\"route\":null,\"request\":{\"uri\":\"/\\u00e9\\ud83d\\ude00\",\"headers\":{\"user-agent\":\"caf\\u00e9 \\\\ \\/\"}}}",
            "{}",
    })
    void theSplicedLineEqualsTheTreeBuiltLine(String serialized) throws Exception {
        for (Map<?, ?> ai : new Map<?, ?>[] {null, AI}) {
            String spliced = FileLogPlugin.splice(SerializedRecord.scan(serialized).orElseThrow(), ai);
            String built = FileLogPlugin.line((ObjectNode) JSON.readTree(serialized), ai, CONFIG);

            assertThat(spliced).endsWith("\n").doesNotContain("\r").hasLineCount(1);
            assertThat(JSON.readTree(spliced)).as("spliced %s", spliced).isEqualTo(JSON.readTree(built));

            for (Map<?, ?> relay : new Map<?, ?>[] {RELAY, RELAY_NO_FIELDS}) {
                String splicedWithRelay = FileLogPlugin.splice(SerializedRecord.scan(serialized).orElseThrow(), ai, relay);
                String builtWithRelay = FileLogPlugin.line((ObjectNode) JSON.readTree(serialized), ai, relay, CONFIG);
                assertThat(splicedWithRelay).endsWith("\n").hasLineCount(1);
                assertThat(JSON.readTree(splicedWithRelay)).as("spliced %s", splicedWithRelay).isEqualTo(JSON.readTree(builtWithRelay));
                // the same members in the same order, as a reader of the file sees them
                assertThat(names(splicedWithRelay)).isEqualTo(names(builtWithRelay));
            }
        }
    }

    private static List<String> names(String line) throws Exception {
        List<String> names = new java.util.ArrayList<>();
        JSON.readTree(line).fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void aRecordThatAlreadyHasARelayMemberIsBuiltAsATree() {
        assertThat(SerializedRecord.scan("{\"relay\":{\"x\":1},\"request\":{}}")).isEmpty();
    }

    @Test
    void theRequestIdIsFoundWhereverItStands() {
        assertThat(SerializedRecord.scan("{\"a\":[{\"id\":\"no\"}],\"request\":{\"x\":{\"id\":\"no\"},\"id\":\"yes\"}}").orElseThrow().requestId())
                .isEqualTo("yes");
        assertThat(SerializedRecord.scan("{\"request\":{}}").orElseThrow().requestId()).isEmpty();
    }

    @Test
    void recordsThatNeedATreeAreLeftToTheTree() {
        // an ai member of Kong's own must be merged with java-ai-proxy's; text over several lines must become one
        assertThat(SerializedRecord.scan("{\"ai\":{\"x\":1},\"request\":{}}")).isEmpty();
        assertThat(SerializedRecord.scan("{\n\"request\":{}\n}")).isEmpty();
        assertThat(SerializedRecord.scan("[1,2]")).isEmpty();
        assertThat(SerializedRecord.scan("{\"a\":1")).isEmpty();
        assertThat(SerializedRecord.scan("{\"a\":1} {\"b\":2}")).isEmpty();
        assertThat(SerializedRecord.scan("not json")).isEmpty();
    }

    @Test
    void droppedHeadersLeaveNoTraceAndTheObjectStaysValid() throws Exception {
        String serialized = "{\"request\":{\"headers\":{\"a\":\"1\",\"ticket\":\"t\",\"b\":\"2\",\"last\":\"x\"}}}";
        SerializedRecord record = SerializedRecord.scan(serialized).orElseThrow();

        JsonNode line = JSON.readTree(record.line(Set.of(), Set.of("ticket", "last"), null));

        assertThat(line.path("request").path("headers")).isEqualTo(JSON.readTree("{\"a\":\"1\",\"b\":\"2\"}"));
        assertThat(record.line(Set.of(), Set.of("ticket", "last"), null)).doesNotContain("ticket").doesNotContain("\"t\"");
    }
}
