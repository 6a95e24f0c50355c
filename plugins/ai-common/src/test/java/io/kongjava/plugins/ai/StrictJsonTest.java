package io.kongjava.plugins.ai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.List;
import java.util.Set;
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

    @Test
    void aScanKeepsTheAskedTopLevelMembersAndWhereTheirValuesAre() throws Exception {
        String body = "{\"model\": \"claude\", \"stream\":true, \"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                + " \"tools\":[{\"model\":\"not top-level\"}], \"max_tokens\": 1024}";
        StrictJson.Scan scan = StrictJson.scan(bytes(body), Set.of("model", "stream", "messages", "max_tokens", "prompt"));

        assertThat(scan.object()).isTrue();
        assertThat(scan.memberCount()).isEqualTo(5);
        assertThat(scan.member("model").text()).isEqualTo("claude");
        assertThat(body.substring(scan.member("model").start(), scan.member("model").end())).isEqualTo("\"claude\"");
        assertThat(scan.member("stream").kind()).isEqualTo(JsonToken.VALUE_TRUE);
        assertThat(body.substring(scan.member("stream").start(), scan.member("stream").end())).isEqualTo("true");
        assertThat(scan.member("messages").kind()).isEqualTo(JsonToken.START_ARRAY);
        assertThat(scan.member("messages").empty()).isFalse();
        assertThat(scan.member("max_tokens").text()).isEqualTo("1024");
        assertThat(scan.member("prompt")).isNull();
        assertThat(StrictJson.scan(bytes("{\"messages\":[ ]}"), Set.of("messages")).member("messages").empty()).isTrue();
        assertThat(StrictJson.scan(bytes("[{\"model\":\"x\"}]"), Set.of("model")).object()).isFalse();
    }

    @Test
    void aScanRefusesWhatReadRefuses() {
        assertThatThrownBy(() -> StrictJson.scan(bytes("{\"model\":\"other\",\"model\":\"pinned\"}"), Set.of("model")))
                .isInstanceOfSatisfying(StrictJson.DuplicateKeyException.class, e -> assertThat(e.key()).isEqualTo("model"));
        assertThatThrownBy(() -> StrictJson.scan(bytes("{\"messages\":[{\"role\":\"user\",\"role\":\"assistant\"}]}"), Set.of("messages")))
                .isInstanceOfSatisfying(StrictJson.DuplicateKeyException.class, e -> assertThat(e.key()).isEqualTo("role"));
        assertThatThrownBy(() -> StrictJson.scan(bytes("{\"tools\":[{\"a\":{\"b\":1,\"b\":2}}]}"), Set.of("model")))
                .isInstanceOfSatisfying(StrictJson.DuplicateKeyException.class, e -> assertThat(e.key()).isEqualTo("b"));
        for (String broken : List.of("{\"a\":1} {\"a\":2}", "{\"a\":", "{\"model\":\"x", "", "   ", "{\"messages\":[1,2", "nul", "{\"a\":1}x")) {
            assertThatThrownBy(() -> StrictJson.scan(bytes(broken), Set.of("model", "messages"))).as(broken)
                    .isInstanceOf(IOException.class).isNotInstanceOf(StrictJson.DuplicateKeyException.class);
        }
        for (String broken : List.of("{\"a\":1} {\"a\":2}", "{\"a\":", "{\"model\":\"x", "{\"messages\":[1,2", "nul", "{\"a\":1}x")) {
            assertThatThrownBy(() -> StrictJson.read(bytes(broken))).as(broken).isInstanceOf(IOException.class);
        }
        byte[] utf16 = "{\"model\":\"x\"}".getBytes(StandardCharsets.UTF_16BE);
        assertThatThrownBy(() -> StrictJson.scan(utf16, Set.of("model"))).isInstanceOf(IOException.class);
    }

    @Test
    void aMemberIsSetByReplacingItsValueOrAddingItFirstAndEveryOtherByteStays() throws Exception {
        Set<String> model = Set.of("model");
        String missing = "{ \"messages\" : [ {\"role\":\"user\",\"content\":\"caf\u00e9 \\u00e9\"} ] }";
        assertThat(set(missing, model)).isEqualTo("{\"model\":\"claude-\\\"pinned\\\"\", \"messages\" : [ {\"role\":\"user\",\"content\":\"caf\u00e9 \\u00e9\"} ] }");
        assertThat(set("{}", model)).isEqualTo("{\"model\":\"claude-\\\"pinned\\\"\"}");
        assertThat(set("{\"model\":null,\"x\":1}", model)).isEqualTo("{\"model\":\"claude-\\\"pinned\\\"\",\"x\":1}");
        assertThat(set("{\"x\":1,\"model\" :  \"\" }", model)).isEqualTo("{\"x\":1,\"model\" :  \"claude-\\\"pinned\\\"\" }");
        assertThat(set("{\"model\":\"caf\u00e9\\\"\",\"x\":false}", model)).isEqualTo("{\"model\":\"claude-\\\"pinned\\\"\",\"x\":false}");
        for (String body : List.of("{}", "{\"model\":null,\"x\":1}", "{\"x\":1,\"model\" :  \"\" }", missing)) {
            assertThat(StrictJson.read(bytes(set(body, model))).path("model").asText()).isEqualTo("claude-\"pinned\"");
        }
        assertThatThrownBy(() -> set("{\"model\":12}", model)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> set("[1]", model)).isInstanceOf(IllegalArgumentException.class);
    }

    private static String set(String body, Set<String> names) throws IOException {
        byte[] bytes = bytes(body);
        return new String(StrictJson.withMember(bytes, StrictJson.scan(bytes, names), "model", "claude-\"pinned\""), StandardCharsets.UTF_8);
    }
}
