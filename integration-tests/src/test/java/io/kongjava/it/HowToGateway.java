package io.kongjava.it;

import static org.awaitility.Awaitility.await;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.kongjava.gateway.GatewayMain;
import io.kongjava.testing.anthropic.FakeAnthropic;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.time.Duration;
import java.util.Optional;

/**
 * Kong's Claude Code how-to on the local gateway, with the repository's own kong-config/kong.conf and
 * kong-config/kong.yaml. Only what points outside this machine is changed: the Docker paths (through
 * KONG_ variables, as gateway.sh does), the file-log path, and the Anthropic URL, which points at a fake
 * Messages API. A second service, {@code /dead}, is the same but points at a closed port; a third, {@code /slow},
 * has a short read_timeout.
 */
final class HowToGateway implements AutoCloseable {

    /** What the tests pin through kong.yaml's {vault://env/anthropic-pinned-model}: gateway.sh's default. */
    static final String PINNED_MODEL = "claude-opus-5-5";
    /**
     * The {@code /broken} route's java-ai-proxy has this (deprecated) upstream_path: Kong's schema takes any string,
     * but no URL can be built from a malformed percent escape, so the access phase throws for every request there. It
     * stands for any unexpected exception in access; its Service URL is the fake, where a fail-open would show.
     */
    static final String BROKEN_UPSTREAM_PATH = "/v1/messages%zz";
    /**
     * A plugin server started with this environment cannot start java-ai-proxy's relay: KONG_JAVA_OPTS (the
     * launcher's documented JVM options) puts the relay on a loopback port this test JVM holds for its whole life,
     * so the relay's listener cannot be opened for any request. It stands for a relay that is not ready, with no
     * hook in the plugin.
     */
    static final Map<String, String> RELAY_CANNOT_START = Map.of("KONG_JAVA_OPTS",
            "-Dkong.java.relay.port=" + BusyPort.PORT);

    /**
     * A loopback port held open by this JVM until it exits. The socket stays referenced: an unreachable one is closed
     * by its cleaner at the next GC, and the port is free again (the relay then started, and a request went through).
     */
    private static final class BusyPort {
        @SuppressWarnings("resource") // held on purpose until the JVM exits
        private static final java.net.ServerSocket HELD = open();
        static final int PORT = HELD.getLocalPort();

