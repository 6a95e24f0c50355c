package io.kongjava.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.kongjava.gateway.GatewayMain;
import io.kongjava.testing.anthropic.FakeAnthropic;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * java-ai-sanitizer under the local gateway, from the distribution: behind java-ai-proxy on the how-to's route
 * ({@code /anything}, both filters in one relay pass), and alone on a route whose Service is the fake provider
 * itself ({@code /direct}, the relay calling the Service).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SanitizerLocalGatewayTest {

    static final String REAL_KEY = "sk-ant-real-key-for-the-sanitizer";
    static FakeAnthropic anthropic;
    static GatewayMain.Running gateway;
    static Path logFile;
    static int proxyPort;
    static ClientLeavesScenario silent;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        anthropic = FakeAnthropic.start().requireApiKey(REAL_KEY);
        Path dir = Files.createTempDirectory("sanitizer-gw");
        logFile = dir.resolve("lines.json");
        proxyPort = LocalGatewayScenarios.freePort();
        Path repo = Distribution.repositoryRoot();
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        ObjectNode root = (ObjectNode) yaml.readTree(HowToGateway.pointedAtTheFake(Files.readString(repo.resolve("kong-config/kong.yaml")),
                anthropic.url(), logFile, LocalGatewayScenarios.freePort()));
        ObjectNode howTo = (ObjectNode) root.path("services").get(0);
        ((ArrayNode) howTo.path("plugins")).addObject().put("name", "java-ai-sanitizer");
        ObjectNode openAi = howTo.deepCopy();
        openAi.put("name", "openai");
        ((ObjectNode) openAi.path("routes").get(0)).put("name", "openai").set("paths", JSON.createArrayNode().add("/openai"));
        for (JsonNode plugin : openAi.path("plugins")) {
            if (plugin.path("name").asText().equals("java-ai-proxy")) {
                ((ObjectNode) plugin.path("config")).put("llm_format", "openai");
            }
        }
        ((ArrayNode) root.path("services")).add(openAi);
        ObjectNode direct = ((ArrayNode) root.path("services")).addObject();
        direct.put("name", "direct").put("url", anthropic.url());
        direct.putArray("routes").addObject().put("name", "direct").put("strip_path", true).putArray("paths").add("/direct");
        ArrayNode plugins = direct.putArray("plugins");
        plugins.addObject().put("name", "java-ai-sanitizer");
        plugins.addObject().put("name", "java-file-log").putObject("config").put("path", logFile.toString());
        silent = new ClientLeavesScenario();
        ObjectNode silentService = ((ArrayNode) root.path("services")).addObject();
        silentService.put("name", "silent").put("url", silent.url()).put("read_timeout", 30_000);
        silentService.putArray("routes").addObject().put("name", "silent").put("strip_path", true).putArray("paths").add("/silent");
        silentService.set("plugins", plugins.deepCopy());
        ObjectNode advanced = ((ArrayNode) root.path("services")).addObject();
        advanced.put("name", "advanced").put("url", "http://java-ai-proxy-placeholder.invalid");
        advanced.putArray("routes").addObject().put("name", "advanced").putArray("paths").add("/advanced");
        ArrayNode advancedPlugins = advanced.putArray("plugins");
        advancedPlugins.addObject().put("name", "java-ai-sanitizer");
        advancedPlugins.addObject().put("name", "java-ai-proxy-advanced").set("config", JSON.readTree("""
                {"llm_format":"anthropic","targets":[{"model":{"provider":"anthropic","name":"%s",
                  "options":{"anthropic_version":"2023-06-01","upstream_url":"%s"}},
                 "auth":{"header_name":"x-api-key","header_value":"%s"},"logging":{"log_statistics":true,"log_payloads":true}}]}"""
                .formatted(HowToGateway.PINNED_MODEL, anthropic.url(), REAL_KEY)));
        advancedPlugins.addObject().put("name", "java-file-log").putObject("config").put("path", logFile.toString());
        Path kongYaml = dir.resolve("kong.yaml");
        Files.writeString(kongYaml, yaml.writeValueAsString(root));

        Path prefix = dir.resolve("prefix");
        String server = Distribution.bin("kong-java-pluginserver").toString();
        String socket = prefix + "/kong-java-pluginserver.socket";
        Map<String, String> env = new HashMap<>(Map.of(
                "KONG_PREFIX", prefix.toString(),
                "KONG_DECLARATIVE_CONFIG", kongYaml.toString(),
                "KONG_PROXY_LISTEN", "127.0.0.1:" + proxyPort,
                "KONG_PLUGINS", "bundled,java-ai-proxy,java-file-log,java-ai-sanitizer,java-ai-proxy-advanced",
                "KONG_PLUGINSERVER_NAMES", "java-ai-proxy,java-file-log,java-ai-sanitizer,java-ai-proxy-advanced",
                "KONG_PLUGINSERVER_JAVA_AI_PROXY_SOCKET", socket,
                "KONG_PLUGINSERVER_JAVA_AI_PROXY_START_CMD", server + " -kong-prefix " + prefix,
                "KONG_PLUGINSERVER_JAVA_AI_PROXY_QUERY_CMD", server + " --dump-plugin-info java-ai-proxy",
                "KONG_PLUGINSERVER_JAVA_FILE_LOG_SOCKET", socket));
        env.putAll(Map.of(
                "KONG_PLUGINSERVER_JAVA_FILE_LOG_QUERY_CMD", server + " --dump-plugin-info java-file-log",
                "KONG_PLUGINSERVER_JAVA_AI_SANITIZER_SOCKET", socket,
                "KONG_PLUGINSERVER_JAVA_AI_SANITIZER_QUERY_CMD", server + " --dump-plugin-info java-ai-sanitizer",
                "KONG_PLUGINSERVER_JAVA_AI_PROXY_ADVANCED_SOCKET", socket,
                "KONG_PLUGINSERVER_JAVA_AI_PROXY_ADVANCED_QUERY_CMD", server + " --dump-plugin-info java-ai-proxy-advanced",
                "ANTHROPIC_API_KEY", REAL_KEY,
                "ANTHROPIC_PINNED_MODEL", HowToGateway.PINNED_MODEL));
        gateway = GatewayMain.start(repo.resolve("kong-config/kong.conf"), env);
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
        if (anthropic != null) {
            anthropic.close();
        }
        if (silent != null) {
            try {
                silent.close();
            } catch (java.io.IOException ignored) {
                // closing anyway
            }
        }
    }

    @Test
    void aClientThatLeavesWhileTheProviderIsSilentEndsTheUpstreamCallAtOnce() throws Exception {
        // with a reset, as a Ctrl-C'd client's kernel closes: the line is still written, with nginx's 499
        JsonNode line = silent.run("http://127.0.0.1:" + proxyPort + "/silent/v1/messages", REAL_KEY, logFile, true);
        assertThat(line.path("response").path("status").asInt()).isEqualTo(499);
    }

    static SanitizerScenarios.Gateway at(String path) {
        return new SanitizerScenarios.Gateway() {
            @Override
            public String apiKey() {
                return path.equals("/direct") ? REAL_KEY : "sk-client";
            }

            @Override
            public String messagesUrl() {
                return "http://127.0.0.1:" + proxyPort + path + "/v1/messages";
            }

            @Override
            public JsonNode logLine(String requestId) throws Exception {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                while (System.nanoTime() < deadline) {
                    if (Files.exists(logFile)) {
                        for (String line : Files.readAllLines(logFile)) {
                            JsonNode entry = JSON.readTree(line);
                            if (entry.path("request").path("id").asText().equals(requestId)) {
                                return entry;
                            }
                        }
                    }
                    Thread.sleep(50);
                }
                throw new AssertionError("no log line for " + requestId);
            }
        };
    }

    @Test
    void behindJavaAiProxyAStreamedAnswerIsRedactedEventByEvent() throws Exception {
        SanitizerScenarios.streamed(at("/anything"), anthropic, HowToGateway.PINNED_MODEL);
    }

    @Test
    void behindJavaAiProxyAWholeAnswerIsRedacted() throws Exception {
        SanitizerScenarios.whole(at("/anything"), anthropic, HowToGateway.PINNED_MODEL);
    }

    @Test
    void anOpenAiClientBehindJavaAiProxyGetsTheRedactedTextTranslated() throws Exception {
        for (boolean stream : new boolean[] {true, false}) {
            anthropic.enqueue(io.kongjava.testing.anthropic.Reply.text(SanitizerScenarios.TEXT));
            java.net.http.HttpResponse<String> response = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + proxyPort + "/openai/v1/chat/completions"))
                            .header("content-type", "application/json")
                            .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"stream\":" + stream
                                    + ",\"messages\":[{\"role\":\"user\",\"content\":\"show me\"}]}")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            org.assertj.core.api.Assertions.assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            org.assertj.core.api.Assertions.assertThat(response.body()).as("stream=" + stream).contains("[REDACTED]")
                    .doesNotContain("sk-ant-").doesNotContain("tttttttt").doesNotContain("jane.doe");
            if (stream) {
                org.assertj.core.api.Assertions.assertThat(response.body()).contains("chat.completion.chunk").endsWith("data: [DONE]\n\n");
            } else {
                org.assertj.core.api.Assertions.assertThat(JSON.readTree(response.body()).path("choices").get(0).path("message")
                        .path("content").asText()).isEqualTo(SanitizerScenarios.REDACTED);
            }
        }
    }

    @Test
    void behindJavaAiProxyAdvancedTheAnswerAndItsLoggedPayloadAreRedacted() throws Exception {
        for (boolean stream : new boolean[] {true, false}) {
            anthropic.enqueue(io.kongjava.testing.anthropic.Reply.text(SanitizerScenarios.TEXT));
            java.net.http.HttpResponse<String> response = SanitizerScenarios.send(at("/advanced"), HowToGateway.PINNED_MODEL, stream);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            assertThat(response.body()).as("stream=" + stream).contains("[REDACTED]").doesNotContain("sk-ant-").doesNotContain("jane.doe");
            String requestId = response.headers().firstValue("x-kong-request-id").orElseThrow();

            JsonNode payload = at("/advanced").logLine(requestId).path("ai").path("proxy").path("payload");
            assertThat(payload.path("response").asText()).as("stream=" + stream + ": the log file gets what the client got")
                    .contains("[REDACTED]").doesNotContain("sk-ant-").doesNotContain("tttttttt").doesNotContain("jane.doe");
        }
    }

    @Test
    void aloneOnARouteTheRelayCallsTheServiceAndRedactsTheStream() throws Exception {
        SanitizerScenarios.streamed(at("/direct"), anthropic, "claude-haiku-4-5");
        SanitizerScenarios.whole(at("/direct"), anthropic, "claude-haiku-4-5");
    }
}
