package io.kongjava.server;

import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kongjava.pdk.exchange.ProcessRequestExchange;
import io.kongjava.kongclient.KongRpcClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What the server reports to a {@link ServerObserver}: each phase's outcome, each PDK round trip, instances, errors. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ServerObserverTest {

    private final List<String> seen = new CopyOnWriteArrayList<>();
    private PluginServer server;
    private KongRpcClient kong;

    @BeforeEach
    void start() throws Exception {
        Path dir = Files.createTempDirectory("observer");
        server = new PluginServer(dir.resolve("java.socket"), PluginCatalog.of(List.of(new GreeterPlugin())),
                ProcessRequestExchange.shared(), new PluginServer.Settings(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofMinutes(10), true));
        server.observe(new ServerObserver() {
            @Override
            public void eventEnded(String plugin, String phase, long nanos, String outcome) {
                assertThat(nanos).isPositive();
                seen.add("event " + plugin + " " + phase + " " + outcome);
            }

            @Override
            public void pdkCall(String plugin, String phase, String method, long nanos) {
                assertThat(nanos).isPositive();
                seen.add("pdk " + plugin + " " + phase + " " + method);
            }

            @Override
            public void instanceStarted(String plugin) {
                seen.add("started " + plugin);
            }

            @Override
            public void instanceClosed(String plugin, String reason) {
                seen.add("closed " + plugin + " " + reason);
            }

            @Override
            public void error(String kind) {
                seen.add("error " + kind);
            }
        });
        server.start();
        kong = new KongRpcClient(server.socketPath(), Duration.ofSeconds(10), 4);
    }

    @AfterEach
    void stop() throws Exception {
        kong.close();
        server.close();
    }

    private long startInstance(String config) throws Exception {
        return (Long) ((Map<?, ?>) kong.call("plugin.StartInstance", Map.of("Name", "test-greeter", "Config", config))).get("Id");
    }

    private void awaitSeen(String entry) {
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10)).untilAsserted(() -> assertThat(seen).contains(entry));
    }

    @Test
    void aPhaseReportsEachPdkRoundTripThenItsOutcome() throws Exception {
        long id = startInstance("{\"greeting\":\"hi\",\"extra_calls\":2}");
        kong.handleEvent(id, "access", new FakeKong(Map.of("x-name", List.of("ann"))));

        awaitSeen("event test-greeter access ok");
        assertThat(seen).containsExactly("started test-greeter",
                "pdk test-greeter access kong.request.get_headers",
                "pdk test-greeter access kong.request.get_header",
                "pdk test-greeter access kong.request.get_header",
                "pdk test-greeter access kong.response.set_header",
                "event test-greeter access ok");
    }

    @Test
    void anExitAndAThrowingPluginAreTheirOwnOutcomes() throws Exception {
        long denying = startInstance("{\"deny_header\":\"x-block\"}");
        long failing = startInstance("{\"fail\":true}");

        kong.handleEvent(denying, "access", new FakeKong(Map.of("x-block", List.of("1"))));
        kong.handleEvent(failing, "access", new FakeKong(Map.of()));

        awaitSeen("event test-greeter access exit");
        awaitSeen("event test-greeter access error");
    }

    @Test
    void instancesClosedByKongAndErrorsAnsweredToKongAreReported() throws Exception {
        long id = startInstance("{}");
        kong.call("plugin.CloseInstance", id);
        assertThatThrownBy(() -> kong.call("plugin.InstanceStatus", id)).hasMessageContaining("no plugin instance");

        assertThat(seen).containsExactly("started test-greeter", "closed test-greeter closed", "error rpc_error");
    }
}
