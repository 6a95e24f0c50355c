package io.kongjava.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kongjava.kongclient.EventOutcome;
import io.kongjava.kongclient.KongPluginInstances;
import io.kongjava.kongclient.KongPluginInstances.PluginEntity;
import io.kongjava.kongclient.KongRpcClient;
import io.kongjava.kongclient.RpcErrorException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What Kong does to a plugin server, played by our Kong-side client. The same scenarios run against Kong's
 * own JS plugin server (kong-pdk from npm, plugin testing/js-pluginserver/plugins/test-greeter.js) and
 * against ours (GreeterPlugin): the client is only trusted because Kong's server agrees with it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
abstract class KongSideScenarios {

    protected KongRpcClient kong;

    /** Starts the server under test and returns its socket. */
    protected abstract Path startServer() throws Exception;

    protected abstract void stopServer() throws Exception;

    @BeforeEach
    void connect() throws Exception {
        kong = new KongRpcClient(startServer(), Duration.ofSeconds(10), 32);
    }

    @AfterEach
    void disconnect() throws Exception {
        // kong is null when startServer() skipped the test (an assumption) or failed: only the server is left
        try {
            if (kong != null) {
                kong.close();
            }
        } finally {
            stopServer();
        }
    }

    @Test
    void startInstanceGivesAnIntegerIdAndTheDecodedConfig() throws Exception {
        Map<?, ?> status = (Map<?, ?>) kong.call("plugin.StartInstance", startRequest("{\"greeting\":\"hi\",\"__seq__\":4,\"__plugin_id\":\"x\"}"));

        assertThat(status.get("Name")).isEqualTo("test-greeter");
        assertThat(status.get("Id")).isInstanceOf(Long.class);
        assertThat(((Map<?, ?>) status.get("Config")).get("greeting")).isEqualTo("hi");
        assertThat(status.get("StartTime")).isInstanceOf(Number.class);
    }

    @Test
    void eachPdkCallIsOneStepAndTheMultimapCarriesArrays() throws Exception {
        long id = startInstance("{\"greeting\":\"hello\",\"extra_calls\":2,\"fail\":false}");
        FakeKong request = new FakeKong(Map.of("x-name", List.of("ann")));

        EventOutcome outcome = kong.handleEvent(id, "access", request);

        assertThat(outcome).isEqualTo(new EventOutcome.Returned(4));
        assertThat(request.calls).containsExactly(
                "kong.request.get_headers[]",
                "kong.request.get_header[x-name]",
                "kong.request.get_header[x-name]",
                "kong.response.set_header[x-greeting, hello ann]");
    }

    @Test
    void anEmptyMultimapArrivesAsAnEmptyMap() throws Exception {
        long id = startInstance("{\"greeting\":\"hello\",\"extra_calls\":0,\"fail\":false}");
        FakeKong request = new FakeKong(Map.of());

        kong.handleEvent(id, "access", request);

        assertThat(request.calls).containsExactly("kong.request.get_headers[]", "kong.response.set_header[x-greeting, hello world]");
    }

    @Test
    void exitEndsTheEventWithoutAStep() throws Exception {
        long id = startInstance("{\"greeting\":\"hello\",\"deny_header\":\"x-block\",\"extra_calls\":0,\"fail\":false}");
        FakeKong request = new FakeKong(Map.of("x-block", List.of("1")));

        EventOutcome outcome = kong.handleEvent(id, "access", request);

        assertThat(outcome).isEqualTo(new EventOutcome.Terminated(2, "kong.response.exit"));
        assertThat(request.calls).containsExactly("kong.request.get_header[x-block]", "kong.response.exit[403, denied, {x-denied=yes}]");
        // the server must still serve after an event it ended itself
        assertThat(kong.handleEvent(id, "access", new FakeKong(Map.of()))).isInstanceOf(EventOutcome.Returned.class);
    }

    @Test
    void theLogPhaseAsksForTheSerializedRecord() throws Exception {
        long id = startInstance("{\"greeting\":\"hello\",\"extra_calls\":0,\"fail\":false}");
        FakeKong request = new FakeKong(Map.of());

        assertThat(kong.handleEvent(id, "log", request)).isEqualTo(new EventOutcome.Returned(1));
        assertThat(request.calls).containsExactly("kong.log.serialize[]");
    }

    @Test
    void aPluginThatThrowsInAccessStillEndsItsEvent() throws Exception {
        long id = startInstance("{\"greeting\":\"hello\",\"extra_calls\":0,\"fail\":true}");
        FakeKong request = new FakeKong(Map.of());

        assertThrowingPluginEnded(kong.handleEvent(id, "access", request), request);
    }

    /** Kong's JS server answers "ret" (Kong then proxies the request without the plugin); ours ends it as a Lua plugin's error does. */
    protected abstract void assertThrowingPluginEnded(EventOutcome outcome, FakeKong request);

    @Test
    void aClosedInstanceAnswersNoPluginInstance() throws Exception {
        long id = startInstance("{\"greeting\":\"hello\",\"extra_calls\":0,\"fail\":false}");
        kong.call("plugin.CloseInstance", id);

        assertThatThrownBy(() -> kong.handleEvent(id, "access", new FakeKong(Map.of())))
                .isInstanceOfSatisfying(RpcErrorException.class, e -> {
                    assertThat(e.isNoPluginInstance()).isTrue();
                    assertThat(e.error()).isEqualTo("no plugin instance #" + id);
                });
    }

    @Test
    void kongsInstanceBookkeepingStartsReusesAndReplacesInstances() throws Exception {
        KongPluginInstances instances = new KongPluginInstances(kong);
        Map<String, Object> config = new LinkedHashMap<>(Map.of("greeting", "hey", "extra_calls", 0L, "fail", false));
        PluginEntity v1 = new PluginEntity("6d0e2c6a-0000-4000-8000-000000000001", "test-greeter", config, 1);
        FakeKong first = new FakeKong(Map.of());

        instances.runPhase(v1, "access", first);
        long id = instances.instanceFor(v1);
        config.put("greeting", "howdy");
        long replaced = instances.instanceFor(new PluginEntity(v1.id(), "test-greeter", config, 2));

        assertThat(first.calls).contains("kong.response.set_header[x-greeting, hey world]");
        assertThat(instances.instanceFor(new PluginEntity(v1.id(), "test-greeter", config, 2))).isEqualTo(replaced);
        assertThat(replaced).isNotEqualTo(id);
        assertThatThrownBy(() -> kong.call("plugin.InstanceStatus", id)).hasMessageContaining("no plugin instance");
    }

    @Test
    void concurrentEventsOnPooledConnections() throws Exception {
        long id = startInstance("{\"greeting\":\"hello\",\"extra_calls\":1,\"fail\":false}");
        List<Callable<EventOutcome>> work = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            work.add(() -> kong.handleEvent(id, "access", new FakeKong(Map.of("x-name", List.of("n")))));
        }
        try (ExecutorService clients = Executors.newFixedThreadPool(32)) {
            for (Future<EventOutcome> result : clients.invokeAll(work)) {
                assertThat(result.get()).isEqualTo(new EventOutcome.Returned(3));
            }
        }
    }

    protected long startInstance(String configJson) throws IOException, RpcErrorException {
        return ((Number) ((Map<?, ?>) kong.call("plugin.StartInstance", startRequest(configJson))).get("Id")).longValue();
    }

    private static Map<String, Object> startRequest(String configJson) {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("Name", "test-greeter");
        request.put("Config", configJson);
        return request;
    }
}
