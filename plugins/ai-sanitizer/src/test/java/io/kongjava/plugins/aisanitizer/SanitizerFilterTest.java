package io.kongjava.plugins.aisanitizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kongjava.pdk.InvalidConfigException;
import io.kongjava.pdk.testkit.FilterTester;
import io.kongjava.pdk.testkit.PluginTester;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The sanitizer's filter driven by the test kit, as the relay would drive it, without Kong. */
class SanitizerFilterTest {

    static final Map<String, List<String>> SSE = Map.of("content-type", List.of("text/event-stream"));
    static final SanitizerConfig DEFAULTS = new SanitizerConfig(List.of("secrets", "emails"), List.of(), "[REDACTED]", 64);

    static SanitizerFilter filter(SanitizerConfig config) {
        return new SanitizerFilter(Redactor.of(config));
    }

    static String delta(int index, String text) {
        return "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":" + index
                + ",\"delta\":{\"type\":\"text_delta\",\"text\":" + JsonText.encode(text) + "}}\n\n";
    }

    static final String START = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m1\"}}\n\n"
            + "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n";
    static final String STOP = "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
            + "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

    /** The text the client sees: every text delta's text, in order; and each event must be whole and typed. */
    static String clientText(String sse) {
        StringBuilder text = new StringBuilder();
        for (String event : sse.split("\n\n")) {
            assertThat(event).containsPattern("(?m)^data: \\{\"type\":\"");
            Matcher data = Pattern.compile("(?m)^data: (.*)$").matcher(event);
            assertThat(data.find()).isTrue();
            if (data.group(1).contains("\"text_delta\"")) {
                text.append(JsonText.firstValue(data.group(1), "text"));
            }
        }
        return text.toString();
    }

    @Test
    void anEmailSplitAcrossTwoDeltasIsStillRedacted() throws Exception {
        FilterTester tester = FilterTester.of(filter(DEFAULTS)).headers(200, SSE);
        tester.chunk(START);
        tester.chunk(delta(0, "write to jo"));
        tester.chunk(delta(0, "hn.doe@exam"));
        tester.chunk(delta(0, "ple.com today"));
        tester.chunk(STOP);
        tester.end();

        String text = clientText(tester.output());
        assertThat(text).isEqualTo("write to [REDACTED] today").doesNotContain("john");
        assertThat(tester.logFields()).containsEntry("ai.sanitizer.redactions", 1);
        assertThat(tester.output()).endsWith(STOP);
    }

    @Test
    void anEventSplitAcrossChunksWaitsForItsEndAndTextFarFromAnyMatchFlowsAtOnce() throws Exception {
        FilterTester tester = FilterTester.of(filter(DEFAULTS)).headers(200, SSE);
        assertThat(tester.chunk(START)).isEqualTo(START);
        String event = delta(0, "x".repeat(100) + " and a key sk-ant-api03-");
        assertThat(tester.chunk(event.substring(0, 40))).isEmpty();
        String out = tester.chunk(event.substring(40));
        // The first 100-odd characters cannot become part of a 64-character match any more: they are sent.
        assertThat(clientText(out)).startsWith("x".repeat(60)).doesNotContain("sk-ant");
        tester.chunk(delta(0, "abcdefghijklmnopqrstuvwxyz0123456789 done"));
        tester.chunk(STOP);
        tester.end();
        assertThat(clientText(tester.output())).isEqualTo("x".repeat(100) + " and a key [REDACTED] done");
    }

