package io.kongjava.plugins.aiproxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.kongjava.pdk.exchange.ProcessRequestExchange;
import io.kongjava.pdk.testkit.PluginTester;
import io.kongjava.pdk.testkit.TestRequest;
import io.kongjava.pdk.testkit.TestRun;
import io.kongjava.relay.ResponseRelay;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The access phase's PDK calls, pinned. Each call is a MessagePack round trip to Kong, made in sequence (about 65 us
 * on the benchmark VM, bench/README.md), so a call added here is latency on every AI request: this test fails until
 * the new sequence is written down on purpose. {@code kong.plugin.get_id} is listed because the emulator records it,
 * but the plugin server answers it from the instance's {@code __plugin_id} without asking Kong.
 */
class AccessPhaseCallsTest {

    static final String KEY = "sk-ant-pinned-calls";
    /** The how-to's plugin config (kong-config/kong.yaml) with its vault references resolved. */
    static final String HOW_TO = """
            {"route_type":"llm/v1/chat","llm_format":"anthropic","max_request_body_size":524288,
             "auth":{"header_name":"x-api-key","header_value":"%s"},
             "model":{"provider":"anthropic","name":"claude-opus-5-5",
                      "options":{"anthropic_version":"2023-06-01","input_cost":4.0,"output_cost":20.0}},
             "logging":{"log_statistics":true,"log_payloads":false}}""".formatted(KEY);
    /** kong-config/kong.yaml's Service: the placeholder no one answers, plain http. */
    static final Map<String, Object> HOW_TO_SERVICE = Map.of("name", "anthropic", "protocol", "http",
            "host", "java-ai-proxy-placeholder.invalid", "port", 80, "read_timeout", 600000);
    static final String MESSAGE = "{\"model\":\"claude-opus-5-5\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    final ProcessRequestExchange exchange = new ProcessRequestExchange(Duration.ofSeconds(5), Duration.ofSeconds(5), System::nanoTime);

    TestRun run(String config, String path, String body) throws Exception {
        TestRequest request = TestRequest.post("http://localhost:8000" + path, body)
                .header("content-type", "application/json")
                .header("content-length", String.valueOf(body.length()))
                .header("x-api-key", "sk-dummy")
                .header("anthropic-version", "2023-06-01")
                .requestId("calls-" + System.nanoTime())
                .service(HOW_TO_SERVICE);
        TestRun run = PluginTester.of(new AiProxyPlugin()).configJson(config).exchange(exchange).run(request);
        assertThat(run.failures()).isEmpty();
        assertThat(run.exit()).as("the request was accepted").isEmpty();
        return run;
    }

    /** The calls with the relay's port and ticket (different every run) replaced by placeholders. */
    static List<String> calls(TestRun run) {
        return run.pdkCalls().stream()
                .map(call -> call.replaceFirst("^(kong\\.service\\.set_target\\[127\\.0\\.0\\.1, )\\d+]$", "$1PORT]")
                        .replaceFirst("^(kong\\.service\\.request\\.set_header\\[" + ResponseRelay.TICKET_HEADER + ", ).+]$", "$1TICKET]"))
                .toList();
    }

    static long roundTrips(TestRun run) {
        return run.pdkCalls().stream().filter(call -> !call.startsWith("kong.plugin.get_id[")).count();
    }

    @Test
    void theHowTosRequestTakesSevenRoundTripsThreeOfThemJoiningTheRelay() throws Exception {
        TestRun run = run(HOW_TO, "/anything/v1/messages", MESSAGE);

        assertThat(calls(run)).containsExactly(
                // the plugin: the id its log block is published under, then what it checks
                "kong.nginx.get_var[kong_request_id]",
                "kong.plugin.get_id[]",
                "kong.request.get_path[]",                      // which endpoint: /v1/messages or count_tokens, else 404
                "kong.request.get_header[content-length]",      // a declared body over the limit is refused unread; a large one
                                                                // waits for room in the server's body budget first
                "kong.request.get_raw_body[0]",                 // the pin, the JSON rules, a chunked body's size
                // the relay (relay module): the request id is the one read above (the PDK keeps it for the event);
                // the Service's URL and timeouts, then point Kong at the relay
                "kong.router.get_service[]",
                "kong.service.set_target[127.0.0.1, PORT]",
                "kong.service.request.set_header[" + ResponseRelay.TICKET_HEADER + ", TICKET]");
        assertThat(roundTrips(run)).isEqualTo(7);
    }

