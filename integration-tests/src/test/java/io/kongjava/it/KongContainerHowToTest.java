package io.kongjava.it;

import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kongjava.testing.anthropic.FakeAnthropic;
import io.kongjava.testing.anthropic.RecordedRequest;
import io.kongjava.testing.anthropic.Reply;
import io.kongjava.testing.anthropic.Usage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.images.builder.Transferable;
import java.util.Optional;

/**
 * Real Kong in a container built from kong-config/Dockerfile (our distribution added to the official
 * image), configured by kong-config/kong.env and the how-to's kong.yaml, with the fake Anthropic API on
 * a host port. Kong image: {@code -Dkong.image=kong:3.9} (default) or e.g. {@code kong/kong-gateway:3.13}.
 * Skipped where no Docker engine answers.
 */
@RequiresDocker
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class KongContainerHowToTest {

    static final String REAL_KEY = "sk-ant-api03-key-inside-the-kong-container";
    static final String LOG_PATH = "/tmp/claude.json";
    static final ObjectMapper JSON = new ObjectMapper();

    FakeAnthropic anthropic;
    GenericContainer<?> kong;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    void startKong() throws Exception {
        anthropic = FakeAnthropic.start().requireApiKey(REAL_KEY);
        org.testcontainers.Testcontainers.exposeHostPorts(anthropic.port());
        Path repo = Distribution.repositoryRoot();
        String yaml = HowToGateway.pointedAtTheFake(Files.readString(repo.resolve("kong-config/kong.yaml")),
                "http://host.testcontainers.internal:" + anthropic.port(), Path.of(LOG_PATH), 9);
        ImageFromDockerfile image = new ImageFromDockerfile("kong-java-pdk-it", false)
                .withFileFromPath("kong-config", repo.resolve("kong-config"))
                .withFileFromPath("distribution/target/kong-java-pdk", Distribution.HOME)
                .withFileFromPath("Dockerfile", repo.resolve("kong-config/Dockerfile"))
                .withBuildArg("KONG_IMAGE", System.getProperty("kong.image", "kong:3.9"));
        kong = new GenericContainer<>(image)
                .withEnv(kongEnv(repo.resolve("kong-config/kong.env")))
                .withEnv("KONG_DECLARATIVE_CONFIG", "/kong-it/kong.yaml")
                // kong.env keeps the Admin API on the container's loopback; the readiness check below asks it from outside
                .withEnv("KONG_ADMIN_LISTEN", "0.0.0.0:8001")
                .withEnv("ANTHROPIC_API_KEY", REAL_KEY)
                .withEnv("ANTHROPIC_PINNED_MODEL", HowToGateway.PINNED_MODEL)
                .withCopyToContainer(Transferable.of(yaml.getBytes(StandardCharsets.UTF_8), 0644), "/kong-it/kong.yaml")
                .withAccessToHost(true)
                .withExposedPorts(8000, 8001)
                // Kong's /status answers before its worker has the plugin server listening: a request then would get
                // Kong's 500 (no instance), so the server's own "listening on" line (Kong copies its output to the log) too
                .waitingFor(new org.testcontainers.containers.wait.strategy.WaitAllStrategy()
                        .withStrategy(Wait.forHttp("/status").forPort(8001))
                        .withStrategy(Wait.forLogMessage("(?s).*listening on .*kong-java-pluginserver\\.socket.*", 1))
                        .withStartupTimeout(Duration.ofMinutes(3)));
        kong.start();
    }

    static Map<String, String> kongEnv(Path envFile) throws Exception {
        Map<String, String> env = new LinkedHashMap<>();
        for (String line : Files.readAllLines(envFile)) {
            if (!line.isBlank() && !line.startsWith("#") && line.contains("=")) {
                env.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
            }
        }
        return env;
    }

    @AfterAll
    void stop() {
        if (kong != null) {
            kong.stop();
        }
        if (anthropic != null) {
            anthropic.close();
        }
    }

    HttpResponse<String> post(String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + kong.getHost() + ":" + kong.getMappedPort(8000)
                        + "/anything/v1/messages?beta=true"))
                .header("x-api-key", "sk-dummy").header("anthropic-version", "2023-06-01").header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    JsonNode logLine(String requestId) throws Exception {
        return await("a line for request " + requestId + " in the container's " + LOG_PATH)
                .atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                .until(() -> {
                    String content;
                    try {
                        content = kong.copyFileFromContainer(LOG_PATH, in -> new String(in.readAllBytes(), StandardCharsets.UTF_8));
                    } catch (RuntimeException notYet) {
                        content = "";
                    }
                    for (String line : content.lines().toList()) {
                        JsonNode entry = JSON.readTree(line);
                        if (entry.path("request").path("id").asText().equals(requestId)) {
                            return Optional.of(entry);
                        }
                    }
                    return Optional.<JsonNode>empty();
                }, Optional::isPresent).orElseThrow();
    }

    @Test
    void aPlainMessageGoesThroughKongWithTheKeyAndIsLogged() throws Exception {
        anthropic.enqueue(Reply.text("4").usage(Usage.of(15, 2)));

        HttpResponse<String> response = post(ClaudeCodeHowToTest.message(HowToGateway.PINNED_MODEL, false));

        assertThat(response.statusCode()).as(kong.getLogs()).isEqualTo(200);
        RecordedRequest upstream = anthropic.takeRequest();
        assertThat(upstream.header("x-api-key")).hasValue(REAL_KEY);
        assertThat(upstream.target()).isEqualTo("/v1/messages?beta=true");
        JsonNode line = logLine(response.headers().firstValue("x-kong-request-id").orElseThrow());
        assertThat(line.path("ai").path("proxy").path("usage").path("total_tokens").asLong()).isEqualTo(17);
        assertThat(line.path("ai").path("proxy").path("meta").path("request_mode").asText()).isEqualTo("oneshot");
    }

    @Test
    void aStreamedMessageGoesThroughKongAsSseAndIsLogged() throws Exception {
        anthropic.enqueue(Reply.text("one two three").usage(Usage.of(30, 3)).eventDelay(Duration.ofMillis(50)));

        HttpResponse<String> response = post(ClaudeCodeHowToTest.message(HowToGateway.PINNED_MODEL, true));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).startsWith("event: message_start").contains("event: message_stop");
        JsonNode line = logLine(response.headers().firstValue("x-kong-request-id").orElseThrow());
        assertThat(line.path("ai").path("proxy").path("usage").path("completion_tokens").asLong()).isEqualTo(3);
        assertThat(line.path("ai").path("proxy").path("meta").path("request_mode").asText()).isEqualTo("stream");
    }
}
