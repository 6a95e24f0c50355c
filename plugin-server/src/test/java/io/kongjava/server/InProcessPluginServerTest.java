package io.kongjava.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kongjava.kongclient.EventOutcome;
import io.kongjava.kongclient.KongPluginInstances;
import io.kongjava.kongclient.KongPluginInstances.PluginEntity;
import io.kongjava.kongclient.PdkHandler.PdkAnswer;
import io.kongjava.kongclient.RpcErrorException;
import io.kongjava.pdk.exchange.ProcessRequestExchange;
import io.kongjava.protocol.InstanceInfo;
import io.kongjava.protocol.KongCall;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The server's plugins in the caller's JVM: Kong's methods as calls, an event on the caller's thread. */
public class InProcessPluginServerTest {

    final InProcessPluginServer server = new InProcessPluginServer(PluginCatalog.of(List.of(new GreeterPlugin())),
            ProcessRequestExchange.shared(), Duration.ofMinutes(10));
    final KongPluginInstances instances = new KongPluginInstances(server);

    @AfterEach
    void close() {
        server.close();
        GreeterPlugin.OBSERVED.clear();
    }

    static PluginEntity greeter(Map<String, Object> config) {
        return new PluginEntity("6a1f0000-0000-4000-8000-000000000001", "test-greeter", config, 1);
    }

    @Test
    void anEventRunsOnTheCallersThreadWithKongAnsweringEachCall() throws Exception {
        Thread caller = Thread.currentThread();
        List<String> calls = new ArrayList<>();
        List<Thread> answeredOn = new ArrayList<>();

        EventOutcome outcome = instances.runPhase(greeter(Map.of("greeting", "hi")), "access", (method, args) -> {
            calls.add(method + args);
            answeredOn.add(Thread.currentThread());
            return PdkAnswer.value(method.equals("kong.request.get_headers") ? Map.of("x-name", List.of("ada")) : null);
        });

        assertThat(outcome).isEqualTo(new EventOutcome.Returned(2));
        assertThat(calls).containsExactly("kong.request.get_headers[]", "kong.response.set_header[x-greeting, hi ada]");
        assertThat(answeredOn).containsOnly(caller);
    }

    @Test
    void valuesCrossAsMessagePackCarriesThem() throws Exception {
        List<Object> argumentsSeen = new ArrayList<>();

        instances.runPhase(greeter(Map.of("extra_calls", 1)), "access", (method, args) -> {
            argumentsSeen.addAll(args);
            // an Integer and an immutable map from Kong's side arrive as the wire's Long and a plain map
            return PdkAnswer.value(method.equals("kong.request.get_headers") ? Map.of("x-name", List.of("bo"), "x-n", List.of(7)) : null);
        });

        assertThat(argumentsSeen).contains("x-name", "x-greeting", "hello bo");
        Map<?, ?> status = (Map<?, ?>) server.call(new KongCall.InstanceStatus(instances.instanceFor(greeter(Map.of("extra_calls", 1)))));
        assertThat(status.get("Id")).isInstanceOf(Long.class);
        assertThat(((Map<?, ?>) status.get("Config")).get("extra_calls")).isEqualTo(1L);
    }

    @Test
    void anExitEndsTheEventAndLaterCallsFailInThePlugin() throws Exception {
        EventOutcome outcome = instances.runPhase(greeter(Map.of("deny_header", "x-deny")), "access", (method, args) ->
                method.equals("kong.response.exit") ? new PdkAnswer.Terminal() : PdkAnswer.value("yes"));

        assertThat(outcome).isEqualTo(new EventOutcome.Terminated(2, "kong.response.exit"));
        assertThat(GreeterPlugin.OBSERVED.poll()).startsWith("after exit: ").contains("is over (kong.response.exit was called)");
    }

    @Test
    void aRaisedPdkFunctionAbandonsTheEventAsKongDoes() throws Exception {
        EventOutcome outcome = instances.runPhase(greeter(Map.of()), "access", (method, args) -> new PdkAnswer.Raised("bad argument #1"));

        assertThat(outcome).isEqualTo(new EventOutcome.Raised(1, "kong.request.get_headers", "bad argument #1"));
    }

    /** Redacts the buffered answer in its response phase, and has a bug there. */
    @io.kongjava.pdk.KongPlugin.Info(name = "test-redactor", version = "1.0.0", priority = 5)
    public static final class FailingRedactor implements io.kongjava.pdk.KongPlugin<FailingRedactor.Config> {
        public record Config() {
        }

        @Override
        public void response(io.kongjava.pdk.Kong kong, Config config) {
            throw new IllegalStateException("redaction bug on purpose");
        }
    }

    @Test
    void aPluginThatThrowsInResponseEndsTheRequestWithKongs500RatherThanLetTheAnswerThrough() throws Exception {
        try (InProcessPluginServer redacting = new InProcessPluginServer(PluginCatalog.of(List.of(new FailingRedactor())),
                ProcessRequestExchange.shared(), Duration.ofMinutes(10))) {
            List<String> calls = new ArrayList<>();
            EventOutcome outcome = new KongPluginInstances(redacting).runPhase(
                    new PluginEntity("6a1f0000-0000-4000-8000-000000000009", "test-redactor", Map.of(), 1), "response", (method, args) -> {
                        calls.add(method + args);
                        return method.equals("kong.response.error") ? new PdkAnswer.Terminal() : PdkAnswer.value(null);
                    });
            assertThat(outcome).isEqualTo(new EventOutcome.Terminated(2, "kong.response.error"));
            assertThat(calls).last().isEqualTo("kong.response.error[500]");
        }
    }

