package io.kongjava.server;

import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kongjava.pdk.exchange.ProcessRequestExchange;
import io.kongjava.protocol.RpcMessage;
import io.kongjava.protocol.RpcReader;
import io.kongjava.protocol.RpcWriter;
import io.kongjava.kongclient.EventOutcome;
import io.kongjava.kongclient.KongPluginInstances;
import io.kongjava.kongclient.KongPluginInstances.PluginEntity;
import io.kongjava.kongclient.KongRpcClient;
import io.kongjava.kongclient.RpcErrorException;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PluginServerTest {

    private Path dir;
    private PluginServer server;
    private KongRpcClient kong;

    @BeforeEach
    void start() throws IOException {
        GreeterPlugin.OBSERVED.clear();
        dir = Files.createTempDirectory("kjp");
        server = startServer(new PluginServer.Settings(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofMinutes(10), true));
        kong = new KongRpcClient(server.socketPath(), Duration.ofSeconds(10), 16);
    }

    private PluginServer startServer(PluginServer.Settings settings) throws IOException {
        return new PluginServer(dir.resolve("java.socket"), PluginCatalog.of(List.of(new GreeterPlugin())),
                ProcessRequestExchange.shared(), settings).start();
    }

    @AfterEach
    void stop() throws IOException {
        kong.close();
        server.close();
        Files.deleteIfExists(dir.resolve("java.socket"));
        Files.deleteIfExists(dir);
    }

    @Test
    void aServerThatEndsAfterAnotherTookItsSocketOverLeavesTheOthersSocketInPlace() throws Exception {
        // Kong's reload: the new server binds while the old one finishes, then the old one gets SIGTERM
        PluginServer successor = startServer(new PluginServer.Settings(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofMinutes(10), true));
        try {
            server.close();

            assertThat(dir.resolve("java.socket")).exists();
            try (KongRpcClient toSuccessor = new KongRpcClient(successor.socketPath(), Duration.ofSeconds(10), 1)) {
                assertThat(toSuccessor.call(new io.kongjava.protocol.KongCall.StartInstance("test-greeter", "{\"greeting\":\"hi\"}")))
                        .isNotNull();
            }
        } finally {
            successor.close();
        }
        assertThat(dir.resolve("java.socket")).as("the last server removes its own socket").doesNotExist();
    }

    @Test
    void startInstanceAnswersWithKongsShape() throws Exception {
        Map<?, ?> status = (Map<?, ?>) kong.call("plugin.StartInstance", startRequest("{\"greeting\":\"hi\",\"__seq__\":4,\"route_id\":null}"));

        assertThat(status.get("Name")).isEqualTo("test-greeter");
        assertThat(status.get("Id")).isInstanceOf(Long.class);
        assertThat((Long) status.get("Id")).isBetween(1L, (long) Integer.MAX_VALUE);
        assertThat(((Map<?, ?>) status.get("Config")).get("greeting")).isEqualTo("hi");
        assertThat(status.get("StartTime")).isInstanceOf(Double.class);
        assertThat(kong.serverPid()).isEqualTo(ProcessHandle.current().pid());
    }

    @Test
    void theStartUpProbesLeaveNeitherAnInstanceNorALogLine() throws Exception {
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger(RpcMethods.class.getName());
        List<String> logged = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord record) {
                logged.add(record.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(capture);
        try {
            kong.close();
            server.close();
            server = startServer(new PluginServer.Settings(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofMinutes(10), true));
            kong = new KongRpcClient(server.socketPath(), Duration.ofSeconds(10), 16);
            for (Thread thread : Thread.getAllStackTraces().keySet()) {
                if (thread.getName().equals("warm-up")) {
                    thread.join(10_000); // it probed test-greeter with a config that binds, so it started an instance
                }
            }
            Map<?, ?> status = (Map<?, ?>) kong.call("plugin.GetStatus", null);
            assertThat(((Map<?, ?>) ((Map<?, ?>) status.get("Plugins")).get("test-greeter")).get("Instances")).asList().isEmpty();
            assertThat(logged).noneMatch(line -> line.startsWith("started instance"));

            kong.call("plugin.StartInstance", startRequest("{\"greeting\":\"hi\"}"));
            assertThat(logged).anyMatch(line -> line.startsWith("started instance"));
        } finally {
            logger.removeHandler(capture);
        }
    }

    @Test
    void anAccessEventTurnsEachPdkCallIntoAStep() throws Exception {
        long id = startInstance("{\"greeting\":\"hello\",\"extra_calls\":2}");
        FakeKong request = new FakeKong(Map.of("x-name", List.of("ann")));

        EventOutcome outcome = kong.handleEvent(id, "access", request);

        assertThat(outcome).isEqualTo(new EventOutcome.Returned(4));
        assertThat(request.calls).containsExactly(
                "kong.request.get_headers[]",
                "kong.request.get_header[x-name]",
                "kong.request.get_header[x-name]",
                "kong.response.set_header[x-greeting, hello ann]");
        assertThat(server.eventsInFlight()).isZero();
    }

    @Test
    void kongPluginGetIdIsAnsweredFromTheInstanceWithoutAStep() throws Exception {
        long id = startInstance("{\"tell_plugin_id\":true,\"__plugin_id\":\"7f1d3a52-1c8e-4a8e-9d0b-2f6c1e5a9b10\"}");
        FakeKong request = new FakeKong(Map.of());

        kong.handleEvent(id, "access", request);

        assertThat(request.calls).startsWith("kong.response.set_header[x-plugin-id, 7f1d3a52-1c8e-4a8e-9d0b-2f6c1e5a9b10]")
                .noneMatch(call -> call.startsWith("kong.plugin.get_id"));
    }

    @Test
    void exitEndsTheEventWithoutWaitingForAStepAndLaterCallsFailInThePlugin() throws Exception {
        long id = startInstance("{\"deny_header\":\"x-block\"}");
        FakeKong request = new FakeKong(Map.of("x-block", List.of("1")));

        EventOutcome outcome = kong.handleEvent(id, "access", request);

        assertThat(outcome).isEqualTo(new EventOutcome.Terminated(2, "kong.response.exit"));
        assertThat(request.calls.getLast()).isEqualTo("kong.response.exit[403, denied, {x-denied=yes}]");
        assertThat(GreeterPlugin.OBSERVED.poll(5, TimeUnit.SECONDS)).contains("after exit: kong.request.get_method").contains("is over");
        assertThat(server.eventsInFlight()).isZero();
    }

    @Test
    void aPhaseThePluginDoesNotImplementReturnsAtOnce() throws Exception {
        long id = startInstance("{}");

        assertThat(kong.handleEvent(id, "rewrite", new FakeKong(Map.of()))).isEqualTo(new EventOutcome.Returned(0));
    }

    @Test
    void theLogPhaseGetsKongsSerializedRecordAsText() throws Exception {
        long id = startInstance("{}");

        kong.handleEvent(id, "log", new FakeKong(Map.of()));

        assertThat(GreeterPlugin.OBSERVED.poll(5, TimeUnit.SECONDS)).isEqualTo("log: {\"request\":{\"id\":\"r1\"}}");
    }

    @Test
    void aPluginThatThrowsEndsItsEventAndTheServerGoesOn() throws Exception {
        long failing = startInstance("{\"fail\":true}");
        long healthy = startInstance("{}");

        assertThat(kong.handleEvent(failing, "access", new FakeKong(Map.of()))).isEqualTo(new EventOutcome.Terminated(2, "kong.response.error"));
        assertThat(kong.handleEvent(healthy, "access", new FakeKong(Map.of()))).isInstanceOf(EventOutcome.Returned.class);
        FakeKong logTimer = new FakeKong(Map.of());
        assertThat(kong.handleEvent(failing, "log", logTimer)).as("in log the failure is only written to Kong's error.log")
                .isEqualTo(new EventOutcome.Returned(1));
        assertThat(logTimer.calls).containsExactly(
                "kong.log.err[plugin test-greeter failed in log: java.lang.IllegalStateException: log bug on purpose]");
    }

    @Test
    void unknownOrClosedInstancesAnswerNoPluginInstanceSoKongStartsThemAgain() throws Exception {
        long id = startInstance("{}");
        kong.call("plugin.CloseInstance", id);

        assertThatThrownBy(() -> kong.handleEvent(id, "access", new FakeKong(Map.of())))
                .isInstanceOfSatisfying(RpcErrorException.class, e -> {
                    assertThat(e.isNoPluginInstance()).isTrue();
                    assertThat(e.error()).isEqualTo("no plugin instance #" + id);
                });
        assertThatThrownBy(() -> kong.call("plugin.InstanceStatus", 12345L)).hasMessageContaining("no plugin instance #12345");
        assertThatThrownBy(() -> kong.call("plugin.CloseInstance", id)).hasMessageContaining("no plugin instance");
    }

    @Test
    void kongReCreatesInstancesAfterTheServerRestarts() throws Exception {
        KongPluginInstances instances = new KongPluginInstances(kong);
        PluginEntity plugin = new PluginEntity("5f0c6a4e-0000-4000-8000-000000000001", "test-greeter", Map.of("greeting", "hey"), 1);
        long before = instances.instanceFor(plugin);

        server.close();
        server = startServer(PluginServer.Settings.defaults());
        FakeKong request = new FakeKong(Map.of());
        EventOutcome outcome = instances.runPhase(plugin, "access", request);

        assertThat(outcome).isInstanceOf(EventOutcome.Returned.class);
        assertThat(request.calls).contains("kong.response.set_header[x-greeting, hey world]");
        assertThat(instances.instanceFor(plugin)).isNotEqualTo(before);
    }

    @Test
    void aConfigChangeGivesANewInstanceAndClosesTheOldOne() throws Exception {
        KongPluginInstances instances = new KongPluginInstances(kong);
        long first = instances.instanceFor(new PluginEntity("p1", "test-greeter", Map.of("greeting", "a"), 1));
        long second = instances.instanceFor(new PluginEntity("p1", "test-greeter", Map.of("greeting", "b"), 2));

        assertThat(second).isNotEqualTo(first);
        assertThatThrownBy(() -> kong.call("plugin.InstanceStatus", first)).hasMessageContaining("no plugin instance");
        assertThat(((Map<?, ?>) ((Map<?, ?>) kong.call("plugin.InstanceStatus", second)).get("Config")).get("greeting")).isEqualTo("b");
    }

    @Test
    void invalidConfigsAreRefusedWithKongStyleMessages() {
        assertThatThrownBy(() -> startInstance("{\"extra_calls\":\"many\"}"))
                .hasMessageContaining("invalid config for plugin test-greeter").hasMessageContaining("extra_calls");
        assertThatThrownBy(() -> startInstance("{\"greeting\":\" \"}")).hasMessageContaining("greeting: must not be blank");
        assertThatThrownBy(() -> startInstance("{not json")).hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> kong.call("plugin.StartInstance", Map.of("Name", "nope", "Config", "{}")))
                .hasMessageContaining("no plugin named nope");
    }

    @Test
    void stepsOfOneEventMayArriveOnOtherConnections() throws Exception {
        long id = startInstance("{}");
        try (KongRpcClient other = new KongRpcClient(server.socketPath(), Duration.ofSeconds(10), 1)) {
            Map<?, ?> first = (Map<?, ?>) kong.call("plugin.HandleEvent", Map.of("InstanceId", id, "EventName", "access"));
            assertThat(first.get("Data")).isEqualTo(Map.of("Method", "kong.request.get_headers", "Args", List.of()));

            Map<String, Object> step = new LinkedHashMap<>();
            step.put("EventId", first.get("EventId"));
            step.put("Data", Map.of());
            Map<?, ?> second = (Map<?, ?>) other.call("plugin.StepMultiMap", step);
            assertThat(((Map<?, ?>) second.get("Data")).get("Method")).isEqualTo("kong.response.set_header");

            Map<?, ?> last = (Map<?, ?>) kong.call("plugin.Step", Map.of("EventId", first.get("EventId")));
            assertThat(last.get("Data")).isEqualTo("ret");
        }
    }

    @Test
    void aStepOnAnotherConnectionIsAnsweredAtOnceWhileTheFirstStaysIdleInKongsPool() throws Exception {
        long id = startInstance("{}");
        try (KongRpcClient other = new KongRpcClient(server.socketPath(), Duration.ofSeconds(10), 1)) {
            Map<?, ?> first = (Map<?, ?>) kong.call("plugin.HandleEvent", Map.of("InstanceId", id, "EventName", "access"));

            long started = System.nanoTime();
            Map<?, ?> second = (Map<?, ?>) other.call("plugin.StepMultiMap", Map.of("EventId", first.get("EventId"), "Data", Map.of()));

            // The event's thread waited on the first connection, which Kong keeps idle; it must be woken, not
            // left there until the 5 s step deadline.
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
            assertThat(((Map<?, ?>) second.get("Data")).get("Method")).isEqualTo("kong.response.set_header");
            assertThat(((Map<?, ?>) other.call("plugin.Step", Map.of("EventId", first.get("EventId")))).get("Data")).isEqualTo("ret");
        }
    }

    @Test
    void aStepAfterKongClosedTheConnectionOfTheAnswerArrivesOnANewOne() throws Exception {
        long id = startInstance("{}");
        Object eventId;
        // Kong closes a connection instead of pooling it when its pool is full.
        try (SocketChannel raw = SocketChannel.open(UnixDomainSocketAddress.of(server.socketPath()))) {
            raw.write(ByteBuffer.wrap(RpcWriter.encode(new RpcMessage.Request(5, "plugin.HandleEvent",
                    List.of(Map.of("InstanceId", id, "EventName", "access"))))));
            RpcReader reader = new RpcReader(Channels.newInputStream(raw));
            assertThat(reader.read()).isInstanceOf(RpcMessage.Notification.class);
            RpcMessage.Response answer = (RpcMessage.Response) reader.read();
            eventId = ((Map<?, ?>) answer.result()).get("EventId");
        }

        Map<?, ?> next = (Map<?, ?>) kong.call("plugin.StepMultiMap", Map.of("EventId", eventId, "Data", Map.of()));

        assertThat(((Map<?, ?>) next.get("Data")).get("Method")).isEqualTo("kong.response.set_header");
        assertThat(((Map<?, ?>) kong.call("plugin.Step", Map.of("EventId", eventId))).get("Data")).isEqualTo("ret");
        assertThat(server.eventsInFlight()).isZero();
    }

    @Test
    void badCallsGetAnErrorAndTheConnectionStaysUsable() throws Exception {
        assertThatThrownBy(() -> kong.call("plugin.Teleport", 1L)).hasMessageContaining("method plugin.Teleport not implemented");
        assertThat(kong.call("plugin.Step", Map.of("EventId", 999_999_999_999L)))
                .as("a Step for an event this server never knew (it restarted): Kong is told to end the request, not to go on")
                .isEqualTo(Map.of("EventId", 999_999_999_999L, "Data", Map.of("Method", "kong.response.error", "Args", List.of(500L))));
        assertThatThrownBy(() -> kong.call("plugin.HandleEvent", "access")).hasMessageContaining("needs a map argument");
        assertThatThrownBy(() -> kong.call("plugin.HandleEvent", Map.of("InstanceId", "x", "EventName", "access")))
                .hasMessageContaining("must be an integer id");
    }

    @Test
    void unknownEventNamesAreRefused() throws Exception {
        long id = startInstance("{}");

        assertThatThrownBy(() -> kong.call("plugin.HandleEvent", Map.of("InstanceId", id, "EventName", "body_filter")))
                .hasMessageContaining("unknown event body_filter");
    }

    @Test
    void malformedBytesCloseThatConnectionOnly() throws Exception {
        try (SocketChannel raw = SocketChannel.open(UnixDomainSocketAddress.of(server.socketPath()))) {
            raw.write(ByteBuffer.wrap(new byte[] {(byte) 0x93, 0x00, (byte) 0xc1, 0x01}));
            ByteBuffer buffer = ByteBuffer.allocate(16);
            assertThat(raw.read(buffer)).isEqualTo(-1);
        }

        assertThat(startInstance("{}")).isPositive();
    }

    @Test
    void aRequestSplitAcrossWritesIsAnswered() throws Exception {
        byte[] request = RpcWriter.encode(new RpcMessage.Request(77, "plugin.GetPluginInfo", List.of("test-greeter")));
        try (SocketChannel raw = SocketChannel.open(UnixDomainSocketAddress.of(server.socketPath()))) {
            for (byte b : request) {
                raw.write(ByteBuffer.wrap(new byte[] {b}));
            }
            RpcReader reader = new RpcReader(Channels.newInputStream(raw));
            assertThat(reader.read()).isInstanceOf(RpcMessage.Notification.class);
            RpcMessage.Response response = (RpcMessage.Response) reader.read();
            assertThat(response.msgid()).isEqualTo(77);
            assertThat(((Map<?, ?>) response.result()).get("Name")).isEqualTo("test-greeter");
        }
    }

    @Test
    void anEventWhoseStepNeverComesIsFreed() throws Exception {
        server.close();
        server = startServer(new PluginServer.Settings(Duration.ofSeconds(5), Duration.ofMillis(300), Duration.ofMinutes(10), true));
        long id = startInstance("{}");

        kong.call("plugin.HandleEvent", Map.of("InstanceId", id, "EventName", "access"));
        assertThat(server.eventsInFlight()).isEqualTo(1);

        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50)).until(() -> server.eventsInFlight() == 0);
    }

    @Test
    void callsKongNeverAnswersAreGivenUpOnceTooManyPileUp() throws Exception {
        server.close();
        server = startServer(new PluginServer.Settings(Duration.ofSeconds(5), Duration.ofMinutes(1), Duration.ofMinutes(10), true));
        long id = startInstance("{}");
        int unanswered = UnansweredSteps.MAX_STALE_WAITS + 8;

        // A PDK function that raises in Kong (a plugin bug on a busy route) leaves each event waiting for a Step that
        // never comes: each holds a thread, so they must not pile up for the whole step timeout.
        List<Object> eventIds = new ArrayList<>();
        for (int i = 0; i < unanswered; i++) {
            eventIds.add(((Map<?, ?>) kong.call("plugin.HandleEvent", Map.of("InstanceId", id, "EventName", "access"))).get("EventId"));
        }
        assertThat(server.eventsInFlight()).isEqualTo(unanswered);

        // a Kong that answers nothing is stalled, not failed: nothing is given up
        Thread.sleep(UnansweredSteps.STALE_AFTER.toMillis() + 1_500);
        assertThat(server.eventsInFlight()).isEqualTo(unanswered);

        // once Kong answers calls sent after them, the oldest beyond the limit are
        assertThat(kong.handleEvent(id, "access", new FakeKong(Map.of("x-name", List.of("n"))))).isInstanceOf(EventOutcome.Returned.class);
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> server.eventsInFlight() == UnansweredSteps.MAX_STALE_WAITS);
        assertThat(kong.call("plugin.Step", Map.of("EventId", eventIds.getFirst(), "Data", "late")))
                .as("the oldest was given up; should Kong answer after all, its request ends")
                .isEqualTo(Map.of("EventId", eventIds.getFirst(), "Data", Map.of("Method", "kong.response.error", "Args", List.of(500L))));
        Object newest = eventIds.getLast();
        assertThat(kong.call("plugin.Step", Map.of("EventId", newest, "Data", "Hello")))
                .as("the newest still waits and goes on when its Step comes")
                .isInstanceOfSatisfying(Map.class, step -> assertThat(step.get("EventId")).isEqualTo(newest));
    }

    @Test
    void aStepThatComesAfterTheEventStoppedWaitingEndsTheRequestInAccessAndIsAnErrorInLog() throws Exception {
        server.close();
        server = startServer(new PluginServer.Settings(Duration.ofSeconds(5), Duration.ofMillis(300), Duration.ofMinutes(10), true));
        long id = startInstance("{}");

        Map<?, ?> access = (Map<?, ?>) kong.call("plugin.HandleEvent", Map.of("InstanceId", id, "EventName", "access"));
        Map<?, ?> log = (Map<?, ?>) kong.call("plugin.HandleEvent", Map.of("InstanceId", id, "EventName", "log"));
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50)).until(() -> server.eventsInFlight() == 0);

        // Kong was busy (a slow upload inside get_raw_body, say) and comes back: an RPC error would let it proxy the
        // request without the plugin, so its call is answered with the call that ends the request.
        assertThat(kong.call("plugin.Step", Map.of("EventId", access.get("EventId"), "Data", "late")))
                .isEqualTo(Map.of("EventId", access.get("EventId"), "Data", Map.of("Method", "kong.response.error", "Args", List.of(500L))));
        assertThatThrownBy(() -> kong.call("plugin.Step", Map.of("EventId", log.get("EventId"), "Data", "late")))
                .hasMessageContaining("stopped waiting");
        assertThat(startInstance("{}")).as("the connection goes on").isPositive();
    }

    @Test
    void aPluginThatHoldsKongsCallTooLongInAccessEndsTheRequestInsteadOfLettingKongGoOn() throws Exception {
        server.close();
        server = startServer(new PluginServer.Settings(Duration.ofMillis(300), Duration.ofSeconds(5), Duration.ofMinutes(10), true));
        long id = startInstance("{\"sleep_ms\":3000}");

        Map<?, ?> answer = (Map<?, ?>) kong.call("plugin.HandleEvent", Map.of("InstanceId", id, "EventName", "access"));

        assertThat(answer.get("Data")).isEqualTo(Map.of("Method", "kong.response.error", "Args", List.of(500L)));
    }

    @Test
    void aDrainingServerRefusesNewRequestsWith503ButServesTheEventsOfRequestsInFlight() throws Exception {
        long id = startInstance("{}");
        server.startDraining();

        Map<?, ?> access = (Map<?, ?>) kong.call("plugin.HandleEvent", Map.of("InstanceId", id, "EventName", "access"));
        assertThat(access.get("Data")).as("a new request: refused, never proxied without the plugin")
                .isEqualTo(Map.of("Method", "kong.response.error", "Args", List.of(503L)));
        Map<?, ?> log = (Map<?, ?>) kong.call("plugin.HandleEvent", Map.of("InstanceId", id, "EventName", "log"));
        assertThat(((Map<?, ?>) log.get("Data")).get("Method")).as("a request in flight still logs").isEqualTo("kong.log.serialize");
    }

    @Test
    void onceAnotherServerHasTheSocketADrainingServerServesWhatStillComesOnKongsPooledConnections() throws Exception {
        long id = startInstance("{}");
        server.startDraining();
        assertThat(server.takenOver()).isFalse();

        // a reload: the new server binds the path while Kong's workers still hold pooled connections to this one
        PluginServer successor = startServer(new PluginServer.Settings(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofMinutes(10), true));
        try {
            assertThat(server.takenOver()).isTrue();
            Map<?, ?> access = (Map<?, ?>) kong.call("plugin.HandleEvent", Map.of("InstanceId", id, "EventName", "access"));
            assertThat(((Map<?, ?>) access.get("Data")).get("Method")).as("served, not refused by the thousand")
                    .isEqualTo("kong.request.get_headers");
        } finally {
            successor.close();
        }
    }

    @Test
    void aStoppingServerKongStillTalksToKeepsItsSocketUntilASuccessorHasItButNotForAKongThatLeft() throws Exception {
        System.Logger log = System.getLogger("successor-test");
        startInstance("{}"); // Kong has a connection open
        server.startDraining();

        long started = System.nanoTime();
        Main.awaitSuccessor(server, Duration.ofMillis(400), log);
        assertThat((System.nanoTime() - started) / 1_000_000).as("no successor: the whole wait").isBetween(350L, 5_000L);

        PluginServer successor = startServer(new PluginServer.Settings(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofMinutes(10), true));
        try {
            started = System.nanoTime();
            Main.awaitSuccessor(server, Duration.ofSeconds(30), log);
            assertThat((System.nanoTime() - started) / 1_000_000).as("a successor has the socket").isLessThan(1_000L);
        } finally {
            successor.close();
        }

        kong.close(); // Kong stopping: its workers' connections close
        await().atMost(Duration.ofSeconds(5)).until(() -> server.openConnections() == 0);
        started = System.nanoTime();
        Main.awaitSuccessor(server, Duration.ofSeconds(30), log);
        assertThat((System.nanoTime() - started) / 1_000_000).isLessThan(1_000L);
    }

    @Test
    void aStoppingServerATakeoverFoundServesKongsOpenConnectionsUntilKongClosesThem() throws Exception {
        System.Logger log = System.getLogger("successor-test");
        long id = startInstance("{}"); // an exiting worker's pooled connection
        server.startDraining();
        PluginServer successor = startServer(new PluginServer.Settings(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofMinutes(10), true));
        try {
            java.util.concurrent.CompletableFuture<Void> serving = java.util.concurrent.CompletableFuture.runAsync(
                    () -> Main.serveWhatKongStillSends(server, Duration.ofSeconds(30), log));
            Thread.sleep(300);
            assertThat(serving).as("Kong still has its connection open").isNotDone();
            Map<?, ?> status = (Map<?, ?>) kong.call("plugin.InstanceStatus", id);
            assertThat(status.get("Name")).as("its calls are served").isEqualTo("test-greeter");

            kong.close(); // the worker has exited
            serving.get(5, java.util.concurrent.TimeUnit.SECONDS);
        } finally {
            successor.close();
        }
    }

    @Test
    void aSidecarsSocketCanBeOpenedToItsGroup() throws Exception {
        server.close();
        server = new PluginServer(dir.resolve("java.socket"), PluginCatalog.of(List.of(new GreeterPlugin())), ProcessRequestExchange.shared(),
                PluginServer.Settings.defaults()).socketMode(PosixFilePermissions.fromString("rw-rw----")).start();

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(server.socketPath()))).isEqualTo("rw-rw----");
    }

    @Test
    void aFileThatIsNoSocketIsNeverReplaced() throws Exception {
        Path notASocket = dir.resolve("important.conf");
        Files.writeString(notASocket, "data");

        assertThatThrownBy(() -> new PluginServer(notASocket, PluginCatalog.of(List.of(new GreeterPlugin())), ProcessRequestExchange.shared(),
                PluginServer.Settings.defaults()).start()).hasMessageContaining("exists and is not a socket");
        assertThat(Files.readString(notASocket)).isEqualTo("data");
        Files.delete(notASocket);

        Path fifo = dir.resolve("a.fifo"); // "other" to Java, as a socket is
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        assertThatThrownBy(() -> new PluginServer(fifo, PluginCatalog.of(List.of(new GreeterPlugin())), ProcessRequestExchange.shared(),
                PluginServer.Settings.defaults()).start()).hasMessageContaining("exists and is not a socket");
        assertThat(fifo).exists();
        Files.delete(fifo);
    }

    @Test
    void aServerTakesThePathOverWithoutAMomentWhenNoSocketIsThere() throws Exception {
        // bound beside the path and renamed into place: a client connecting meanwhile reaches one server or the other
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger failed = new java.util.concurrent.atomic.AtomicInteger();
        Thread prober = Thread.ofPlatform().start(() -> {
            while (!stop.get()) {
                try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(server.socketPath()))) {
                    probe.isConnected();
                } catch (IOException e) {
                    failed.incrementAndGet();
                }
            }
        });
        List<PluginServer> successors = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                successors.add(startServer(PluginServer.Settings.defaults()));
            }
        } finally {
            stop.set(true);
            prober.join();
            for (PluginServer successor : successors.reversed()) {
                successor.close();
            }
        }
        assertThat(failed.get()).as("connects that found no socket").isZero();
        try (var leftovers = Files.list(dir)) {
            assertThat(leftovers.map(p -> p.getFileName().toString())).noneMatch(name -> name.endsWith(".binding"));
        }
    }

    @Test
    void manyConcurrentEventsOverManyConnections() throws Exception {
        long id = startInstance("{\"extra_calls\":3}");
        List<Callable<EventOutcome>> work = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            work.add(() -> kong.handleEvent(id, "access", new FakeKong(Map.of("x-name", List.of("n")))));
        }
        try (ExecutorService clients = Executors.newFixedThreadPool(64)) {
            for (Future<EventOutcome> result : clients.invokeAll(work)) {
                assertThat(result.get()).isEqualTo(new EventOutcome.Returned(5));
            }
        }
        assertThat(server.eventsInFlight()).isZero();
    }

    @Test
    void theSocketIsOwnerOnlyAndAStaleSocketIsReplaced() throws Exception {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(server.socketPath()))).isEqualTo("rw-------");

        server.close();
        // a crashed server's socket: the file stays, nobody accepts
        try (java.nio.channels.ServerSocketChannel crashed = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            crashed.bind(UnixDomainSocketAddress.of(server.socketPath()));
        }
        assertThat(server.socketPath()).exists();
        server = startServer(PluginServer.Settings.defaults());

        assertThat(startInstance("{}")).isPositive();
    }

    @Test
    void idleInstancesExpireAndKongGetsNoPluginInstance() throws Exception {
        server.close();
        server = startServer(new PluginServer.Settings(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofMillis(200), true));
        long id = startInstance("{}");

        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100)).until(() -> server.instanceCount() == 0);

        assertThatThrownBy(() -> kong.call("plugin.InstanceStatus", id)).hasMessageContaining("no plugin instance");
    }

    private long startInstance(String configJson) throws IOException, RpcErrorException {
        return (Long) ((Map<?, ?>) kong.call("plugin.StartInstance", startRequest(configJson))).get("Id");
    }

    private static Map<String, Object> startRequest(String configJson) {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("Name", "test-greeter");
        request.put("Config", configJson);
        return request;
    }
}
