package io.kongjava.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.kongjava.kongclient.EventOutcome;
import io.kongjava.kongclient.KongRpcClient;
import io.kongjava.pdk.exchange.ProcessRequestExchange;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The warm-up of the server's own request path: synthetic Kong traffic through a private server, which Kong,
 * the metrics and GetStatus never see, which leaves no file behind, and which does not hold Kong's first calls up.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RequestPathWarmUpTest {

    private final List<String> observed = new CopyOnWriteArrayList<>();
    private PluginServer server;
    private KongRpcClient kong;

    private void start(PluginServer.WarmUp warmUp) throws Exception {
        Path dir = Files.createTempDirectory("warm-up-test");
        server = new PluginServer(dir.resolve("java.socket"), PluginCatalog.of(List.of(new GreeterPlugin())), ProcessRequestExchange.shared(),
                new PluginServer.Settings(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofMinutes(10), true, warmUp));
        server.observe(new ServerObserver() {
            @Override
            public void eventEnded(String plugin, String phase, long nanos, String outcome) {
                observed.add("event " + plugin + " " + phase + " " + outcome);
            }

            @Override
            public void pdkCall(String plugin, String phase, String method, long nanos) {
                observed.add("pdk " + plugin + " " + method);
            }

            @Override
            public void instanceStarted(String plugin) {
                observed.add("started " + plugin);
            }

            @Override
            public void instanceClosed(String plugin, String reason) {
                observed.add("closed " + plugin);
            }

            @Override
            public void error(String kind) {
                observed.add("error " + kind);
            }
        });
        server.start();
        kong = new KongRpcClient(server.socketPath(), Duration.ofSeconds(10), 4);
    }

    @AfterEach
    void stop() {
        if (kong != null) {
            kong.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private long startGreeter() throws Exception {
        return (Long) ((Map<?, ?>) kong.call("plugin.StartInstance", Map.of("Name", "test-greeter", "Config", "{}"))).get("Id");
    }

    @Test
    void kongsFirstCallsAreAnsweredWhileTheWarmUpRunsAndItLeavesNoTrace() throws Exception {
        start(new PluginServer.WarmUp(20_000, Duration.ofSeconds(40), false));

        long began = System.nanoTime();
        long id = startGreeter();
        EventOutcome outcome = kong.handleEvent(id, "access", new FakeKong(Map.of("x-name", List.of("ann"))));
        long tookMillis = (System.nanoTime() - began) / 1_000_000;

        assertThat(server.requestPathWarmedUp()).as("the warm-up was still running").isNotDone();
        assertThat(outcome).isInstanceOf(EventOutcome.Returned.class);
        assertThat(tookMillis).as("Kong's StartInstance and first event, in ms").isLessThan(2_000);

        RequestPathWarmUp.Result result = server.requestPathWarmedUp().get(50, TimeUnit.SECONDS);
        assertThat(result.events()).isEqualTo(20_000);
        assertThat(result.stoppedBecause()).isEqualTo("the event budget was spent");
        assertThat(result.directory()).isNotNull().doesNotExist();

        Map<?, ?> plugins = (Map<?, ?>) ((Map<?, ?>) kong.call("plugin.GetStatus", null)).get("Plugins");
        assertThat(new java.util.ArrayList<Object>(plugins.keySet())).containsExactly("test-greeter");
        assertThat((List<?>) ((Map<?, ?>) plugins.get("test-greeter")).get("Instances")).hasSize(1);
        assertThat(server.instancesByPlugin()).isEqualTo(Map.of("test-greeter", 1));
        assertThat(server.eventsInFlight()).isZero();
        assertThat(server.connectionCount()).isLessThanOrEqualTo(4);
        assertThat(observed).allMatch(entry -> entry.contains("test-greeter"))
                .contains("started test-greeter", "event test-greeter access ok");
    }

    @Test
    void untilKongTrafficStopsAtKongsFirstEvent() throws Exception {
        start(new PluginServer.WarmUp(10_000_000, Duration.ofSeconds(30), true));
        long id = startGreeter();
        kong.handleEvent(id, "access", new FakeKong(Map.of()));

        RequestPathWarmUp.Result result = server.requestPathWarmedUp().get(10, TimeUnit.SECONDS);

        assertThat(result.stoppedBecause()).isEqualTo("Kong's traffic began");
        assertThat(result.events()).isLessThan(10_000_000);
        assertThat(result.directory()).doesNotExist();
    }

    @Test
    void theTimeLimitEndsItWhateverItsEvents() throws Exception {
        start(new PluginServer.WarmUp(10_000_000, Duration.ofMillis(300), false));

        RequestPathWarmUp.Result result = server.requestPathWarmedUp().get(10, TimeUnit.SECONDS);

        assertThat(result.stoppedBecause()).isEqualTo("its time was up");
        assertThat(result.events()).isPositive().isLessThan(10_000_000);
        assertThat(result.took()).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void offRunsNoSyntheticEvent() throws Exception {
        start(PluginServer.WarmUp.NONE);

        RequestPathWarmUp.Result result = server.requestPathWarmedUp().get(10, TimeUnit.SECONDS);

        assertThat(result.events()).isZero();
        assertThat(result.stoppedBecause()).isEqualTo("it is off");
        assertThat(result.directory()).isNull();
    }
}
