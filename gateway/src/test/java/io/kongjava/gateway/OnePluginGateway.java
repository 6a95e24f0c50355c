package io.kongjava.gateway;

import io.kongjava.http.HeaderLimits;
import io.kongjava.kongclient.PluginServerClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A gateway with one external plugin that has no config fields, answered by a {@link PluginServerClient} in this JVM
 * instead of a plugin server process: service {@code svc} at the upstream's port, route {@code r} on {@code /r}.
 * Not started, so a test can still set the gateway's knobs.
 */
final class OnePluginGateway {

    private OnePluginGateway() {
    }

    /** The plugin on route {@code r}. */
    static Gateway onRoute(Path dir, int upstreamPort, String plugin, String phase, PluginServerClient server)
            throws IOException, ConfigException {
        return gateway(dir, upstreamPort, plugin, phase, server, """
                    routes:
                      - name: r
                        paths: [/r]
                        plugins:
                          - name: %s
                """.formatted(plugin));
    }

    /** The plugin applied globally, as Kong runs a plugin with no route or service. */
    static Gateway global(Path dir, int upstreamPort, String plugin, String phase, PluginServerClient server)
            throws IOException, ConfigException {
        return gateway(dir, upstreamPort, plugin, phase, server, """
                    routes:
                      - name: r
                        paths: [/r]
                plugins:
                  - name: %s
                """.formatted(plugin));
    }

    /** As {@link #global}, with the Service's read_timeout. */
    static Gateway global(Path dir, int upstreamPort, String plugin, String phase, PluginServerClient server, int readTimeoutMs)
            throws IOException, ConfigException {
        return gateway(dir, upstreamPort, "    read_timeout: " + readTimeoutMs + "\n", plugin, phase, server, """
                    routes:
                      - name: r
                        paths: [/r]
                plugins:
                  - name: %s
                """.formatted(plugin));
    }

    /** The kong.yaml the gateway was loaded from; its line numbers appear in config errors. */
    static Path yaml(Path dir) {
        return dir.resolve("kong.yaml");
    }

    private static Gateway gateway(Path dir, int upstreamPort, String plugin, String phase, PluginServerClient server, String rest)
            throws IOException, ConfigException {
        return gateway(dir, upstreamPort, "", plugin, phase, server, rest);
    }

    private static Gateway gateway(Path dir, int upstreamPort, String serviceFields, String plugin, String phase, PluginServerClient server,
                                   String rest) throws IOException, ConfigException {
        Path socket = dir.resolve(plugin + ".socket");
        Map<String, Object> schema = Map.of("name", plugin, "fields", List.of(Map.of("config", Map.of("type", "record", "fields", List.of()))));
        var dumped = new PluginServerProcesses.Dumped(new KongConf.PluginServerEntry(plugin, socket, null, "true"), "MsgPack:1",
                Map.of("Name", plugin, "Priority", 1L, "Phases", List.of(phase), "Schema", schema));
        Files.writeString(yaml(dir), """
                _format_version: "3.0"
                services:
                  - name: svc
                    url: http://127.0.0.1:%d
                """.formatted(upstreamPort) + serviceFields + rest);
        DeclarativeConfig config = DeclarativeConfig.load(yaml(dir), Map.of(plugin, schema), List.of(plugin), name -> null);
        return new Gateway(config, Map.of(plugin, dumped), 1 << 20, HeaderLimits.NGINX_DEFAULT, Map.of(socket, server));
    }
}
