package io.kongjava.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A Service whose host is an Upstream of kong.yaml: its targets share the requests as Kong's balancer shares them. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BalancerTest {

    @TempDir
    Path dir;
    final List<HttpServer> upstreams = new ArrayList<>();

    /** An upstream that answers its own name, and the Host it was sent. */
    private int upstream(String name) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            byte[] body = (name + " " + exchange.getRequestHeaders().getFirst("Host")).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        upstreams.add(server);
        return server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        upstreams.forEach(server -> server.stop(0));
    }

    private Gateway gateway(String yaml) throws Exception {
        Path file = dir.resolve("kong.yaml");
        Files.writeString(file, yaml);
        return new Gateway(DeclarativeConfig.load(file, Map.of(), List.of(), name -> null), Map.of(), 1 << 20)
                .start(new InetSocketAddress("127.0.0.1", 0));
    }

    private static Map<String, Integer> answers(Gateway gateway, int requests, String header) throws Exception {
        Map<String, Integer> counts = new TreeMap<>();
        try (HttpClient client = HttpClient.newHttpClient()) {
            for (int i = 0; i < requests; i++) {
                HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.address().getPort() + "/pool"));
                if (header != null) {
                    request.header("X-User", header + i % 4);
                }
                HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
                counts.merge(response.statusCode() == 200 ? response.body().split(" ")[0] : String.valueOf(response.statusCode()), 1, Integer::sum);
            }
        }
        return counts;
    }

    @Test
    void roundRobinSharesRequestsByWeightAndATargetOfWeightZeroGetsNone() throws Exception {
        int a = upstream("a");
        int b = upstream("b");
        int c = upstream("c");
        try (Gateway gateway = gateway("""
                _format_version: "3.0"
                upstreams:
                  - name: pool.internal
                    targets:
                      - {target: "127.0.0.1:%d", weight: 100}
                      - {target: "127.0.0.1:%d", weight: 200}
                      - {target: "127.0.0.1:%d", weight: 0}
                services:
                  - name: s
                    host: pool.internal
                    routes: [{name: r, paths: [/pool]}]
                """.formatted(a, b, c))) {
            assertThat(answers(gateway, 30, null)).isEqualTo(Map.of("a", 10, "b", 20));
        }
    }

    @Test
    void aTargetThatRefusesConnectionsIsRetriedOnAnotherAndTheHostHeaderIsTheUpstreamsHostHeader() throws Exception {
        int live = upstream("live");
        int dead;
        try (ServerSocket closed = new ServerSocket(0)) {
            dead = closed.getLocalPort();
        }
        try (Gateway gateway = gateway("""
                _format_version: "3.0"
                upstreams:
                  - name: pool.internal
                    host_header: api.example
                    targets: [{target: "127.0.0.1:%d"}, {target: "127.0.0.1:%d"}]
                services:
                  - {name: s, host: pool.internal, routes: [{name: r, paths: [/pool]}]}
                """.formatted(dead, live));
             HttpClient client = HttpClient.newHttpClient()) {
            assertThat(answers(gateway, 6, null)).isEqualTo(Map.of("live", 6));
            String body = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.address().getPort() + "/pool")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(body).isEqualTo("live api.example");
        }
    }

    @Test
    void consistentHashingSendsTheSameHeaderValueToTheSameTarget() throws Exception {
        int a = upstream("a");
        int b = upstream("b");
        try (Gateway gateway = gateway("""
                _format_version: "3.0"
                upstreams:
                  - name: pool.internal
                    hash_on: header
                    hash_on_header: X-User
                    targets: [{target: "127.0.0.1:%d"}, {target: "127.0.0.1:%d"}]
                services:
                  - {name: s, host: pool.internal, routes: [{name: r, paths: [/pool]}]}
                """.formatted(a, b));
             HttpClient client = HttpClient.newHttpClient()) {
            for (String user : List.of("ann", "bob", "cy", "dee")) {
                List<String> targets = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    targets.add(client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.address().getPort() + "/pool"))
                            .header("X-User", user).build(), HttpResponse.BodyHandlers.ofString()).body().split(" ")[0]);
                }
                assertThat(targets).as(user).containsOnly(targets.getFirst());
            }
        }
    }

    @Test
    void passiveHealthChecksTakeATargetOutAfterItsFailuresInARow() throws Exception {
        int failing = failingUpstream();
        int healthy = upstream("b");
        try (Gateway gateway = gateway("""
                _format_version: "3.0"
                upstreams:
                  - name: pool.internal
                    healthchecks: {passive: {unhealthy: {http_failures: 2, http_statuses: [500]}}}
                    targets: [{target: "127.0.0.1:%d"}, {target: "127.0.0.1:%d"}]
                services:
                  - {name: s, host: pool.internal, routes: [{name: r, paths: [/pool]}]}
                """.formatted(failing, healthy))) {
            // Kong passes a 500 on (it is an answer, not a failed try); the second in a row takes the target out
            assertThat(answers(gateway, 10, null)).isEqualTo(Map.of("500", 2, "b", 8));
        }
    }

    @Test
    void activeChecksTakeOutATargetWhoseProbesFailAndBringItBackWhenTheyPassAgain() throws Exception {
        AtomicInteger healthStatus = new AtomicInteger(200);
        BlockingQueue<String> probes = new LinkedBlockingQueue<>();
        HttpServer probed = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        probed.createContext("/", exchange -> {
            byte[] body = "a".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        probed.createContext("/health", exchange -> {
            probes.add(exchange.getRequestMethod() + " " + exchange.getRequestURI() + " " + exchange.getProtocol()
                    + " host=" + exchange.getRequestHeaders().getFirst("Host") + " x-probe=" + exchange.getRequestHeaders().getFirst("X-Probe"));
            exchange.sendResponseHeaders(healthStatus.get(), -1);
            exchange.close();
        });
        probed.start();
        upstreams.add(probed);
        int steady = upstream("b");
        try (Gateway gateway = gateway("""
                _format_version: "3.0"
                upstreams:
                  - name: pool.internal
                    host_header: api.internal
                    healthchecks:
                      active:
                        http_path: /health
                        headers: {x-probe: [kong]}
                        healthy: {interval: 0.05, successes: 2}
                        unhealthy: {interval: 0.05, http_failures: 2}
                    targets: [{target: "127.0.0.1:%d"}, {target: "127.0.0.1:%d"}]
                services:
                  - {name: s, host: pool.internal, routes: [{name: r, paths: [/pool]}]}
                """.formatted(probed.getAddress().getPort(), steady))) {
            assertThat(probes.poll(10, TimeUnit.SECONDS)).as("Kong's probe: HTTP/1.0, the Upstream's host_header, the configured headers")
                    .isEqualTo("GET /health HTTP/1.0 host=api.internal x-probe=kong");
            assertThat(answers(gateway, 4, null)).isEqualTo(Map.of("a", 2, "b", 2));

            healthStatus.set(503);
            await().atMost(10, TimeUnit.SECONDS).until(() -> answers(gateway, 4, null).equals(Map.of("b", 4)));

            healthStatus.set(200);
            await().atMost(10, TimeUnit.SECONDS).until(() -> answers(gateway, 4, null).equals(Map.of("a", 2, "b", 2)));
        }
    }

    @Test
    void aTcpProbeThatCannotConnectTakesTheTargetOut() throws Exception {
        int steady = upstream("b");
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        try (Gateway gateway = gateway("""
                _format_version: "3.0"
                upstreams:
                  - name: pool.internal
                    healthchecks: {active: {type: tcp, healthy: {interval: 0.05}, unhealthy: {tcp_failures: 1}}}
                    targets: [{target: "127.0.0.1:%d"}, {target: "127.0.0.1:%d"}]
                services:
                  - {name: s, host: pool.internal, retries: 0, routes: [{name: r, paths: [/pool]}]}
                """.formatted(closed, steady))) {
            // without the probe, every other request would be a 502 (no retries)
            await().atMost(10, TimeUnit.SECONDS).until(() -> answers(gateway, 4, null).equals(Map.of("b", 4)));
        }
    }

    @Test
    void latencyBalancingSendsRequestsToTheTargetThatAnswersFastest() throws Exception {
        HttpServer slow = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        slow.createContext("/", exchange -> {
            try {
                Thread.sleep(60);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] body = "slow".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        slow.start();
        upstreams.add(slow);
        int fast = upstream("fast");
        try (Gateway gateway = gateway("""
                _format_version: "3.0"
                upstreams:
                  - name: pool.internal
                    algorithm: latency
                    targets: [{target: "127.0.0.1:%d"}, {target: "127.0.0.1:%d"}]
                services:
                  - {name: s, host: pool.internal, routes: [{name: r, paths: [/pool]}]}
                """.formatted(slow.getAddress().getPort(), fast))) {
            // each is tried once (no average yet: 0); then the slow one's 60 ms needs ~40 s unused to fade below the fast one's
            assertThat(answers(gateway, 12, null)).isEqualTo(Map.of("slow", 1, "fast", 11));
        }
    }

    @Test
    void belowItsHealthThresholdALeastConnectionsUpstreamAnswers503ButRoundRobinKeepsGoing() throws Exception {
        int steady = upstream("b");
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        for (String algorithm : List.of("least-connections", "round-robin")) {
            try (Gateway gateway = gateway("""
                    _format_version: "3.0"
                    upstreams:
                      - name: pool.internal
                        algorithm: %s
                        healthchecks: {threshold: 60, active: {type: tcp, healthy: {interval: 0.05}, unhealthy: {tcp_failures: 1}}}
                        targets: [{target: "127.0.0.1:%d"}, {target: "127.0.0.1:%d"}]
                    services:
                      - {name: s, host: pool.internal, retries: 0, routes: [{name: r, paths: [/pool]}]}
                    """.formatted(algorithm, closed, steady))) {
                Map<String, Integer> once50PercentIsHealthy = algorithm.equals("round-robin") ? Map.of("b", 4) : Map.of("503", 4);
                await().atMost(10, TimeUnit.SECONDS).until(() -> answers(gateway, 4, null).equals(once50PercentIsHealthy));
            }
        }
    }

    private int failingUpstream() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            exchange.sendResponseHeaders(500, -1);
            exchange.close();
        });
        server.start();
        upstreams.add(server);
        return server.getAddress().getPort();
    }

    @Test
    void anUpstreamWithNoTargetThatTakesTrafficAnswers503() throws Exception {
        try (Gateway gateway = gateway("""
                _format_version: "3.0"
                upstreams:
                  - {name: pool.internal, targets: [{target: "127.0.0.1:9", weight: 0}]}
                services:
                  - {name: s, host: pool.internal, routes: [{name: r, paths: [/pool]}]}
                """)) {
            assertThat(answers(gateway, 1, null)).isEqualTo(Map.of("503", 1));
        }
    }

    @Test
    void upstreamsAndTargetsAreCheckedWithTheirLines() throws Exception {
        Path file = dir.resolve("kong.yaml");
        Files.writeString(file, """
                _format_version: "3.0"
                upstreams:
                  - name: pool.internal
                    healthchecks: {active: {healthy: {interval: 5}}}
                targets:
                  - {upstream: pool.internal, target: "10.0.0.1:8080", weight: 5}
                  - {upstream: pool.internal, target: "10.0.0.2"}
                """);
        DeclarativeConfig config = DeclarativeConfig.load(file, Map.of(), List.of(), name -> null);
        assertThat(config.upstreams.get("pool.internal").targets())
                .containsExactly(new Balancer.Target("10.0.0.1", 8080, 5), new Balancer.Target("10.0.0.2", 8000, 100));
        assertThat(config.warnings).isEmpty();
        assertThat(config.upstreams.get("pool.internal").activeProbe())
                .isEqualTo(new ActiveHealthChecks.Probe("http", java.time.Duration.ofSeconds(1), 10, "/", null, true, Map.of(),
                        java.time.Duration.ofSeconds(5), java.time.Duration.ZERO, TargetHealth.Thresholds.ACTIVE));

        Files.writeString(file, """
                _format_version: "3.0"
                upstreams:
                  - name: pool.internal
                    healthchecks:
                      active:
                        healthy: {interval: 5, successes: 300}
                """);
        assertThatThrownBy(() -> DeclarativeConfig.load(file, Map.of(), List.of(), name -> null))
                .hasMessage(file + ":6: upstreams[0].healthchecks.active.healthy.successes: 300 is not an integer between 0 and 255");

        Files.writeString(file, """
                _format_version: "3.0"
                upstreams:
                  - name: pool.internal
                    healthchecks:
                      passive:
                        unhealthy: {http_failure: 3}
                """);
        assertThatThrownBy(() -> DeclarativeConfig.load(file, Map.of(), List.of(), name -> null))
                .hasMessageContaining("upstreams[0].healthchecks.passive.unhealthy.http_failure: unknown field");

        Files.writeString(file, """
                _format_version: "3.0"
                targets:
                  - {upstream: nowhere, target: "10.0.0.1:8080"}
                """);
        assertThatThrownBy(() -> DeclarativeConfig.load(file, Map.of(), List.of(), name -> null))
                .hasMessage(file + ":3: targets[0].upstream: no upstream nowhere");

        Files.writeString(file, """
                _format_version: "3.0"
                upstreams:
                  - name: pool.internal
                    targets: [{target: "10.0.0.1:99999"}]
                """);
        assertThatThrownBy(() -> DeclarativeConfig.load(file, Map.of(), List.of(), name -> null))
                .hasMessageContaining(":4: upstreams[0].targets[0].target: invalid port '99999'");
    }
}
