package io.kongjava.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kongjava.it.KongHarness.KongVersion;
import io.kongjava.testing.anthropic.FakeAnthropic;
import io.kongjava.testing.anthropic.Reply;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A response filter that throws, under Kong's own client (kong-harness): the client gets a clean end, never a
 * hang, and java-file-log's line names the filter. The plugin is a jar of its own in a plugins directory beside
 * the distribution's bundled jars, as an operator would add one.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ResponseFilterFailureHarnessTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String MARKER = "POISON";

    static Path pluginsDirectory() throws IOException {
        Path dir = Files.createTempDirectory("it-plugins");
        try (Stream<Path> bundled = Files.list(Distribution.HOME.resolve("plugins"))) {
            for (Path jar : bundled.toList()) {
                Files.copy(jar, dir.resolve(jar.getFileName()));
            }
        }
        Path classes = Path.of("target/test-classes");
        try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(dir.resolve("it-failing-filter.jar")));
             Stream<Path> files = Files.list(classes.resolve("io/kongjava/it"))) {
            for (Path file : files.filter(f -> f.getFileName().toString().startsWith("FailingFilterPlugin")).toList()) {
                jar.putNextEntry(new JarEntry("io/kongjava/it/" + file.getFileName()));
                Files.copy(file, jar);
                jar.closeEntry();
            }
            jar.putNextEntry(new JarEntry("META-INF/services/io.kongjava.pdk.KongPlugin"));
            jar.write((FailingFilterPlugin.class.getName() + "\n").getBytes());
            jar.closeEntry();
        }
        return dir;
    }

    @Test
    void aFilterThatThrowsMidStreamBreaksTheResponseOffAndTheLogLineSaysSo() throws Exception {
        KongHarness.assumeAvailable();
        Path plugins = pluginsDirectory();
        String server = KongHarness.pluginServer() + " --plugins-directory " + plugins;
        try (FakeAnthropic anthropic = FakeAnthropic.start();
             KongHarness harness = KongHarness.start(KongVersion.V3_10_DEV, List.of(
                     new KongHarness.Plugin("it-failing-filter", "{\"marker\":\"" + MARKER + "\"}", server + " --dump-plugin-info it-failing-filter"),
                     new KongHarness.Plugin("java-file-log", "{\"path\": \"@RUN_DIR@/lines.json\"}", server + " --dump-plugin-info java-file-log")),
                     anthropic.url(), 1, java.util.Map.of(), List.of("--plugins-directory", plugins.toString()))) {
            anthropic.enqueue(Reply.text("one two three " + MARKER + " four five").eventDelay(Duration.ofMillis(20)));
            HttpResponse<java.io.InputStream> streamed = HttpClient.newHttpClient().sendAsync(HttpRequest.newBuilder(URI.create(harness.proxyUrl() + "/v1/messages"))
                    .header("content-type", "application/json").header("x-api-key", "sk-any").header("anthropic-version", "2023-06-01")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\",\"max_tokens\":9,\"stream\":true,"
                            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build(), HttpResponse.BodyHandlers.ofInputStream())
                    .get(30, TimeUnit.SECONDS);

            assertThat(streamed.statusCode()).isEqualTo(200);
            // what passed the filter, then no proper end: through Kong's nginx too, the answer is seen incomplete
            java.io.ByteArrayOutputStream received = new java.io.ByteArrayOutputStream();
            try (java.io.InputStream body = streamed.body()) {
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> body.transferTo(received)).isInstanceOf(java.io.IOException.class);
            }
            assertThat(received.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("message_start").doesNotContain(MARKER)
                    .doesNotContain("four");
            JsonNode line = logLine(harness, streamed.headers().firstValue("x-kong-request-id").orElseThrow());
            assertThat(line.path("relay").path("outcome").asText()).isEqualTo("filter_failed");
            assertThat(line.path("relay").path("failed_filter").asText()).isEqualTo("it-failing-filter");
            assertThat(line.path("relay").path("error").asText()).contains("the filter met its marker");
            assertThat(harness.serverLog()).contains("the response filter of it-failing-filter failed on request");
        }
    }

    static JsonNode logLine(KongHarness harness, String requestId) throws Exception {
        Path log = harness.runDir().resolve("lines.json");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            if (Files.exists(log)) {
                for (String line : Files.readAllLines(log)) {
                    JsonNode entry = JSON.readTree(line);
                    if (entry.path("request").path("id").asText().equals(requestId)) {
                        return entry;
                    }
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no log line for " + requestId + "\n--- server log ---\n" + harness.serverLog());
    }
}
