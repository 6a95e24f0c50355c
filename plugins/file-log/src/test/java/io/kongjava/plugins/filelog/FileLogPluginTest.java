package io.kongjava.plugins.filelog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kongjava.pdk.InvalidConfigException;
import io.kongjava.pdk.exchange.ProcessRequestExchange;
import io.kongjava.pdk.exchange.RequestExchange;
import io.kongjava.pdk.testkit.PluginTester;
import io.kongjava.pdk.testkit.TestRequest;
import io.kongjava.pdk.testkit.TestRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileLogPluginTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    Path log;
    ProcessRequestExchange exchange;

    @BeforeEach
    void setUp() {
        log = dir.resolve("claude.json");
        exchange = new ProcessRequestExchange(Duration.ofMinutes(1), Duration.ofMinutes(5), System::nanoTime);
    }

    PluginTester<FileLogConfig> fileLog(String extraConfig) throws InvalidConfigException {
        return PluginTester.of(new FileLogPlugin())
                .configJson("{\"path\":\"" + log + "\"" + extraConfig + "}")
                .exchange(exchange);
    }

    List<JsonNode> lines() throws Exception {
        return Files.readAllLines(log).stream().map(line -> {
            try {
                return JSON.readTree(line);
            } catch (Exception e) {
                throw new AssertionError("not JSON: " + line, e);
            }
        }).toList();
    }

    @Test
    void eachRequestWritesOneLineOfKongsLogRecordWithSecretsRedacted() throws Exception {
        TestRun run = fileLog("").run(TestRequest.post("http://localhost:8000/anything/v1/messages?beta=true", "{\"a\":1}")
                .header("authorization", "Bearer gateway-token")
                .header("proxy-authorization", "Basic abc")
                .header("x-api-key", "sk-ant-client-key") // no java-ai-proxy on this request: redacted all the same
                .header("x_api_key", "sk-ant-underscored") // Kong passes underscores in names: a credential all the same
                .header("proxy_authorization", "Basic def")
                .header("user-agent", "claude-cli/2.0.0")
                .clientIp("10.1.2.3")
                .requestId("req-one")
                .upstreamResponse(201, Map.of("content-type", List.of("application/json")), "{}"));

        assertThat(run.failures()).isEmpty();
        List<JsonNode> lines = lines();
        assertThat(lines).hasSize(1);
        JsonNode line = lines.getFirst();
        assertThat(line.path("request").path("id").asText()).isEqualTo("req-one");
        assertThat(line.path("request").path("method").asText()).isEqualTo("POST");
        assertThat(line.path("request").path("uri").asText()).isEqualTo("/anything/v1/messages?beta=true");
        assertThat(line.path("request").path("querystring").path("beta").asText()).isEqualTo("true");
        assertThat(line.path("request").path("headers").path("authorization").asText()).isEqualTo("REDACTED");
        assertThat(line.path("request").path("headers").path("proxy-authorization").asText()).isEqualTo("REDACTED");
        assertThat(line.path("request").path("headers").path("x-api-key").asText()).isEqualTo("REDACTED");
        assertThat(line.path("request").path("headers").path("x_api_key").asText()).isEqualTo("REDACTED");
        assertThat(line.path("request").path("headers").path("proxy_authorization").asText()).isEqualTo("REDACTED");
        assertThat(line.path("request").path("headers").path("user-agent").asText()).isEqualTo("claude-cli/2.0.0");
        assertThat(line.path("response").path("status").asInt()).isEqualTo(201);
        assertThat(line.path("client_ip").asText()).isEqualTo("10.1.2.3");
        assertThat(line.has("latencies")).isTrue();
        assertThat(line.has("ai")).isFalse();
    }

    @Test
    void theAiBlockOfTheSameRequestJoinsItsLineAndTheAuthHeaderIsHidden() throws Exception {
        CompletableFuture<Object> measured = new CompletableFuture<>();
        exchange.publish("req-ai", "ai", measured);
        // the block arrives 200 ms after the log phase began waiting for it
        measured.completeOnTimeout(Map.of(
                "proxy", Map.of("meta", Map.of("provider_name", "anthropic", "request_mode", "stream"),
                        "usage", Map.of("prompt_tokens", 120, "completion_tokens", 40)),
                "redact_headers", List.of("x-api-key"), "drop_headers", List.of("x-kong-java-relay-ticket")), 200, TimeUnit.MILLISECONDS);

        fileLog("").run(TestRequest.post("http://localhost/anything/v1/messages", "{}")
                .header("x-api-key", "sk-client-key").header("x-kong-java-relay-ticket", "t1").requestId("req-ai"));

        JsonNode line = lines().getFirst();
        assertThat(line.path("ai").path("proxy").path("usage").path("completion_tokens").asInt()).isEqualTo(40);
        assertThat(line.path("ai").path("proxy").path("meta").path("request_mode").asText()).isEqualTo("stream");
        assertThat(line.path("ai").has("redact_headers")).isFalse();
        assertThat(line.path("ai").has("drop_headers")).isFalse();
        assertThat(line.path("request").path("headers").path("x-api-key").asText()).isEqualTo("REDACTED");
        assertThat(line.path("request").path("headers").has("x-kong-java-relay-ticket")).as("not even as REDACTED").isFalse();
    }

    @Test
    void aBlockThatNeverCompletesDelaysTheLineOnlyByAiWaitMs() throws Exception {
        exchange.publish("req-slow", "ai", new CompletableFuture<>());

        long start = System.nanoTime();
        fileLog(",\"ai_wait_ms\":300").run(TestRequest.get("http://localhost/x").requestId("req-slow"));

        assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(300);
        assertThat(lines()).singleElement().satisfies(line -> assertThat(line.has("ai")).isFalse());
    }

    @Test
    void aBlockThatNeverCompletesGivesWayToThePendingOneWhichStillHidesTheAuthHeader() throws Exception {
        exchange.publish("req-abandoned", "ai", new CompletableFuture<>());
        exchange.publish("req-abandoned", "ai_pending", CompletableFuture.completedFuture(Map.of(
                "proxy", Map.of("meta", Map.of("outcome", "abandoned")),
                "redact_headers", List.of("x-api-key"), "drop_headers", List.of("x-kong-java-relay-ticket"))));

        fileLog(",\"ai_wait_ms\":100").run(TestRequest.post("http://localhost/v1/messages", "{}")
                .header("x-api-key", "sk-client-key").requestId("req-abandoned"));

        JsonNode line = lines().getFirst();
        assertThat(line.path("ai").path("proxy").path("meta").path("outcome").asText()).isEqualTo("abandoned");
        assertThat(line.path("request").path("headers").path("x-api-key").asText()).isEqualTo("REDACTED");
    }

    @Test
    void aBlockThatComesJustAfterTheWaitIsFoundThoughItsProducerDroppedThePendingOne() throws Exception {
        CompletableFuture<Object> block = new CompletableFuture<>();
        exchange.publish("req-late", "ai", block);
        exchange.publish("req-late", "ai_pending", CompletableFuture.completedFuture(Map.of("proxy", Map.of("meta", Map.of("outcome", "abandoned")))));
        // java-ai-proxy drops the fallback once its block is there; here that happens right as the wait ends
        RequestExchange racing = new RequestExchange() {
            @Override
            public void publish(String requestId, String key, java.util.concurrent.CompletionStage<?> value) {
                exchange.publish(requestId, key, value);
            }

            @Override
            public Optional<java.util.concurrent.CompletionStage<?>> lookup(String requestId, String key) {
                return exchange.lookup(requestId, key);
            }

            @Override
            public Optional<Object> await(String requestId, String key, Duration timeout) throws InterruptedException {
                Optional<Object> value = exchange.await(requestId, key, timeout);
                if (key.equals("ai") && !block.isDone()) {
                    block.complete(Map.of("proxy", Map.of("meta", Map.of("outcome", "complete"))));
                    exchange.forget(requestId, "ai_pending");
                }
                return value;
            }

            @Override
            public void forget(String requestId, String key) {
                exchange.forget(requestId, key);
            }

            @Override
            public void forgetRequest(String requestId) {
                exchange.forgetRequest(requestId);
            }
        };

        PluginTester.of(new FileLogPlugin()).configJson("{\"path\":\"" + log + "\",\"ai_wait_ms\":10}").exchange(racing)
                .run(TestRequest.get("http://localhost/x").requestId("req-late"));

        assertThat(lines().getFirst().path("ai").path("proxy").path("meta").path("outcome").asText()).isEqualTo("complete");
    }

    @Test
    void aCompletedBlockWinsOverThePendingOne() throws Exception {
        exchange.publish("req-done", "ai", CompletableFuture.completedFuture(Map.of("proxy", Map.of("meta", Map.of("outcome", "complete")))));
        exchange.publish("req-done", "ai_pending", CompletableFuture.completedFuture(Map.of("proxy", Map.of("meta", Map.of("outcome", "abandoned")))));

        fileLog("").run(TestRequest.get("http://localhost/x").requestId("req-done"));

        assertThat(lines().getFirst().path("ai").path("proxy").path("meta").path("outcome").asText()).isEqualTo("complete");
    }

    @Test
    void customFieldsSetValuesAndCopyFieldsOfTheRecord() throws Exception {
        fileLog(",\"custom_fields\":{\"team\":\"platform\",\"copy.of.status\":\"$response.status\",\"price\":\"$$5\"}")
                .run(TestRequest.get("http://localhost/x").upstreamResponse(204, Map.of(), ""));

        JsonNode line = lines().getFirst();
        assertThat(line.path("team").asText()).isEqualTo("platform");
        assertThat(line.path("copy").path("of").path("status").asInt()).isEqualTo(204);
        assertThat(line.path("price").asText()).isEqualTo("$5");
    }

    @Test
    void pathsAreCheckedWithKongsRuleAndWords() {
        for (String accepted : List.of("/tmp/log.txt", "/o vo.loga")) {
            assertThat(catchInvalid("{\"path\":\"" + accepted + "\"}")).as(accepted).isNull();
        }
        for (String rejected : List.of("/ovo*", "/ovo`", "test&thing", "test%thing", "test\\\\thing", " /ovo", "/ovo  ", "x")) {
            InvalidConfigException e = catchInvalid("{\"path\":\"" + rejected + "\"}");
            assertThat(e).as(rejected).isNotNull();
            assertThat(e.errors()).containsEntry("path", "not a valid filename");
        }
        assertThat(catchInvalid("{}").errors()).containsEntry("path", "required field missing");
    }

    @Test
    void thePathRuleIsInTheDumpedSchemaSoKongItselfRefusesABadPathAtLoad() {
        String schema = io.kongjava.pdk.schema.KongSchema.derive("java-file-log", FileLogConfig.class).toString();
        assertThat(schema).contains("match=^[^%s*&%%\\`][^*&%%\\`]*[^%s*&%%\\`]$").contains("err=not a valid filename");
    }

    @Test
    void aCustomFieldKeyThatNamesNoFieldIsRefusedNotEveryLineLost() {
        for (String key : List.of(".", "a..b", ".a", "a.")) {
            assertThat(catchInvalid("{\"path\":\"/tmp/x.log\",\"custom_fields\":{\"" + key + "\":\"x\"}}").errors())
                    .as(key).containsEntry("custom_fields", "'" + key + "' is not a field path: names joined by single dots, none empty");
        }
    }

    @Test
    void luaCannotRunHereSoCustomFieldsByLuaIsRefusedWithTheAlternative() {
        InvalidConfigException e = catchInvalid("{\"path\":\"/tmp/x.log\",\"custom_fields_by_lua\":{\"a\":\"return 1\"}}");

        assertThat(String.valueOf(e.errors())).contains("custom_fields_by_lua").contains("Lua cannot run").contains("custom_fields (a value");
        assertThat(catchInvalid("{\"path\":\"/tmp/x.log\",\"custom_fields_by_lua\":{\"a\":\"\"}}").errors())
                .as("an empty piece of Lua too (the dump's pattern below refuses it in Kong: its old ^$ let it through, then no line"
                        + " was ever written)").containsKey("custom_fields_by_lua.a");
        assertThat(catchInvalid("{\"path\":\"/tmp/x.log\",\"mode\":\"rw-r--r--\"}").errors()).containsKey("mode");
        // in the dumped schema too: Kong then refuses such a config when it is stored, not at the first log phase
        String schema = io.kongjava.pdk.schema.KongSchema.derive("java-file-log", FileLogConfig.class).toString();
        assertThat(schema).contains("custom_fields_by_lua={type=map, keys={type=string}, values={type=string, match=^[^%w%W]$, err=Lua cannot run")
                .contains("mode={type=string, required=true, default=0644, match=^0?[0-7][0-7][0-7]$, err=expected file permissions in octal");
    }

    @Test
    void newFilesGetMode0644UnlessConfiguredLessWhatTheUmaskTakesAsKongsOpenGives() throws Exception {
        // what this process's umask leaves of 0666: the kernel applies it to open(O_CREAT, mode) for Kong and for us
        Path probe = Files.createFile(dir.resolve("umask-probe"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-rw-rw-")));
        java.util.Set<java.nio.file.attribute.PosixFilePermission> allowed = Files.getPosixFilePermissions(probe);

        fileLog("").run(TestRequest.get("http://localhost/x"));
        java.util.Set<java.nio.file.attribute.PosixFilePermission> expected = new java.util.HashSet<>(PosixFilePermissions.fromString("rw-r--r--"));
        expected.retainAll(allowed);
        assertThat(Files.getPosixFilePermissions(log)).isEqualTo(expected);

        log = dir.resolve("private.json");
        fileLog(",\"mode\":\"0600\"").run(TestRequest.get("http://localhost/x"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(log))).isEqualTo("rw-------");
    }

    @Test
    void aMissingDirectoryIsNotCreatedAndTheRequestIsNotFailed() throws Exception {
        log = dir.resolve("no-such-dir/claude.json");

        TestRun run = fileLog("").run(TestRequest.get("http://localhost/x"));

        assertThat(run.failures()).isEmpty();
        assertThat(dir.resolve("no-such-dir")).doesNotExist();
        assertThat(run.logs()).anySatisfy(l -> assertThat(l.toString())
                .contains("[file-log] failed to open the file: No such file or directory"));
    }

    @Test
    void aDiskThatNeverRecoversStillHasItsLossCountedOnceAMinute() throws Exception {
        Files.createDirectory(log);
        FileLogPlugin plugin = new FileLogPlugin();
        long[] now = {0};
        plugin.nanoClock = () -> now[0];
        PluginTester<FileLogConfig> tester = PluginTester.of(plugin).configJson("{\"path\":\"" + log + "\"}").exchange(exchange);

        assertThat(tester.run(TestRequest.get("http://localhost/1")).logs())
                .anySatisfy(l -> assertThat(l.toString()).contains("failed to open the file: Is a directory"));
        now[0] += FileLogPlugin.LOSS_REPORT_EVERY.toNanos() / 2;
        assertThat(tester.run(TestRequest.get("http://localhost/2")).logs()).noneSatisfy(l -> assertThat(l.toString()).contains("[file-log]"));
        now[0] += FileLogPlugin.LOSS_REPORT_EVERY.toNanos() / 2;
        assertThat(tester.run(TestRequest.get("http://localhost/3")).logs()).anySatisfy(l -> assertThat(l.toString())
                .contains("still failing to open " + log + ": Is a directory; lines lost so far: 3"));
        assertThat(tester.run(TestRequest.get("http://localhost/4")).logs()).noneSatisfy(l -> assertThat(l.toString()).contains("[file-log]"));
    }

    InvalidConfigException catchInvalid(String config) {
        try {
            PluginTester.of(new FileLogPlugin()).configJson(config);
            return null;
        } catch (InvalidConfigException e) {
            return e;
        }
    }

    @Test
    void aDirectoryAtThePathIsReportedOnceWithItsReasonAndWritingResumesWhenFixed() throws Exception {
        Files.createDirectory(log);
        PluginTester<FileLogConfig> plugin = fileLog("");

        TestRun first = plugin.run(TestRequest.get("http://localhost/1"));
        TestRun second = plugin.run(TestRequest.get("http://localhost/2"));

        assertThat(first.logs()).anySatisfy(l -> assertThat(l.toString()).contains("failed to open the file: Is a directory"));
        assertThat(second.logs()).noneSatisfy(l -> assertThat(l.toString()).contains("failed to open"));
        Files.delete(log);
        TestRun third = plugin.run(TestRequest.get("http://localhost/3"));
        assertThat(lines()).hasSize(1);
        assertThat(third.logs()).anySatisfy(l -> assertThat(l.toString()).contains("lines lost while it failed: 2"));
        assertThatThrownBy(() -> FileLogPlugin.permissions("9")).isInstanceOf(NumberFormatException.class);
    }
}