    @Test
    void aPluginThatThrowsInAccessEndsTheRequestWithKongs500AsItWouldOverTheSocket() throws Exception {
        List<String> calls = new ArrayList<>();
        EventOutcome outcome = instances.runPhase(greeter(Map.of("fail", true)), "access", (method, args) -> {
            calls.add(method + args);
            return method.equals("kong.response.error") ? new PdkAnswer.Terminal() : PdkAnswer.value(null);
        });

        assertThat(outcome).isEqualTo(new EventOutcome.Terminated(2, "kong.response.error"));
        assertThat(calls).containsExactly("kong.log.err[plugin test-greeter failed in access: java.lang.IllegalStateException: plugin bug on purpose]",
                "kong.response.error[500]");
    }

    @Test
    void thePluginIdIsAnsweredFromTheInstanceWithoutAskingKong() throws Exception {
        List<String> calls = new ArrayList<>();

        instances.runPhase(greeter(Map.of("tell_plugin_id", true)), "access", (method, args) -> {
            calls.add(method + args);
            return PdkAnswer.value(null);
        });

        assertThat(calls).first().isEqualTo("kong.response.set_header[x-plugin-id, 6a1f0000-0000-4000-8000-000000000001]");
    }

    @Test
    void kongsMethodsAnswerWithTheServersErrors() throws Exception {
        assertThatThrownBy(() -> server.handleEvent(42, "access", (method, args) -> PdkAnswer.value(null)))
                .isInstanceOfSatisfying(RpcErrorException.class, e -> assertThat(e.isNoPluginInstance()).isTrue());
        assertThatThrownBy(() -> server.call(new KongCall.StartInstance("test-greeter", "{\"greeting\":\" \"}")))
                .isInstanceOf(RpcErrorException.class).hasMessageContaining("greeting: must not be blank");
        long id = InstanceInfo.idOf(server.call(new KongCall.StartInstance("test-greeter", "{}")));
        server.call(new KongCall.CloseInstance(id));
        assertThatThrownBy(() -> server.call(new KongCall.InstanceStatus(id))).hasMessageContaining("no plugin instance");
    }

    @Test
    void thePhasesAPluginDoesNotHaveReturnAtOnce() throws Exception {
        EventOutcome outcome = instances.runPhase(greeter(Map.of()), "rewrite", (method, args) -> {
            throw new AssertionError("no call expected: " + method);
        });

        assertThat(outcome).isEqualTo(new EventOutcome.Returned(0));
    }

    @Test
    void theLaunchersArgumentsChooseThePluginsDirectory() throws Exception {
        Path empty = Files.createTempDirectory("kjp-in-process");
        try (InProcessPluginServer fromArguments = InProcessPluginServer.fromArguments("--plugins-directory", empty.toString(),
                "-kong-prefix", "/usr/local/kong", "--instance-idle-timeout", "60")) {
            // an empty plugins directory: the class path's plugins, as the launcher's server would serve
            assertThat(fromArguments.pluginNames()).contains("java-hello", "test-greeter");
        } finally {
            Files.delete(empty);
        }
        assertThatThrownBy(() -> InProcessPluginServer.fromArguments("--plugins-directory", "/no/such/dir"))
                .hasMessageContaining("/no/such/dir");
        assertThatThrownBy(() -> InProcessPluginServer.fromArguments("--no-such-option")).hasMessageContaining("unknown option --no-such-option");
    }

    /** A plugin whose access phase waits until the test lets it go. */
    @io.kongjava.pdk.KongPlugin.Info(name = "test-stuck", version = "1.0.0", priority = 1)
    public static final class StuckPlugin implements io.kongjava.pdk.KongPlugin<StuckPlugin.Config> {
        public record Config() {
        }

        final java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);

        @Override
        public void access(io.kongjava.pdk.Kong kong, Config config) throws io.kongjava.pdk.PdkException {
            kong.request().getMethod();
            try {
                release.await(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Test
    void anEventThatRunsPastKongsTimeoutIsNamedInTheLogOnce() throws Exception {
        StuckPlugin stuck = new StuckPlugin();
        List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger(InProcessPluginServer.class.getName());
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord record) {
                if (record.getLevel() == java.util.logging.Level.WARNING) {
                    warnings.add(record.getMessage());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(capture);
        try (InProcessPluginServer slow = new InProcessPluginServer(PluginCatalog.of(List.of(stuck)), ProcessRequestExchange.shared(),
                Duration.ofMinutes(10), Duration.ofMillis(100)).start()) {
            KongPluginInstances kong = new KongPluginInstances(slow);
            var event = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return kong.runPhase(new PluginEntity("6a1f0000-0000-4000-8000-000000000002", "test-stuck", Map.of(), 1), "access",
                            (method, args) -> PdkAnswer.value("GET"));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });

            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !warnings.isEmpty());
            Thread.sleep(300); // a few more sweeps: still one warning
            stuck.release.countDown();

            assertThat(event.get(5, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(new EventOutcome.Returned(1));
            assertThat(warnings).singleElement().asString().startsWith("plugin test-stuck has run its access phase for more than 0 s in process")
                    .contains("1 PDK call(s) so far");
        } finally {
            logger.removeHandler(capture);
        }
    }
}
