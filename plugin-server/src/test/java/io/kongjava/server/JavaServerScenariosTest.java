package io.kongjava.server;

import io.kongjava.kongclient.EventOutcome;
import static org.assertj.core.api.Assertions.assertThat;

import io.kongjava.pdk.exchange.ProcessRequestExchange;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The Kong-side scenarios against our server, in process. */
class JavaServerScenariosTest extends KongSideScenarios {

    private Path dir;
    private PluginServer server;

    @Override
    protected Path startServer() throws Exception {
        dir = Files.createTempDirectory("kjp");
        server = new PluginServer(dir.resolve("java.socket"), PluginCatalog.of(List.of(new GreeterPlugin())),
                ProcessRequestExchange.shared(), PluginServer.Settings.defaults()).start();
        return server.socketPath();
    }

    @Override
    protected void stopServer() throws Exception {
        server.close();
        Files.deleteIfExists(dir);
    }

    @Override
    protected void assertThrowingPluginEnded(EventOutcome outcome, FakeKong request) {
        assertThat(outcome).as("Kong's 500, as for a Lua plugin's error: not proxied without the plugin")
                .isEqualTo(new EventOutcome.Terminated(2, "kong.response.error"));
        assertThat(request.calls).containsExactly(
                "kong.log.err[plugin test-greeter failed in access: java.lang.IllegalStateException: plugin bug on purpose]",
                "kong.response.error[500]");
    }
}
