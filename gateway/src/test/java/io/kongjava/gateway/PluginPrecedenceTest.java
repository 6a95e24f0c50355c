package io.kongjava.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which configured plugins run for a route, as Kong's plugins iterator picks them: one instance per plugin
 * name, the most specific one (route and service, then route, then service, then global), and all of them
 * in the order of their priority, highest first.
 */
class PluginPrecedenceTest {

    /** Names and priorities as their plugin servers would dump them. */
    private static final Map<String, Long> PRIORITIES = Map.of("java-cors", 2000L, "java-ai-proxy", 770L, "java-file-log", 9L);

    @TempDir
    Path dir;

    private final Map<String, Map<String, Object>> schemas = new LinkedHashMap<>();
    private final Map<String, PluginServerProcesses.Dumped> dumps = new LinkedHashMap<>();
    private DeclarativeConfig config;

    /** Loads {@code yaml} and builds a gateway over it (not started: nothing is listening). */
    private Gateway gateway(String yaml) throws Exception {
        Path file = dir.resolve("kong.yaml");
        Files.writeString(file, yaml);
        PRIORITIES.forEach((name, priority) -> {
            schemas.put(name, PluginSchemas.withLevel(name));
            dumps.put(name, new PluginServerProcesses.Dumped(
                    new KongConf.PluginServerEntry(name, dir.resolve(name + ".socket"), null, "true"), "MsgPack:1",
                    Map.of("Name", name, "Priority", priority, "Phases", List.of("access", "log"), "Schema", schemas.get(name))));
        });
        config = DeclarativeConfig.load(file, schemas, List.copyOf(PRIORITIES.keySet()), name -> null);
        return new Gateway(config, dumps, 1024);
    }

    /** What runs for the named route: {@code plugin=level}, in the order Kong runs them. */
    private List<String> plugins(Gateway gateway, String routeName) {
        DeclarativeConfig.Route route = config.routes.stream().filter(r -> r.name().equals(routeName)).findFirst().orElseThrow();
        return gateway.pluginsFor(route).stream()
                .map(p -> p.entity().name() + "=" + p.entity().config().get("level"))
                .toList();
    }

    @Test
    void theSamePluginOnEveryLevelRunsOnceWithTheMostSpecificConfig() throws Exception {
        try (Gateway gateway = gateway("""
                _format_version: "3.0"
                services:
                  - name: anthropic
                    url: https://api.anthropic.com
                    routes:
                      - name: with-route-plugin
                        paths: [/route]
                        plugins:
                          - name: java-file-log
                            config: {level: route}
                      - name: service-only
                        paths: [/service]
                    plugins:
                      - name: java-file-log
                        config: {level: service}
                  - name: other
                    url: http://other.internal
                    routes:
                      - name: global-only
                        paths: [/global]
                plugins:
                  - name: java-file-log
                    config: {level: global}
                """)) {
            assertThat(plugins(gateway, "with-route-plugin")).containsExactly("java-file-log=route");
            assertThat(plugins(gateway, "service-only")).containsExactly("java-file-log=service");
            assertThat(plugins(gateway, "global-only")).containsExactly("java-file-log=global");
        }
    }

    @Test
    void routeAndServiceTogetherBeatRouteAlone() throws Exception {
        try (Gateway gateway = gateway("""
                _format_version: "3.0"
                services:
                  - name: anthropic
                    url: https://api.anthropic.com
                    routes:
                      - name: claude-code
                        paths: [/anything]
                    plugins:
                      - name: java-file-log
                        config: {level: service}
                  - name: other
                    url: http://other.internal
                plugins:
                  - name: java-file-log
                    config: {level: global}
                  - name: java-file-log
                    route: claude-code
                    service: anthropic
                    config: {level: route+service}
                  - name: java-file-log
                    route: claude-code
                    config: {level: route}
                  - name: java-ai-proxy
                    route: claude-code
                    service: other
                    config: {level: route+another-service}
                """)) {
            assertThat(plugins(gateway, "claude-code"))
                    .as("route+service wins whatever the order in the file; a route paired with another service never applies")
                    .containsExactly("java-file-log=route+service");
        }
    }

    @Test
    void differentPluginsAllRunHighestPriorityFirst() throws Exception {
        try (Gateway gateway = gateway("""
                _format_version: "3.0"
                services:
                  - name: anthropic
                    url: https://api.anthropic.com
                    routes:
                      - name: claude-code
                        paths: [/anything]
                        plugins:
                          - name: java-cors
                            config: {level: route}
                      - name: models
                        paths: [/models]
                    plugins:
                      - name: java-ai-proxy
                        config: {level: service}
                plugins:
                  - name: java-file-log
                    config: {level: global}
                """)) {
            assertThat(plugins(gateway, "claude-code"))
                    .containsExactly("java-cors=route", "java-ai-proxy=service", "java-file-log=global");
            assertThat(plugins(gateway, "models"))
                    .containsExactly("java-ai-proxy=service", "java-file-log=global");
        }
    }
}