        private static java.net.ServerSocket open() {
            try {
                return new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }
    /** The {@code /slow} route's service gives up on a silent provider after this long. */
    static final int SLOW_READ_TIMEOUT_MS = 1500;
    private static final ObjectMapper JSON = new ObjectMapper();

    final FakeAnthropic anthropic;
    final Path logFile;
    /** Kong's prefix: the server's socket, and the gateway's client_body_temp, where bodies over 8 KiB are spooled. */
    final Path prefix;
    final int proxyPort;
    private final GatewayMain.Running gateway;

    private HowToGateway(FakeAnthropic anthropic, Path logFile, Path prefix, int proxyPort, GatewayMain.Running gateway) {
        this.anthropic = anthropic;
        this.prefix = prefix;
        this.logFile = logFile;
        this.proxyPort = proxyPort;
        this.gateway = gateway;
    }

    /**
     * Starts the fake provider (accepting only {@code realKey}) and the gateway, whose env vault holds the key, as
     * gateway.sh starts it: the plugin server in the gateway's JVM ({@code --plugins-in-process}).
     */
    static HowToGateway start(String realKey) throws Exception {
        return start(realKey, "", Map.of(), true);
    }

    /** As {@link #start(String)}, with {@code serverFlags} added to the plugin server's start command. */
    static HowToGateway start(String realKey, String serverFlags) throws Exception {
        return start(realKey, serverFlags, Map.of());
    }

    /**
     * As {@link #start(String, String)}, with {@code serverEnv} set for the plugin server. The gateway, like Kong,
     * starts the server with an almost empty environment, so the variables go in its start command
     * ({@code env NAME=VALUE ... kong-java-pluginserver ...}), as an operator would write pluginserver_X_start_cmd.
     */
    static HowToGateway start(String realKey, String serverFlags, Map<String, String> serverEnv) throws Exception {
        return start(realKey, serverFlags, serverEnv, false);
    }

    private static HowToGateway start(String realKey, String serverFlags, Map<String, String> serverEnv, boolean pluginsInProcess)
            throws Exception {
        FakeAnthropic anthropic = FakeAnthropic.start().requireApiKey(realKey);
        try {
            Path dir = Files.createTempDirectory("claude-how-to");
            Path logFile = dir.resolve("claude.json");
            int proxyPort = LocalGatewayScenarios.freePort();
            Path repo = Distribution.repositoryRoot();
            Path yaml = dir.resolve("kong.yaml");
            Files.writeString(yaml, pointedAtTheFake(Files.readString(repo.resolve("kong-config/kong.yaml")), anthropic.url(), logFile,
                    LocalGatewayScenarios.freePort()));
            Path prefix = dir.resolve("prefix");
            String server = Distribution.bin("kong-java-pluginserver").toString();
            StringBuilder envPrefix = new StringBuilder();
            serverEnv.forEach((name, value) -> envPrefix.append(envPrefix.isEmpty() ? "env " : "").append(name).append("='")
                    .append(value.replace("'", "'\\''")).append("' "));
            Map<String, String> env = new java.util.HashMap<>(Map.of(
                    "KONG_PREFIX", prefix.toString(),
                    "KONG_DECLARATIVE_CONFIG", yaml.toString(),
                    "KONG_PROXY_LISTEN", "127.0.0.1:" + proxyPort,
                    "KONG_PLUGINSERVER_JAVA_AI_PROXY_SOCKET", prefix + "/kong-java-pluginserver.socket",
                    "KONG_PLUGINSERVER_JAVA_AI_PROXY_START_CMD", envPrefix + server + " -kong-prefix " + prefix + (serverFlags.isEmpty() ? "" : " " + serverFlags),
                    "KONG_PLUGINSERVER_JAVA_AI_PROXY_QUERY_CMD", server + " --dump-plugin-info java-ai-proxy",
                    "KONG_PLUGINSERVER_JAVA_FILE_LOG_SOCKET", prefix + "/kong-java-pluginserver.socket",
                    "KONG_PLUGINSERVER_JAVA_FILE_LOG_QUERY_CMD", server + " --dump-plugin-info java-file-log",
                    "ANTHROPIC_API_KEY", realKey));
            // Kong's default buffer rather than kong.conf's 16m: bodies over 8 KiB are then "in a file", where Kong's
            // get_raw_body size rules bite, so the tests see what a Kong without the kong.conf line would do.
            env.put("KONG_NGINX_HTTP_CLIENT_BODY_BUFFER_SIZE", "8k");
            env.put("ANTHROPIC_PINNED_MODEL", PINNED_MODEL);
            return new HowToGateway(anthropic, logFile, prefix, proxyPort, GatewayMain.start(repo.resolve("kong-config/kong.conf"), env,
                    pluginsInProcess));
        } catch (Exception | Error e) {
            anthropic.close();
            throw e;
        }
    }

    static String pointedAtTheFake(String kongYaml, String anthropicUrl, Path logFile, int deadPort) throws Exception {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        ObjectNode root = (ObjectNode) yaml.readTree(kongYaml);
        ObjectNode service = (ObjectNode) root.path("services").get(0);
        ObjectNode deadService = service.deepCopy();
        repoint(service, anthropicUrl, logFile);
        deadService.put("name", "dead-provider");
        ((ObjectNode) deadService.path("routes").get(0)).put("name", "dead").set("paths", JSON.createArrayNode().add("/dead"));
        repoint(deadService, "http://127.0.0.1:" + deadPort, logFile);
        ((ArrayNode) root.path("services")).add(deadService);
        ObjectNode slowService = service.deepCopy();
        slowService.put("name", "slow-provider").put("read_timeout", SLOW_READ_TIMEOUT_MS);
        ((ObjectNode) slowService.path("routes").get(0)).put("name", "slow").set("paths", JSON.createArrayNode().add("/slow"));
        ((ArrayNode) root.path("services")).add(slowService);
        ObjectNode brokenService = service.deepCopy();
        brokenService.put("name", "broken-plugin");
        ((ObjectNode) brokenService.path("routes").get(0)).put("name", "broken").set("paths", JSON.createArrayNode().add("/broken"));
        for (JsonNode plugin : brokenService.path("plugins")) {
            if (plugin.path("name").asText().equals("java-ai-proxy")) {
                ((ObjectNode) plugin.path("config").path("model").path("options")).put("upstream_path", BROKEN_UPSTREAM_PATH);
            }
        }
        ((ArrayNode) root.path("services")).add(brokenService);
        return yaml.writeValueAsString(root);
    }

    private static void repoint(ObjectNode service, String anthropicUrl, Path logFile) {
        // kong.yaml's Service URL is a placeholder; here it is the fake too, so that a request Kong proxies without
        // java-ai-proxy (a fail-open) would show up at the fake, and the tests that expect none would see it.
        service.put("url", anthropicUrl);
        for (JsonNode plugin : service.path("plugins")) {
            ObjectNode config = (ObjectNode) plugin.path("config");
            switch (plugin.path("name").asText()) {
                case "java-ai-proxy" -> ((ObjectNode) config.path("model").path("options")).put("upstream_url", anthropicUrl);
                case "java-file-log" -> config.put("path", logFile.toString());
                default -> { }
            }
        }
    }

    String baseUrl() {
        return "http://127.0.0.1:" + proxyPort;
    }

    /** Every line file-log has written so far. */
    List<JsonNode> logLines() throws Exception {
        List<JsonNode> lines = new ArrayList<>();
        if (Files.exists(logFile)) {
            List<String> text = Files.readAllLines(logFile);
            for (int i = 0; i < text.size(); i++) {
                try {
                    lines.add(JSON.readTree(text.get(i)));
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    if (i < text.size() - 1) {
                        throw e;
                    }
                    // the last line is still being written by the log phase: read it next time
                }
            }
        }
        return lines;
    }

    /** The line file-log wrote for this request, waiting for Kong's later log phase. */
    JsonNode logLine(String requestId) throws Exception {
        return await("a log line for request " + requestId + " in " + logFile)
                .atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50))
                .until(() -> logLines().stream().filter(entry -> entry.path("request").path("id").asText().equals(requestId)).findFirst(),
                        Optional::isPresent)
                .orElseThrow();
    }

    /** The pid of the plugin server process (started with {@code start(key, flags)}; not in process). */
    long pluginServerPid() {
        return gateway.processes().pids().values().iterator().next();
    }

    @Override
    public void close() {
        gateway.close();
        anthropic.close();
    }
}
