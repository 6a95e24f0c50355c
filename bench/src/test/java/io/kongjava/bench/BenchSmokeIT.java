package io.kongjava.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.kongjava.testing.anthropic.FakeAnthropic;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The benchmark programs in smoke mode (a fraction of a second each): they start the servers, drive real
 * traffic and print every row. Their figures are not checked here; a benchmark is not a timed test.
 */
class BenchSmokeIT {

    static String run(ThrowingMain main) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            main.run();
        } finally {
            System.setOut(original);
        }
        String output = captured.toString(StandardCharsets.UTF_8);
        original.print(output);
        return output;
    }

    interface ThrowingMain {
        void run() throws Exception;
    }

    @Test
    void pdkRoundTripDrivesOurServerKongsJsServerAndTheEcho() throws Exception {
        String output = run(() -> PdkRoundTrip.main(new String[] {"--smoke"}));

        assertThat(output).containsPattern("(?m)^echo +- +1 ").containsPattern("(?m)^java +20 +64 ");
        if (!"true".equals(System.getenv("CI"))) {
            return;
        }
        assertThat(output).as("CI installs Kong's JS plugin server, so it must be compared").containsPattern("(?m)^js +20 +64 ")
                .contains("java events/s =");
    }

    @Test
    void gatewayOverheadSendsTheHowToTrafficAndFileLogLosesNoLine() throws Exception {
        String output = run(() -> GatewayOverhead.main(new String[] {"--smoke"}));

        assertThat(output).containsPattern("(?m)^oneshot +gateway ").containsPattern("(?m)^stream +gateway ");
        var counts = java.util.regex.Pattern.compile("file-log lines: (\\d+) for (\\d+) gateway requests, (\\d+) with ai usage").matcher(output);
        assertThat(counts.find()).isTrue();
        assertThat(counts.group(1)).isEqualTo(counts.group(2)).isEqualTo(counts.group(3));
    }

    @Test
    void harnessBenchDrivesOurServerAndKongsJsServerThroughKongsOwnClient() throws Exception {
        String output = run(() -> HarnessBench.main(new String[] {"--smoke"}));

        if (output.contains("# skipped: ")) {
            return; // no kong-harness or nginx here; under CI=true the program fails instead
        }
        assertThat(output).containsPattern("(?m)^java +java-file-log +log +200 ").containsPattern("(?m)^java +java-hello +access +200 ");
        if (!"true".equals(System.getenv("CI"))) {
            return;
        }
        assertThat(output).as("CI installs Kong's JS plugin server, so it must be compared")
                .containsPattern("(?m)^js +js-file-log +log +200 ").containsPattern("(?m)^js +js-hello +access +200 ")
                .contains("log phase: java req/s =").contains("access phase: java req/s =");
        if (new ProcessBuilder("sh", "-c", "command -v cc").start().waitFor() == 0) {
            assertThat(output).as("with a C compiler the floor's null server runs beside them")
                    .containsPattern("(?m)^null +null-log +log +200 ").containsPattern("(?m)^null +null-hello +access +200 ")
                    .contains("log phase: the floor (null_server.c)").doesNotContain("Infinity");
        }
    }

    @Test
    void relayFirstByteComparesTheDirectPathWithTheRelay() throws Exception {
        String output = run(() -> RelayFirstByte.main(new String[] {"--smoke"}));

        assertThat(output).containsPattern("(?m)^direct +100 ").containsPattern("(?m)^relay, identity filter +100 ")
                .contains("added first-byte latency p50:");
    }

    @Test
    void startupTimesTheQueryCommandAndTheFirstAccept() throws Exception {
        String output = run(() -> Startup.main(new String[] {"--smoke"}));

        assertThat(output).containsPattern("launcher.* --dump-plugin-info: +\\d+ ms").contains("archive made on first run (KONG_JAVA_OPTS)");
    }

    @Test
    void threadWakeupsTimesBothThreadKindsOnBothSockets() throws Exception {
        String output = run(() -> ThreadWakeups.main(new String[] {"--smoke"}));

        assertThat(output).containsPattern("(?m)^platform / tcp +\\d+\\.\\d").containsPattern("(?m)^virtual / unix +\\d+\\.\\d");
    }

    @Test
    void everyProxyStackRelaysTheSameAnswersSoTheirFiguresCompareLikeWithLike() throws Exception {
        String[][] stacks = {{"jdk", "okhttp"}, {"jdk", "vt"}, {"vt", "okhttp0"}, {"vt", "vt"}, {"pt", "vt"}, {"helidon", "vt"},
                {"jetty", "vt"}, {"netty", "netty"}};
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        try (FakeAnthropic upstream = FakeAnthropic.start()) {
            for (String[] stack : stacks) {
                String name = stack[0] + "/" + stack[1];
                int port;
                try (var probe = new java.net.ServerSocket(0)) {
                    port = probe.getLocalPort();
                }
                try (AutoCloseable proxy = ProxyStacks.start(stack[0], stack[1], port, upstream.port())) {
                    HttpResponse<String> oneShot = client.send(messages(port, false), HttpResponse.BodyHandlers.ofString());
                    assertThat(oneShot.statusCode()).as(name).isEqualTo(200);
                    assertThat(oneShot.body()).as(name).contains(FakeAnthropic.DEFAULT_TEXT);
                    assertThat(oneShot.headers().firstValueAsLong("content-length")).as(name).hasValue(oneShot.body().length());
                    assertThat(upstream.takeRequest().header("x-api-key")).as(name).hasValue("sk-ant-smoke");

                    HttpResponse<String> streamed = client.send(messages(port, true), HttpResponse.BodyHandlers.ofString());
                    assertThat(streamed.statusCode()).as(name).isEqualTo(200);
                    assertThat(streamed.headers().firstValue("content-type")).as(name).hasValueSatisfying(
                            type -> assertThat(type).startsWith("text/event-stream"));
                    assertThat(streamed.body()).as(name).startsWith("event: message_start").contains("event: message_stop");
                    upstream.takeRequest();
                }
            }
        }
    }

    private static HttpRequest messages(int port, boolean stream) {
        String body = "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":16,\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/messages")).header("content-type", "application/json")
                .header("x-api-key", "sk-ant-smoke").header("anthropic-version", "2023-06-01")
                .timeout(java.time.Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }
}
