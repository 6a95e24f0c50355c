package io.kongjava.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kongjava.it.KongHarness.KongVersion;
import io.kongjava.testing.anthropic.FakeAnthropic;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * java-ai-sanitizer under Kong's own plugin-server client (kong-harness: Kong's unmodified Lua under nginx),
 * for each Kong version the harness ships: behind java-ai-proxy, and alone in front of the provider as the
 * Service. Kong sends the request to the server's relay because of the access phase's set_target; the stream
 * comes back through the relay's filters to Kong and on to the client.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SanitizerHarnessTest {

    static final String REAL_KEY = "sk-ant-real-key-for-the-harness-sanitizer";
    static final String MODEL = "claude-opus-5-5";
    static final ObjectMapper JSON = new ObjectMapper();

    static SanitizerScenarios.Gateway through(KongHarness harness, String clientKey) {
        Path log = harness.runDir().resolve("lines.json");
        return new SanitizerScenarios.Gateway() {
            @Override
            public String messagesUrl() {
                return harness.proxyUrl() + "/v1/messages";
            }

            @Override
            public String apiKey() {
                return clientKey;
            }

            @Override
            public JsonNode logLine(String requestId) throws Exception {
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
        };
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(KongVersion.class)
    void behindJavaAiProxy(KongVersion version) throws Exception {
        KongHarness.assumeAvailable();
        try (FakeAnthropic anthropic = FakeAnthropic.start().requireApiKey(REAL_KEY)) {
            String aiProxy = """
                    {"route_type":"llm/v1/chat","llm_format":"anthropic",
                     "auth":{"header_name":"x-api-key","header_value":"%s"},
                     "model":{"provider":"anthropic","name":"%s","options":{"anthropic_version":"2023-06-01","upstream_url":"%s"}},
                     "logging":{"log_statistics":true}}""".formatted(REAL_KEY, MODEL, anthropic.url());
            try (KongHarness harness = KongHarness.start(version, List.of(
                    KongHarness.Plugin.of("java-ai-proxy", aiProxy),
                    KongHarness.Plugin.of("java-ai-sanitizer", "{}"),
                    KongHarness.Plugin.of("java-file-log", "{\"path\": \"@RUN_DIR@/lines.json\"}")), anthropic.url(), 1)) {
                SanitizerScenarios.streamed(through(harness, "sk-client"), anthropic, MODEL);
                SanitizerScenarios.whole(through(harness, "sk-client"), anthropic, MODEL);
            }
        }
    }

    /** nginx closes its connection to the relay when the client leaves (proxy_ignore_client_abort off); the relay passes it on. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(KongVersion.class)
    void aClientThatLeavesWhileTheProviderIsSilentEndsTheUpstreamCallAtOnce(KongVersion version) throws Exception {
        KongHarness.assumeAvailable();
        try (ClientLeavesScenario silent = new ClientLeavesScenario();
             KongHarness harness = KongHarness.start(version, List.of(
                     KongHarness.Plugin.of("java-ai-sanitizer", "{}"),
                     KongHarness.Plugin.of("java-file-log", "{\"path\": \"@RUN_DIR@/lines.json\"}")), silent.url(), 1)) {
            silent.run(harness.proxyUrl() + "/v1/messages", REAL_KEY, harness.runDir().resolve("lines.json"));
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(KongVersion.class)
    void aloneInFrontOfTheService(KongVersion version) throws Exception {
        KongHarness.assumeAvailable();
        try (FakeAnthropic anthropic = FakeAnthropic.start().requireApiKey(REAL_KEY);
             KongHarness harness = KongHarness.start(version, List.of(
                     KongHarness.Plugin.of("java-ai-sanitizer", "{}"),
                     KongHarness.Plugin.of("java-file-log", "{\"path\": \"@RUN_DIR@/lines.json\"}")), anthropic.url(), 1)) {
            SanitizerScenarios.streamed(through(harness, REAL_KEY), anthropic, MODEL);
            SanitizerScenarios.whole(through(harness, REAL_KEY), anthropic, MODEL);
        }
    }
}