    @Test
    void anOpenAiRouteDoesNotAskForThePathItWouldNotUse() throws Exception {
        String openAi = HOW_TO.replace("\"llm_format\":\"anthropic\",", "");
        String chat = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

        TestRun run = run(openAi, "/anything/v1/chat/completions", chat);

        assertThat(run.pdkCalls()).noneMatch(call -> call.startsWith("kong.request.get_path"));
        assertThat(roundTrips(run)).isEqualTo(6);
    }

    @Test
    void withoutASizeLimitTheDeclaredLengthIsStillAskedForTheServersBodyBudget() throws Exception {
        String unlimited = HOW_TO.replace("\"max_request_body_size\":524288", "\"max_request_body_size\":0");

        TestRun run = run(unlimited, "/anything/v1/messages", MESSAGE);

        assertThat(run.pdkCalls()).filteredOn(call -> call.startsWith("kong.request.get_header")).containsExactly("kong.request.get_header[content-length]");
        assertThat(roundTrips(run)).as("as with a limit").isEqualTo(7);
    }

    @Test
    void aDeclaredBodyOverTheLimitIsRefusedBeforeItIsRead() throws Exception {
        String small = HOW_TO.replace("\"max_request_body_size\":524288", "\"max_request_body_size\":16");
        TestRequest request = TestRequest.post("http://localhost:8000/anything/v1/messages", MESSAGE)
                .header("content-type", "application/json")
                .header("content-length", String.valueOf(MESSAGE.length()))
                .service(HOW_TO_SERVICE);

        TestRun run = PluginTester.of(new AiProxyPlugin()).configJson(small).exchange(exchange).run(request);

        assertThat(run.exit().orElseThrow().status()).isEqualTo(413);
        assertThat(run.pdkCalls()).noneMatch(call -> call.startsWith("kong.request.get_raw_body"))
                .noneMatch(call -> call.startsWith("kong.service."));
    }

    @Test
    void aLargeBodyThatFindsNoRoomInTheServersBodyBudgetIsRefusedUnreadWith503() throws Exception {
        io.kongjava.plugins.ai.BodyBudget small = new io.kongjava.plugins.ai.BodyBudget(1 << 20);
        io.kongjava.plugins.ai.BodyBudget before = AiProxyPlugin.bodyBudget;
        Duration waitBefore = AiProxyPlugin.bodyBudgetWait;
        AiProxyPlugin.bodyBudget = small;
        AiProxyPlugin.bodyBudgetWait = Duration.ofMillis(100);
        String large = "{\"model\":\"claude-opus-5-5\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\""
                + "x".repeat(300_000) + "\"}]}";
        try (io.kongjava.plugins.ai.BodyBudget.Reservation others = small.reserve(900_000, Duration.ZERO).orElseThrow()) {
            TestRun refused = PluginTester.of(new AiProxyPlugin()).configJson(HOW_TO).exchange(exchange)
                    .run(TestRequest.post("http://localhost:8000/anything/v1/messages", large).header("content-type", "application/json")
                            .header("content-length", String.valueOf(large.length())).service(HOW_TO_SERVICE));

            assertThat(refused.exit().orElseThrow().status()).isEqualTo(503);
            assertThat(refused.exit().orElseThrow().body()).contains("overloaded_error").contains("raise its heap");
            assertThat(refused.pdkCalls()).noneMatch(call -> call.startsWith("kong.request.get_raw_body"));
            assertThat(small.availableBytes()).as("the refused request holds nothing").isEqualTo((1 << 20) - ((900_000 + 1023) / 1024) * 1024);
        } finally {
            AiProxyPlugin.bodyBudget = before;
            AiProxyPlugin.bodyBudgetWait = waitBefore;
        }
        assertThat(small.availableBytes()).isEqualTo(1 << 20);
    }
}
