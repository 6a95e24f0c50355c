package io.kongjava.plugins.filelog;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
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
            "{\"request\":{\"headers\":{\"user-agent\":\"café ☕ 😀\",\"authorization\":\"ünïcode\"},\"id\":\"ré\"},\"ü\":[true,false,null,-0.5E+2,0,{}]}",
            " {\"request\":{},\"a\":[]}\t",
    })
    void theSplicedLineEqualsTheTreeBuiltLine(String serialized) throws Exception {
        for (Map<?, ?> ai : new Map<?, ?>[] {null, AI}) {
            String spliced = text(FileLogPlugin.splice(SerializedRecord.scan(serialized).orElseThrow(), ai));
            String built = FileLogPlugin.line((ObjectNode) JSON.readTree(serialized), ai, CONFIG);

            assertThat(spliced).endsWith("\n").doesNotContain("\r").hasLineCount(1);
            assertThat(JSON.readTree(spliced)).as("spliced %s", spliced).isEqualTo(JSON.readTree(built));

            for (Map<?, ?> relay : new Map<?, ?>[] {RELAY, RELAY_NO_FIELDS}) {
                String splicedWithRelay = text(FileLogPlugin.splice(SerializedRecord.scan(serialized).orElseThrow(), ai, relay));
                String builtWithRelay = FileLogPlugin.line((ObjectNode) JSON.readTree(serialized), ai, relay, CONFIG);
                assertThat(splicedWithRelay).endsWith("\n").hasLineCount(1);
                assertThat(JSON.readTree(splicedWithRelay)).as("spliced %s", splicedWithRelay).isEqualTo(JSON.readTree(builtWithRelay));
                // the same members in the same order, as a reader of the file sees them
                assertThat(names(splicedWithRelay)).isEqualTo(names(builtWithRelay));
            }
        }
    }

    private static String text(byte[] line) {
        return new String(line, StandardCharsets.UTF_8);
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
        // a header name or request id written with escapes is compared as Jackson decodes it
        assertThat(SerializedRecord.scan("{\"request\":{\"headers\":{\"\\u0061uthorization\":\"a\"}}}")).isEmpty();
        assertThat(SerializedRecord.scan("{\"request\":{\"id\":\"a\\/b\"}}")).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"a\":01}", "{\"a\":tru}", "{\"a\":nul}", "{\"a\":-}", "{\"a\":1.}", "{\"a\":1e}", "{\"a\":.5}",
            "{\"a\":[1,]}", "{\"a\":1,}", "{\"a\" 1}", "{\"a\":\"\\q\"}", "{\"a\":\"\\u12G4\"}", "{\"a\":\"x",
            "{\"a\":\"tab\there\"}", "{\"a\":{\"b\":1]}", "{\"a\":[1}", "{a:1}", "{\"a\":1}}", "{\"a\":'x'}", "",
    })
    void textThatIsNotJsonIsLeftToJacksonToReport(String malformed) {
        assertThat(SerializedRecord.scan(malformed)).as(malformed).isEmpty();
    }

    /**
     * Kong's record with one character deleted, doubled or replaced, a few thousand times: whenever the scan
     * takes the text, Jackson reads it as the same object and the spliced line says what the tree-built one does.
     */
    @Test
    void theScanTakesNothingJacksonWouldRefuse() throws Exception {
        String record;
        try (var sample = FileLogPlugin.class.getResourceAsStream("warm-up-record.json")) {
            record = new String(sample.readAllBytes(), StandardCharsets.UTF_8).trim().replace("\"ai\":", "\"a1\":");
        }
        String alphabet = "{}[]\":,\\ \n0123456789.eE+-tfnulx/";
        Random random = new Random(16);
        int taken = 0;
        for (int i = 0; i < 3000; i++) {
            int at = random.nextInt(record.length());
            char c = alphabet.charAt(random.nextInt(alphabet.length()));
            String mutated = switch (i % 3) {
                case 0 -> record.substring(0, at) + record.substring(at + 1);
                case 1 -> record.substring(0, at) + c + record.substring(at);
                default -> record.substring(0, at) + c + record.substring(at + 1);
            };
            var scanned = SerializedRecord.scan(mutated);
            JsonNode tree;
            try {
                tree = JSON.readTree(mutated);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                assertThat(scanned).as("Jackson refuses %s", mutated).isEmpty();
                continue;
            }
            if (scanned.isPresent()) {
                taken++;
                assertThat(tree).as(mutated).isInstanceOf(ObjectNode.class);
                String spliced = text(FileLogPlugin.splice(scanned.get(), AI));
                assertThat(JSON.readTree(spliced)).as(mutated).isEqualTo(JSON.readTree(FileLogPlugin.line((ObjectNode) tree, AI, CONFIG)));
            }
        }
        assertThat(taken).as("mutations that leave valid JSON are still taken").isGreaterThan(300);
    }

    @Test
    void droppedHeadersLeaveNoTraceAndTheObjectStaysValid() throws Exception {
        String serialized = "{\"request\":{\"headers\":{\"a\":\"1\",\"ticket\":\"t\",\"b\":\"2\",\"last\":\"x\"}}}";
        SerializedRecord record = SerializedRecord.scan(serialized).orElseThrow();

        JsonNode line = JSON.readTree(record.line(Set.of(), Set.of("ticket", "last"), null));

        assertThat(line.path("request").path("headers")).isEqualTo(JSON.readTree("{\"a\":\"1\",\"b\":\"2\"}"));
        assertThat(text(record.line(Set.of(), Set.of("ticket", "last"), null))).doesNotContain("ticket").doesNotContain("\"t\"");
    }
}
