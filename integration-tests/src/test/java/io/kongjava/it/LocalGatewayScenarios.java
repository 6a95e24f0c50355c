package io.kongjava.it;

import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.kongjava.gateway.GatewayMain;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The local gateway with a hello plugin served by a real plugin server started through its start_cmd,
 * exactly as kong.conf configures it. The same scenarios run with Kong's JS plugin server (js-hello) and
 * with ours (java-hello): what the gateway does with Kong's own server is what it does with ours.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
abstract class LocalGatewayScenarios {

    protected Path dir;
    protected EchoUpstream upstream;
    protected GatewayMain.Running gateway;
    protected int proxyPort;
    protected final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /** kong.conf lines declaring the plugin server for the hello plugin, with {@code prefix} as Kong's prefix. */
    protected abstract String pluginServerConf(Path prefix);

    protected abstract String pluginName();

    /** e.g. "Java" or "Javascript": the hello plugins name their language in the header. */
    protected abstract String language();

    @BeforeEach
    void startGateway() throws Exception {
        dir = Files.createTempDirectory("kjg");
        upstream = new EchoUpstream();
        proxyPort = freePort();
        Path prefix = dir.resolve("prefix");
        Files.writeString(dir.resolve("kong.conf"), """
                prefix = %s
                proxy_listen = 127.0.0.1:%d
                declarative_config = kong.yaml   # relative to this file
                plugins = bundled,%s
                %s
                """.formatted(prefix, proxyPort, pluginName(), pluginServerConf(prefix)));
        Files.writeString(dir.resolve("kong.yaml"), """
                _format_version: "3.0"
                services:
                  - name: echo
                    url: http://127.0.0.1:%d
                    routes:
                      - name: hello
                        paths: [/hello]
                        plugins:
                          - name: %s
                            config:
                              message: hi
                  - name: down
                    url: http://127.0.0.1:%d
                    routes:
                      - name: down
                        paths: [/down]
                """.formatted(upstream.port(), pluginName(), freePort()));
        gateway = GatewayMain.start(dir.resolve("kong.conf"), Map.of());
    }

    @AfterEach
    void stopGateway() {
        if (gateway != null) {
            gateway.close();
        }
        upstream.close();
    }

    protected HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxyPort + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void thePluginsAccessPhaseShapesTheProxiedResponse() throws Exception {
        HttpResponse<String> response = get("/hello/world?x=1");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-hello-from-" + language().toLowerCase()))
                .hasValue(language() + " says hi to 127.0.0.1:" + proxyPort);
        assertThat(response.headers().firstValue("x-kong-request-id")).isPresent();
        assertThat(response.headers().firstValue("x-kong-upstream-latency")).isPresent();
        EchoUpstream.Received sent = upstream.received.poll();
        assertThat(sent.path()).isEqualTo("/world");
        assertThat(sent.query()).isEqualTo("x=1");
        assertThat(sent.header("x-kong-request-id")).isEqualTo(response.headers().firstValue("x-kong-request-id").orElseThrow());
        assertThat(sent.header("x-forwarded-path")).isEqualTo("/hello/world");
        // Kong's Host is the service's host, with its port when that is not the scheme's default
        assertThat(sent.header("host")).isEqualTo("127.0.0.1:" + upstream.port());
    }

    @Test
    void aRequestNoRouteMatchesGetsKongs404() throws Exception {
        HttpResponse<String> response = get("/nowhere");

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.body()).contains("\"message\":\"no Route matched with those values\"");
        assertThat(response.headers().firstValue("server")).as("Kong's server_tokens on its own answers").hasValue("kong-java-gateway");
    }

    @Test
    void aDeadUpstreamGetsKongs502() throws Exception {
        HttpResponse<String> response = get("/down");

        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(response.body()).contains("An invalid response was received from the upstream server");
    }

    @Test
    void serverSentEventsReachTheClientBeforeTheUpstreamFinishes() throws Exception {
        HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxyPort + "/hello/sse"))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader events = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            assertThat(events.readLine()).isEqualTo("event: first");
            upstream.clientSawFirstEvent.countDown();
            String rest = events.lines().reduce("", (a, b) -> a + b + "\n");
            assertThat(rest).contains("data: streamed");
        }
    }

    @Test
    void aPluginServerThatDiesIsRespawnedAndItsPluginsRunAgain() throws Exception {
        assertThat(get("/hello/before").headers().firstValue("x-hello-from-" + language().toLowerCase())).isPresent();
        long firstPid = gateway.processes().pids().values().iterator().next();

        ProcessHandle server = ProcessHandle.of(firstPid).orElseThrow();
        server.destroyForcibly();
        server.onExit().get(10, TimeUnit.SECONDS);

        // As Kong's process.lua does: the server is started again, and the gateway re-creates the plugin's
        // instance when the new server answers "no plugin instance".
        HttpResponse<String> response = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    HttpResponse<String> answer = get("/hello/after");
                    if (answer.statusCode() != 200) {
                        assertThat(answer.statusCode()).as("while the server is down, Kong's 500").isEqualTo(500);
                        assertThat(answer.body()).contains("An unexpected error occurred");
                    }
                    return answer;
                }, answer -> answer.statusCode() == 200);
        assertThat(response.headers().firstValue("x-hello-from-" + language().toLowerCase())).isPresent();
        assertThat(gateway.processes().pids().values()).doesNotContain(firstPid).hasSize(1);
    }

    static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