    @Test
    void eachContentBlockHoldsItsOwnTail() throws Exception {
        FilterTester tester = FilterTester.of(filter(DEFAULTS)).headers(200, SSE);
        tester.chunk(delta(0, "ann@exa"));
        tester.chunk(delta(1, "bob@exa"));
        tester.chunk(delta(0, "mple.com"));
        tester.chunk("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n");
        tester.chunk(delta(1, "mple.org"));
        tester.chunk("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
        tester.end();
        assertThat(tester.output()).doesNotContain("ann@").doesNotContain("bob@").doesNotContain("example");
        assertThat(tester.logFields()).containsEntry("ai.sanitizer.redactions", 2);
    }

    @Test
    void aWholeAnswerIsRedactedInEveryTextValueAndNothingElse() throws Exception {
        FilterTester tester = FilterTester.of(filter(new SanitizerConfig(List.of("secrets"), List.of("ticket-\\d{4}"), "***", 64)))
                .headers(200, Map.of("content-type", List.of("application/json")));
        String body = "{\"id\":\"msg_1\",\"content\":[{\"type\":\"text\",\"text\":\"key AKIAABCDEFGHIJKLMNOP for \\\"ticket-1234\\\"\"}],"
                + "\"model\":\"ticket-1234\"}";
        assertThat(tester.chunk(body.substring(0, 30))).isEmpty();
        assertThat(tester.chunk(body.substring(30))).isEmpty();
        assertThat(tester.end()).isEqualTo("{\"id\":\"msg_1\",\"content\":[{\"type\":\"text\",\"text\":\"key *** for \\\"***\\\"\"}],"
                + "\"model\":\"ticket-1234\"}");
        assertThat(tester.logFields()).containsEntry("ai.sanitizer.redactions", 2);
    }

    @Test
    void thePluginsConfiguredFilterAsAnAuthorTestsIt() throws Exception {
        FilterTester tester = PluginTester.of(new SanitizerPlugin()).configJson("{\"builtins\":[],\"patterns\":[\"ticket-\\\\d+\"]}")
                .responseFilter(io.kongjava.pdk.testkit.TestRequest.post("http://localhost:8000/v1/messages", "{}")).orElseThrow();
        tester.headers(200, SSE);
        tester.chunk(delta(0, "see ticket-12"));
        tester.chunk(delta(0, "34 and mail a@example.com"));
        tester.chunk(STOP);
        tester.end();
        assertThat(clientText(tester.output())).isEqualTo("see [REDACTED] and mail a@example.com");
    }

    static final String KEY = "sk-ant-api03-" + "k".repeat(40);

    static String event(String type, String json) {
        return "event: " + type + "\ndata: " + json + "\n\n";
    }

    @Test
    void answersThatAreNoJsonAreRedactedAsTextAndErrorsAndUntypedAnswersToo() throws Exception {
        FilterTester plain = FilterTester.of(filter(DEFAULTS)).headers(200, Map.of("content-type", List.of("text/plain")));
        plain.chunk("mail a@example.com");
        assertThat(plain.end()).isEqualTo("mail [REDACTED]");

        FilterTester error = FilterTester.of(filter(DEFAULTS)).headers(400, Map.of("content-type", List.of("application/json")));
        error.chunk("{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"bad key " + KEY + "\"}}");
        assertThat(error.end()).doesNotContain(KEY).contains("bad key [REDACTED]").contains("\"invalid_request_error\"");

        FilterTester untyped = FilterTester.of(filter(DEFAULTS)).headers(200, Map.of());
        untyped.chunk("{\"content\":[{\"type\":\"text\",\"text\":\"" + KEY + "\"}]}");
        assertThat(untyped.end()).doesNotContain(KEY);
    }

    @Test
    void aWholeAnswersToolInputAndThinkingAreRedactedToo() throws Exception {
        FilterTester tester = FilterTester.of(filter(DEFAULTS)).headers(200, Map.of("content-type", List.of("application/json")));
        tester.chunk("{\"id\":\"msg_1\",\"content\":[{\"type\":\"thinking\",\"thinking\":\"the key is " + KEY + "\",\"signature\":\"c2ln\"},"
                + "{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"Bash\",\"input\":{\"command\":\"curl -H 'x-api-key: " + KEY + "' x\"}}]}");
        String out = tester.end();
        assertThat(out).doesNotContain(KEY).contains("\"signature\":\"c2ln\"").contains("\"name\":\"Bash\"").contains("\"id\":\"toolu_1\"");
        assertThat(tester.logFields()).containsEntry("ai.sanitizer.redactions", 2);
    }

    @Test
    void aStreamedToolInputSplitAcrossDeltasIsRedactedAndStaysValidJson() throws Exception {
        SanitizerConfig quoting = new SanitizerConfig(List.of("secrets"), List.of(), "<\"gone\">", 64);
        FilterTester tester = FilterTester.of(filter(quoting)).headers(200, SSE);
        tester.chunk(event("content_block_start", "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":"
                + "{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"Bash\",\"input\":{}}}"));
        String[] parts = {"{\"command\": \"echo ", KEY.substring(0, 20), KEY.substring(20), " done\"}"};
        for (String part : parts) {
            tester.chunk(event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":"
                    + "{\"type\":\"input_json_delta\",\"partial_json\":" + JsonText.encode(part) + "}}"));
        }
        tester.chunk(event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":1}"));
        tester.end();
        StringBuilder input = new StringBuilder();
        Matcher partial = Pattern.compile("\"partial_json\":(\"(?:[^\"\\\\]|\\\\.)*\")").matcher(tester.output());
        while (partial.find()) {
            input.append(JsonText.decode(partial.group(1)));
        }
        assertThat(input.toString()).isEqualTo("{\"command\": \"echo <\\\"gone\\\"> done\"}");
        assertThat(tester.output()).doesNotContain(KEY.substring(13));
    }

    @Test
    void aToolInputsNameOrIdIsContentNotStructure() throws Exception {
        FilterTester tester = FilterTester.of(filter(DEFAULTS)).headers(200, Map.of("content-type", List.of("application/json")));
        tester.chunk("{\"id\":\"msg_1\",\"content\":[{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"Write\",\"input\":"
                + "{\"name\":\"" + KEY + "\",\"data\":{\"id\":[\"" + KEY + "\"]},\"type\":\"" + KEY + "\"}}]}");
        String out = tester.end();

        assertThat(out).doesNotContain(KEY).contains("\"name\":\"Write\"").contains("\"id\":\"toolu_1\"").contains("\"id\":\"msg_1\"");
        assertThat(tester.logFields()).containsEntry("ai.sanitizer.redactions", 3);
    }

    @Test
    void aStreamedToolInputCannotHideAKeyBehindJsonEscapes() throws Exception {
        FilterTester tester = FilterTester.of(filter(DEFAULTS)).headers(200, SSE);
        tester.chunk(event("content_block_start", "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":"
                + "{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"Bash\",\"input\":{}}}"));
        String escaped = KEY.replace("-", "\\u002d");
        String[] parts = {"{\"cmd\": \"echo ", escaped.substring(0, 9), escaped.substring(9), "\"}"};
        for (String part : parts) {
            tester.chunk(event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":"
                    + "{\"type\":\"input_json_delta\",\"partial_json\":" + JsonText.encode(part) + "}}"));
        }
        tester.chunk(event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":1}"));
        tester.end();
        StringBuilder input = new StringBuilder();
        Matcher partial = Pattern.compile("\"partial_json\":(\"(?:[^\"\\\\]|\\\\.)*\")").matcher(tester.output());
        while (partial.find()) {
            input.append(JsonText.decode(partial.group(1)));
        }
        // what the client's JSON parser makes of the tool's input
        assertThat(JsonText.decode(input.toString().replaceAll("^\\{\"cmd\": |\\}$", ""))).doesNotContain(KEY).contains("[REDACTED]");
    }

    @Test
    void aStreamedToolInputsEscapedBackslashesReachTheClientAsTheyCameWhereverTheHeldTailIsCut() throws Exception {
        // a tool writing a file whose text holds \u00e9 and \/ literally: in the input's JSON text, \\u00e9 and \\/
        for (int tail = 50; tail < 80; tail++) { // moves the held tail's start across the escapes
            FilterTester tester = FilterTester.of(filter(DEFAULTS)).headers(200, SSE);
            tester.chunk(event("content_block_start", "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":"
                    + "{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"Write\",\"input\":{}}}"));
            String[] parts = {"{\"content\": \"" + "y".repeat(100) + "x\\\\u00e9 a\\\\/b \\u00e9" + "z".repeat(tail), "more", "\"}"};
            for (String part : parts) {
                tester.chunk(event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":"
                        + "{\"type\":\"input_json_delta\",\"partial_json\":" + JsonText.encode(part) + "}}"));
            }
            tester.chunk(event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":1}"));
            tester.end();
            StringBuilder input = new StringBuilder();
            Matcher partial = Pattern.compile("\"partial_json\":(\"(?:[^\"\\\\]|\\\\.)*\")").matcher(tester.output());
            while (partial.find()) {
                input.append(JsonText.decode(partial.group(1)));
            }
            String sent = String.join("", parts);
            // the client parses the same string value (the plain \u00e9 may arrive as é: the same JSON)
            assertThat(JsonText.decode(input.toString().replaceAll("^\\{\"content\": |\\}$", "")))
                    .as("tail %d", tail).isEqualTo(JsonText.decode(sent.replaceAll("^\\{\"content\": |\\}$", "")));
        }
    }

    @Test
    void streamedThinkingIsRedactedInThinkingDeltas() throws Exception {
        FilterTester tester = FilterTester.of(filter(DEFAULTS)).headers(200, SSE);
        tester.chunk(event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
                + "{\"type\":\"thinking_delta\",\"thinking\":\"I read " + KEY + " from .env\"}}"));
        tester.chunk(event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}"));
        tester.end();
        assertThat(tester.output()).doesNotContain(KEY).contains("\"thinking_delta\"").contains("[REDACTED] from .env");
    }

    @Test
    void aStreamThatBreaksOffMidEventStillSendsWhatWasHeldAndDoesNotFail() throws Exception {
        FilterTester tester = FilterTester.of(filter(DEFAULTS)).headers(200, SSE);
        tester.chunk(START);
        tester.chunk(delta(0, "hi there"));
        tester.chunk("event: content_block_delta\ndata: {\"type\":\"content_blo");
        tester.end();
        assertThat(clientText(tester.output().substring(0, tester.output().lastIndexOf("\n\n") + 2))).isEqualTo("hi there");
    }

    @Test
    void whatTheFilterCannotReadIsRefusedNotPassed() throws Exception {
        FilterTester compressed = FilterTester.of(filter(DEFAULTS))
                .headers(200, Map.of("content-type", List.of("application/json"), "content-encoding", List.of("br")));
        assertThatThrownBy(() -> compressed.chunk("\u008b\u0002")).hasMessageContaining("content-encoding br");

        FilterTester endless = FilterTester.of(filter(DEFAULTS)).headers(200, SSE);
        endless.chunk("data: ");
        String mib = "x".repeat(1 << 20);
        assertThatThrownBy(() -> {
            for (int i = 0; i < 5; i++) {
                endless.chunk(mib);
            }
        }).hasMessageContaining("SSE event longer than 4 MiB");
    }

    @Test
    void aBadRegexIsAKongStyleConfigError() {
        assertThatThrownBy(() -> PluginTester.of(new SanitizerPlugin()).configJson("{\"patterns\":[\"ok-\\\\d+\",\"(unclosed\"]}"))
                .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.errors())
                        .containsOnlyKeys("patterns.2").hasEntrySatisfying("patterns.2", m -> assertThat(m).startsWith("invalid regex: ")));
        assertThatThrownBy(() -> PluginTester.of(new SanitizerPlugin()).configJson("{\"builtins\":[\"secrets\",\"phones\"]}"))
                .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.errors())
                        .containsEntry("builtins.2", "expected one of: emails, secrets"));
    }

    @Test
    void theDefaultsRedactSecretsAndEmails() throws Exception {
        var tester = PluginTester.of(new SanitizerPlugin()).configJson("{}");
        assertThat(tester.descriptor().phases()).extracting(Enum::name).contains("ACCESS");
        List<String> samples = new ArrayList<>(List.of("sk-ant-api03-" + "a".repeat(30), "ghp_" + "b".repeat(36), "AKIA" + "C".repeat(16),
                "Bearer " + "d".repeat(30), "-----BEGIN RSA PRIVATE KEY-----", "first.last+tag@sub.example.co.uk"));
        Redactor redactor = Redactor.of(new SanitizerConfig(List.of("secrets", "emails"), List.of(), "#", 256));
        for (String sample : samples) {
            assertThat(redactor.redact("x " + sample + " y").text()).as(sample).isEqualTo("x # y");
        }
    }

    @Test
    void aWholeAnswerTakesRoomInTheServersBodyBudgetAndFailsWhenNoneComes() throws Exception {
        io.kongjava.plugins.ai.BodyBudget budget = new io.kongjava.plugins.ai.BodyBudget(1 << 20);
        Map<String, List<String>> json = Map.of("content-type", List.of("application/json"));
        String big = "{\"content\":[{\"type\":\"text\",\"text\":\"" + "y".repeat(600_000) + "\"}]}";

        try (var others = budget.reserve(700_000, java.time.Duration.ZERO).orElseThrow()) {
            FilterTester refused = FilterTester.of(new SanitizerFilter(Redactor.of(DEFAULTS), budget)).headers(200, json);
            assertThatThrownBy(() -> refused.chunk(big)).hasMessageContaining("found no room");
        }
        FilterTester fits = FilterTester.of(new SanitizerFilter(Redactor.of(DEFAULTS), budget)).headers(200, json);
        fits.chunk(big);
        assertThat(budget.availableBytes()).as("held while the answer is read").isLessThan(1 << 20);
        assertThat(fits.end()).contains("yyyy");
        assertThat(budget.availableBytes()).as("given back when the exchange ends").isEqualTo(1 << 20);
    }

    @Test
    void aLongRunOfLettersIsScannedInLinearTimeAndAnEmailInItStillFound() throws Exception {
        // the unbounded e-mail pattern scanned to the end of the run from every position: minutes for 600 KB
        String run = "y".repeat(600_000);
        long start = System.nanoTime();
        Redactor.Redacted plain = Redactor.of(DEFAULTS).redact(run);
        assertThat(plain.count()).isZero();
        assertThat(java.time.Duration.ofNanos(System.nanoTime() - start)).as("linear, not quadratic").isLessThan(java.time.Duration.ofSeconds(20));

        assertThat(Redactor.of(DEFAULTS).redact(run + " mail john.doe@example.com now").text()).endsWith(" mail [REDACTED] now");
    }

    @Test
    void anOperatorsPatternThatBacktracksWithoutBoundFailsTheFilterInsteadOfHoldingTheThread() throws Exception {
        SanitizerConfig catastrophic = new SanitizerConfig(List.of(), List.of("(.*a){12}b"), "[REDACTED]", 64);
        Map<String, List<String>> json = Map.of("content-type", List.of("application/json"));
        FilterTester tester = FilterTester.of(filter(catastrophic)).headers(200, json);
        tester.chunk("{\"content\":[{\"type\":\"text\",\"text\":\"" + "a".repeat(40) + "c\"}]}");

        assertThatThrownBy(tester::end).isInstanceOf(java.io.IOException.class).hasMessageContaining("took too many steps");
    }
}
