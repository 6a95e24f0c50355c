package io.kongjava.server;

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
}
