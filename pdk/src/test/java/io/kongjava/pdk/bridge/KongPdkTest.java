package io.kongjava.pdk.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kongjava.pdk.Kong;
import io.kongjava.pdk.PdkException;
import io.kongjava.pdk.bridge.ScriptedBridge.Call;
import io.kongjava.pdk.entity.Consumer;
import io.kongjava.pdk.entity.Credential;
import io.kongjava.pdk.entity.Route;
import io.kongjava.pdk.entity.Service;
import io.kongjava.pdk.exchange.ProcessRequestExchange;
import io.kongjava.pdk.log.SerializeMode;
import io.kongjava.pdk.node.MemoryStats;
import io.kongjava.pdk.request.UriCaptures;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** What each PDK method sends to Kong and how it reads Kong's answers. */
class KongPdkTest {

    private final ScriptedBridge bridge = new ScriptedBridge();
    private final Kong kong = KongPdk.over(bridge);

    private static byte[] bin(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Nested
    class Request {

        @Test
        void getHeaderSendsTheNameAndReadsStrOrBin() throws PdkException {
            bridge.answer("kong.request.get_header", "application/json").answer("kong.request.get_header", bin("text/plain"));

            assertThat(kong.request().getHeader("Content-Type")).contains("application/json");
            assertThat(kong.request().getHeader("Accept")).contains("text/plain");
            assertThat(bridge.calls()).containsExactly(
                    Call.of("kong.request.get_header", "Content-Type"),
                    Call.of("kong.request.get_header", "Accept"));
        }

        @Test
        void missingHeaderIsEmpty() throws PdkException {
            assertThat(kong.request().getHeader("x-missing")).isEmpty();
        }

        @Test
        void headersAcceptKongsMultimapAndSingleValues() throws PdkException {
            Map<String, Object> kongHeaders = new LinkedHashMap<>();
            kongHeaders.put("accept", List.of("*/*"));
            kongHeaders.put("x-a", List.of("1", bin("2")));
            kongHeaders.put("host", "example.com");
            bridge.answer("kong.request.get_headers", kongHeaders);

            Map<String, List<String>> headers = kong.request().getHeaders();

            assertThat(headers).containsOnly(
                    Map.entry("accept", List.of("*/*")),
                    Map.entry("x-a", List.of("1", "2")),
                    Map.entry("host", List.of("example.com")));
            assertThat(bridge.lastCall()).isEqualTo(Call.of("kong.request.get_headers"));
            // as a Lua plugin looks them up in Kong's table: any case, _ for -
            assertThat(headers.get("Host")).isEqualTo(List.of("example.com"));
            assertThat(headers.get("X_A")).isEqualTo(List.of("1", "2"));
        }

        @Test
        void headersWithALimitSendIt() throws PdkException {
            bridge.answer("kong.request.get_headers", List.of());
            assertThat(kong.request().getHeaders(10)).isEmpty();
            assertThat(bridge.lastCall()).isEqualTo(Call.of("kong.request.get_headers", 10L));
        }

        @Test
        void limitsKongWouldRaiseOnAreRefusedLocally() {
            assertThatThrownBy(() -> kong.request().getHeaders(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("between 1 and 1000");
            assertThatThrownBy(() -> kong.request().getQuery(1001)).isInstanceOf(IllegalArgumentException.class);
            assertThat(bridge.calls()).isEmpty();
        }

        @Test
        void queryFlagsHaveNoValues() throws PdkException {
            bridge.answer("kong.request.get_query", Map.of("debug", List.of(), "a", List.of("1", "2")));
            assertThat(kong.request().getQuery()).containsOnly(
                    Map.entry("debug", List.of()), Map.entry("a", List.of("1", "2")));
            bridge.answer("kong.request.get_query", Map.of("flag", true));
            assertThat(kong.request().getQuery(5)).containsOnly(Map.entry("flag", List.of()));
            assertThat(bridge.lastCall()).isEqualTo(Call.of("kong.request.get_query", 5L));
        }

        @Test
        void queryArgReadsStringFlagAndRepeatedValues() throws PdkException {
            bridge.answer("kong.request.get_query_arg", "v")
                    .answer("kong.request.get_query_arg", true)
                    .answer("kong.request.get_query_arg", List.of("first", "second"))
                    .answer("kong.request.get_query_arg", null);
            assertThat(kong.request().getQueryArg("a")).contains("v");
            assertThat(kong.request().getQueryArg("debug")).contains("");
            assertThat(kong.request().getQueryArg("r")).contains("first");
            assertThat(kong.request().getQueryArg("none")).isEmpty();
            assertThat(bridge.calls()).extracting(Call::args).containsExactly(List.of("a"), List.of("debug"), List.of("r"), List.of("none"));
        }

        @Test
        void rawBodyAlwaysSendsASizeSoKongReadsBufferedFiles() throws PdkException {
            bridge.answer("kong.request.get_raw_body", bin("{\"a\":1}"));
            assertThat(kong.request().getRawBody()).asString(StandardCharsets.UTF_8).isEqualTo("{\"a\":1}");
            assertThat(bridge.lastCall()).isEqualTo(Call.of("kong.request.get_raw_body", 0L));

            bridge.answer("kong.request.get_raw_body", "text body");
            assertThat(kong.request().getRawBody(1_048_576)).asString(StandardCharsets.UTF_8).isEqualTo("text body");
            assertThat(bridge.lastCall()).as("a limit is applied here, not sent: Kong's nil over it would kill the phase unanswered")
                    .isEqualTo(Call.of("kong.request.get_raw_body", 0L));
        }

        @Test
        void aCallKongRefusesInThePhaseIsRefusedAtOnceAndNeverSent() throws PdkException {
            ScriptedBridge logPhase = new ScriptedBridge().inPhase(io.kongjava.catalogue.KongPhase.LOG);
            Kong inLog = KongPdk.over(logPhase);

            assertThatThrownBy(() -> inLog.request().getMethod())
                    .isInstanceOf(PdkException.class)
                    .hasMessageStartingWith("kong.request.get_method: Kong refuses it here: API disabled in the context of log");
            assertThat(logPhase.calls()).as("Kong would raise and never answer: the plugin would wait for its Step timeout").isEmpty();

            logPhase.answer("kong.ctx.shared.get", "v");
            assertThat(inLog.ctx().shared().get("k")).as("answered from the log phase's snapshot").hasValue("v");
        }

        @Test
        void aBodyOverTheLimitIsAnErrorThePluginCanAnswer() {
            bridge.answer("kong.request.get_raw_body", bin("x".repeat(20_000)));

            assertThatThrownBy(() -> kong.request().getRawBody(10_000))
                    .isInstanceOfSatisfying(io.kongjava.pdk.request.BodyTooLargeException.class, e -> {
                        assertThat(e.size()).isEqualTo(20_000);
                        assertThat(e.limit()).isEqualTo(10_000);
                        assertThat(e.declared()).isFalse();
                    })
                    .hasMessage("kong.request.get_raw_body: request body too big: 20000 > 10000 bytes");
        }

        @Test
        void aBodyThatSaysItIsOverTheLimitIsRefusedBeforeKongSendsIt() {
            bridge.answer("kong.request.get_header", "5000000");

            assertThatThrownBy(() -> kong.request().getRawBody(10_000))
                    .isInstanceOfSatisfying(io.kongjava.pdk.request.BodyTooLargeException.class, e -> assertThat(e.declared()).isTrue())
                    .hasMessage("kong.request.get_raw_body: request body too big: Content-Length 5000000 > 10000 bytes");
            assertThat(bridge.calls()).containsExactly(Call.of("kong.request.get_header", "Content-Length"));
        }

        @Test
        void rawBodyThatKongCouldNotReadIsAnError() {
            assertThatThrownBy(() -> kong.request().getRawBody(10))
                    .isInstanceOf(PdkException.class)
                    .hasMessageStartingWith("kong.request.get_raw_body: ")
                    .satisfies(e -> assertThat(((PdkException) e).method()).isEqualTo("kong.request.get_raw_body"));
        }

        @Test
        void scalarGettersAcceptAnyNumberWidth() throws PdkException {
            bridge.answer("kong.request.get_port", 8000L)
                    .answer("kong.request.get_http_version", 2L)
                    .answer("kong.request.get_http_version", 1.1)
                    .answer("kong.request.get_start_time", 1.7000000001234E12)
                    .answer("kong.request.get_method", "POST")
                    .answer("kong.request.get_forwarded_port", 443.0);
            assertThat(kong.request().getPort()).isEqualTo(8000);
            assertThat(kong.request().getHttpVersion()).isEqualTo(2.0);
            assertThat(kong.request().getHttpVersion()).isEqualTo(1.1);
            assertThat(kong.request().getStartTime()).isEqualTo(1_700_000_000_123L);
            assertThat(kong.request().getMethod()).isEqualTo("POST");
            assertThat(kong.request().getForwardedPort()).isEqualTo(443);
        }

        @Test
        void everyStringGetterNamesItsKongFunction() throws PdkException {
            io.kongjava.pdk.request.Request r = kong.request();
            String[] names = {"get_scheme", "get_host", "get_forwarded_scheme", "get_forwarded_host", "get_forwarded_path",
                "get_path", "get_raw_path", "get_path_with_query", "get_raw_query"};
            for (String n : names) {
                bridge.answer("kong.request." + n, n + "-value");
            }
            assertThat(List.of(r.getScheme(), r.getHost(), r.getForwardedScheme(), r.getForwardedHost(), r.getForwardedPath(),
                    r.getPath(), r.getRawPath(), r.getPathWithQuery(), r.getRawQuery()))
                    .containsExactly(java.util.Arrays.stream(names).map(n -> n + "-value").toArray(String[]::new));
            assertThat(bridge.calls()).extracting(Call::method)
                    .containsExactly(java.util.Arrays.stream(names).map(n -> "kong.request." + n).toArray(String[]::new));
            assertThat(bridge.calls()).allSatisfy(c -> assertThat(c.args()).isEmpty());
        }

        @Test
        void missingRequiredStringIsAPdkExceptionNotNull() {
            assertThatThrownBy(() -> kong.request().getPath())
                    .isInstanceOf(PdkException.class)
                    .hasMessageContaining("kong.request.get_path");
        }

        @Test
        void forwardedPrefixMayBeAbsent() throws PdkException {
            assertThat(kong.request().getForwardedPrefix()).isEmpty();
        }

        @Test
        void bodyIsReadOnlyWireShapeAndEmptyTablesArriveAsLists() throws PdkException {
            bridge.answer("kong.request.get_body", Map.of("model", "claude", "max_tokens", 1024L))
                    .answer("kong.request.get_body", List.of())
                    .answer("kong.request.get_header", "application/x-www-form-urlencoded")
                    .answer("kong.request.get_body", Map.of("a", "1"));
            assertThat(kong.request().getBody()).contains(Map.of("model", "claude", "max_tokens", 1024L));
            assertThat(kong.request().getBody("application/json", 100, 0)).contains(List.of());
            assertThat(kong.request().getBody(null, 10, 0)).contains(Map.of("a", "1"));
            assertThat(kong.request().getBody(null, 10, 0)).isEmpty();
            assertThat(bridge.calls()).containsExactly(
                    Call.of("kong.request.get_body"),
                    Call.of("kong.request.get_body", "application/json", 100L, 0L),
                    Call.of("kong.request.get_header", "Content-Type"),
                    Call.of("kong.request.get_body", "application/x-www-form-urlencoded", 10L, 0L),
                    Call.of("kong.request.get_header", "Content-Type"));
        }

        @Test
        void uriCapturesAcceptEmptyListsAndFalseForUnmatchedGroups() throws PdkException {
            bridge.answer("kong.request.get_uri_captures", Map.of("unnamed", List.of("/v1/x", false, "x"), "named", List.of()));
            UriCaptures captures = kong.request().getUriCaptures();
            assertThat(captures.unnamed()).containsExactly("/v1/x", "", "x");
            assertThat(captures.named()).isEmpty();

            bridge.answer("kong.request.get_uri_captures", Map.of("unnamed", List.of(), "named", Map.of("version", "v1")));
            assertThat(kong.request().getUriCaptures().named()).containsExactly(Map.entry("version", "v1"));
        }

        @Test
        void uriCapturesAsKongSendsThemHaveTheWholeMatchAtIndexZeroOfAMap() throws PdkException {
            // Kong's Lua table {[0] = whole, [1] = group, [3] = group}: not an array for MessagePack, so a map
            Map<Object, Object> unnamed = new java.util.LinkedHashMap<>();
            unnamed.put(1L, "42");
            unnamed.put(0L, "/users/42/x");
            unnamed.put(3L, "x");
            bridge.answer("kong.request.get_uri_captures", Map.of("unnamed", unnamed, "named", Map.of("id", "42")));

            UriCaptures captures = kong.request().getUriCaptures();
            assertThat(captures.unnamed()).containsExactly("/users/42/x", "42", "", "x");
            assertThat(captures.named()).containsExactly(Map.entry("id", "42"));
        }
    }

    @Nested
    class Response {

        @Test
        void exitWithHeadersNeverSendsANilBody() throws PdkException {
            kong.response().exit(403, (String) null, Map.of("WWW-Authenticate", List.of("Basic")));
            assertThat(bridge.lastCall()).isEqualTo(Call.terminal("kong.response.exit", 403L, "", Map.of("WWW-Authenticate", "Basic")));
        }

        @Test
        void exitSendsOnlyTheArgumentsNeeded() throws PdkException {
            kong.response().exit(204);
            assertThat(bridge.lastCall()).isEqualTo(Call.terminal("kong.response.exit", 204L));
        }

        @Test
        void anEmptyValueListClearsTheHeaderAsKongsEmptyTableDoes() throws PdkException {
            kong.response().exit(403, "no", Map.of("X-Keep", List.of()));
            assertThat(bridge.lastCall()).isEqualTo(Call.terminal("kong.response.exit", 403L, "no", Map.of("X-Keep", List.of())));
        }

        @Test
        void exitWithTextAndMultiValuedHeaders() throws PdkException {
            kong.response().exit(429, "slow down", Map.of("X-A", List.of("1", "2")));
            assertThat(bridge.lastCall()).isEqualTo(Call.terminal("kong.response.exit", 429L, "slow down", Map.of("X-A", List.of("1", "2"))));
        }

        @Test
        void exitWithBytesSendsBin() throws PdkException {
            kong.response().exit(200, bin("raw"), Map.of());
            Call call = bridge.lastCall();
            assertThat(call.terminal()).isTrue();
            assertThat(call.args().get(1)).isInstanceOf(byte[].class);
            assertThat((byte[]) call.args().get(1)).asString(StandardCharsets.UTF_8).isEqualTo("raw");
        }

        @Test
        void exitJsonSendsATableForKongToEncode() throws PdkException {
            kong.response().exitJson(400, Map.of("error", Map.of("type", "invalid_request_error", "code", 400)), Map.of());
            assertThat(bridge.lastCall()).isEqualTo(Call.terminal("kong.response.exit", 400L,
                    Map.of("error", Map.of("type", "invalid_request_error", "code", 400L))));
        }

        @Test
        void callsAfterExitFailInsteadOfReachingKong() throws PdkException {
            kong.response().exit(403, "no");
            assertThatThrownBy(() -> kong.log().err("after exit")).isInstanceOf(PdkException.class);
            assertThat(bridge.calls()).hasSize(1);
        }

        @Test
        void errorUsesKongsDefaultMessageWhenHeadersFollowANullMessage() throws PdkException {
            kong.response().error(404);
            assertThat(bridge.lastCall()).isEqualTo(Call.terminal("kong.response.error", 404L));

            ScriptedBridge other = new ScriptedBridge();
            KongPdk.over(other).response().error(401, null, Map.of("WWW-Authenticate", List.of("Bearer")));
            assertThat(other.lastCall()).isEqualTo(Call.terminal("kong.response.error", 401L, "Unauthorized", Map.of("WWW-Authenticate", "Bearer")));
        }

        @Test
        void errorWithMessage() throws PdkException {
            kong.response().error(503, "upstream down");
            assertThat(bridge.lastCall()).isEqualTo(Call.terminal("kong.response.error", 503L, "upstream down"));
        }

        @Test
        void invalidStatusIsRefusedBeforeKongKillsThePhase() {
            assertThatThrownBy(() -> kong.response().exit(42)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("status");
            assertThatThrownBy(() -> kong.response().error(302)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("400");
            assertThat(bridge.calls()).isEmpty();
        }

        @Test
        void gettersAndSetters() throws PdkException {
            bridge.answer("kong.response.get_status", 200L)
                    .answer("kong.response.get_source", "service")
                    .answer("kong.response.get_header", List.of("a", "b"))
                    .answer("kong.response.get_headers", Map.of("content-type", List.of("text/event-stream")));
            assertThat(kong.response().getStatus()).isEqualTo(200);
            assertThat(kong.response().getSource()).isEqualTo("service");
            assertThat(kong.response().getHeader("x")).contains("a");
            assertThat(kong.response().getHeaders(50)).containsEntry("content-type", List.of("text/event-stream"));
            kong.response().setStatus(201);
            kong.response().setHeader("X-One", "1");
            kong.response().setHeader("X-Many", List.of("1", "2"));
            kong.response().addHeader("X-Add", "v");
            kong.response().clearHeader("Server");
            kong.response().setHeaders(Map.of("X-Kong-LLM-Model", List.of("anthropic/claude")));
            assertThat(bridge.calls().subList(4, 10)).containsExactly(
                    Call.of("kong.response.set_status", 201L),
                    Call.of("kong.response.set_header", "X-One", "1"),
                    Call.of("kong.response.set_header", "X-Many", List.of("1", "2")),
                    Call.of("kong.response.add_header", "X-Add", "v"),
                    Call.of("kong.response.clear_header", "Server"),
                    Call.of("kong.response.set_headers", Map.of("X-Kong-LLM-Model", "anthropic/claude")));
            assertThat(bridge.calls().get(3)).isEqualTo(Call.of("kong.response.get_headers", 50L));
        }
    }

    @Nested
    class ServiceNamespace {

        @Test
        void upstreamRequestChanges() throws PdkException {
            var request = kong.service().request();
            request.enableBuffering();
            request.setScheme("https");
            request.setPath("/v1/messages");
            request.setRawQuery("beta=true");
            request.setMethod("POST");
            request.setQuery(Map.of("flag", List.of()));
            request.clearQueryArg("key");
            request.setHeader("x-api-key", "secret");
            request.setHeader("accept", List.of("a", "b"));
            request.addHeader("x-add", "1");
            request.clearHeader("authorization");
            request.setHeaders(Map.of("anthropic-version", List.of("2023-06-01")));
            request.setRawBody(bin("{}"));
            request.setRawBody("text");
            assertThat(bridge.calls()).extracting(Call::method).containsExactly(
                    "kong.service.request.enable_buffering", "kong.service.request.set_scheme", "kong.service.request.set_path",
                    "kong.service.request.set_raw_query", "kong.service.request.set_method", "kong.service.request.set_query",
                    "kong.service.request.clear_query_arg", "kong.service.request.set_header", "kong.service.request.set_header",
                    "kong.service.request.add_header", "kong.service.request.clear_header", "kong.service.request.set_headers",
                    "kong.service.request.set_raw_body", "kong.service.request.set_raw_body");
            assertThat(bridge.calls().get(5).args()).containsExactly(Map.of("flag", true));
            assertThat(bridge.calls().get(8).args()).containsExactly("accept", List.of("a", "b"));
            assertThat(bridge.calls().get(11).args()).containsExactly(Map.of("anthropic-version", "2023-06-01"));
            assertThat(bridge.calls().get(12).args().get(0)).isInstanceOf(byte[].class);
            assertThat(bridge.calls().get(13).args()).containsExactly("text");
        }

        @Test
        void setBodyReportsWhetherKongAcceptedIt() throws PdkException {
            bridge.answer("kong.service.request.set_body", true).answer("kong.service.request.set_body", null);
            assertThat(kong.service().request().setBody(Map.of("a", 1))).isTrue();
            assertThat(kong.service().request().setBody(Map.of("a", 1), "application/json")).isFalse();
            assertThat(bridge.calls()).containsExactly(
                    Call.of("kong.service.request.set_body", Map.of("a", 1L)),
                    Call.of("kong.service.request.set_body", Map.of("a", 1L), "application/json"));
        }

        @Test
        void targetsAndTimeouts() throws PdkException {
            bridge.answer("kong.service.set_upstream", true).answer("kong.service.set_tls_verify", true);
            assertThat(kong.service().setUpstream("my-upstream")).isTrue();
            kong.service().setTarget("api.anthropic.com", 443);
            kong.service().setRetries(3);
            kong.service().setTimeouts(1000, 2000, 3000);
            assertThat(kong.service().setTlsVerify(true)).isTrue();
            assertThat(kong.service().setTlsVerifyDepth(2)).isFalse();
            assertThat(bridge.calls()).containsExactly(
                    Call.of("kong.service.set_upstream", "my-upstream"),
                    Call.of("kong.service.set_target", "api.anthropic.com", 443L),
                    Call.of("kong.service.set_retries", 3L),
                    Call.of("kong.service.set_timeouts", 1000L, 2000L, 3000L),
                    Call.of("kong.service.set_tls_verify", true),
                    Call.of("kong.service.set_tls_verify_depth", 2L));
        }

        @Test
        void argumentsKongRaisesOnAreRefusedBeforeTheyAreSent() {
            assertThatThrownBy(() -> kong.service().setRetries(40_000)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("kong.service.set_retries: retries must be between 0 and 32767, got 40000");
            assertThatThrownBy(() -> kong.service().setTimeouts(0, 1000, 1000)).hasMessageContaining("connect_timeout must be between 1");
            assertThatThrownBy(() -> kong.service().request().setMethod("get")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("kong.service.request.set_method: method must be one of GET, HEAD, PUT, POST");
            assertThatThrownBy(() -> kong.service().request().setScheme("ftp")).hasMessageContaining("scheme must be one of http, https");
            assertThatThrownBy(() -> kong.service().request().setPath("v1/messages")).hasMessageContaining("path must start with /");
            assertThat(bridge.calls()).as("nothing reached Kong, whose error would kill the phase").isEmpty();
        }

        @Test
        void upstreamResponse() throws PdkException {
            bridge.answer("kong.service.response.get_status", 200L)
                    .answer("kong.service.response.get_header", "application/json")
                    .answer("kong.service.response.get_headers", List.of())
                    .answer("kong.service.response.get_raw_body", bin("{\"ok\":true}"))
                    .answer("kong.service.response.get_body", Map.of("ok", true));
            var response = kong.service().response();
            assertThat(response.getStatus()).isEqualTo(200);
            assertThat(response.getHeader("content-type")).contains("application/json");
            assertThat(response.getHeaders()).isEmpty();
            assertThat(response.getRawBody()).asString(StandardCharsets.UTF_8).isEqualTo("{\"ok\":true}");
            assertThat(response.getBody("application/json", 10)).contains(Map.of("ok", true));
            assertThat(bridge.lastCall()).isEqualTo(Call.of("kong.service.response.get_body", "application/json", 10L));
        }
    }

    @Nested
    class ClientAndRouter {

        @Test
        void consumerAndCredentialAreRecords() throws PdkException {
            bridge.answer("kong.client.get_consumer", Map.of("id", "c-1", "username", "alice", "created_at", 1700000000L, "tags", List.of()))
                    .answer("kong.client.get_credential", Map.of("id", "k-1", "consumer", Map.of("id", "c-1"), "key", "secret"));
            Consumer consumer = kong.client().getConsumer().orElseThrow();
            assertThat(consumer.id()).isEqualTo("c-1");
            assertThat(consumer.username()).contains("alice");
            assertThat(consumer.customId()).isEmpty();
            assertThat(consumer.createdAt()).isEqualTo(1700000000L);
            Credential credential = kong.client().getCredential().orElseThrow();
            assertThat(credential.consumerId()).contains("c-1");
            assertThat(credential.raw()).containsEntry("key", "secret");
        }

        @Test
        void noConsumerIsEmpty() throws PdkException {
            assertThat(kong.client().getConsumer()).isEmpty();
            assertThat(kong.client().getCredential()).isEmpty();
            assertThat(kong.client().loadConsumer("c-1")).isEmpty();
            bridge.answer("kong.client.load_consumer", Map.of("id", "c-2"));
            assertThat(kong.client().loadConsumer("bob", true)).map(Consumer::id).contains("c-2");
            assertThat(bridge.calls().subList(2, 4)).containsExactly(
                    Call.of("kong.client.load_consumer", "c-1"),
                    Call.of("kong.client.load_consumer", "bob", true));
        }

        @Test
        void authenticateSendsBothTables() throws PdkException {
            kong.client().authenticate(Consumer.ofId("c-1"), null);
            assertThat(bridge.lastCall()).isEqualTo(Call.of("kong.client.authenticate", Map.of("id", "c-1")));
            kong.client().authenticate(Consumer.ofId("c-1"), Credential.of("k-1", "c-1"));
            assertThat(bridge.lastCall()).isEqualTo(Call.of("kong.client.authenticate", Map.of("id", "c-1"),
                    Map.of("id", "k-1", "consumer", Map.of("id", "c-1"))));
            assertThatThrownBy(() -> kong.client().authenticate(null, Credential.of("k-1", null)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nil");
        }

        @Test
        void addressesAndProtocol() throws PdkException {
            bridge.answer("kong.client.get_ip", "127.0.0.1").answer("kong.client.get_forwarded_ip", "10.0.0.1")
                    .answer("kong.client.get_port", 51234L).answer("kong.client.get_forwarded_port", 51234L)
                    .answer("kong.client.get_protocol", "https");
            assertThat(kong.client().getIp()).isEqualTo("127.0.0.1");
            assertThat(kong.client().getForwardedIp()).isEqualTo("10.0.0.1");
            assertThat(kong.client().getPort()).isEqualTo(51234);
            assertThat(kong.client().getForwardedPort()).isEqualTo(51234);
            assertThat(kong.client().getProtocol(true)).contains("https");
            assertThat(bridge.lastCall()).isEqualTo(Call.of("kong.client.get_protocol", true));
            assertThat(kong.client().getProtocol()).isEmpty();
            assertThat(bridge.lastCall()).isEqualTo(Call.of("kong.client.get_protocol"));
        }

        @Test
        void tls() throws PdkException {
            bridge.answer("kong.client.tls.request_client_certificate", true)
                    .answer("kong.client.tls.get_full_client_certificate_chain", "-----BEGIN CERTIFICATE-----");
            assertThat(kong.client().tls().requestClientCertificate()).isTrue();
            assertThat(kong.client().tls().disableSessionReuse()).isFalse();
            assertThat(kong.client().tls().getFullClientCertificateChain()).contains("-----BEGIN CERTIFICATE-----");
            kong.client().tls().setClientVerify("NONE");
            assertThat(bridge.lastCall()).isEqualTo(Call.of("kong.client.tls.set_client_verify", "NONE"));
        }

        @Test
        void routeAndServiceAreParsedLeniently() throws PdkException {
            Map<String, Object> route = new LinkedHashMap<>();
            route.put("id", "r-1");
            route.put("name", "claude");
            route.put("paths", List.of("/anything"));
            route.put("methods", null);
            route.put("headers", List.of());
            route.put("strip_path", false);
            route.put("regex_priority", 0L);
            route.put("service", Map.of("id", "s-1"));
            route.put("protocols", List.of("http", "https"));
            bridge.answer("kong.router.get_route", route)
                    .answer("kong.router.get_service", Map.of("id", "s-1", "host", "api.anthropic.com", "port", 443L,
                            "protocol", "https", "read_timeout", 120000.0, "tls_verify", List.of()));
            Route r = kong.router().getRoute().orElseThrow();
            assertThat(r.id()).isEqualTo("r-1");
            assertThat(r.name()).contains("claude");
            assertThat(r.paths()).containsExactly("/anything");
            assertThat(r.methods()).isEmpty();
            assertThat(r.headers()).isEmpty();
            assertThat(r.stripPath()).isFalse();
            assertThat(r.serviceId()).contains("s-1");
            assertThat(r.protocols()).containsExactly("http", "https");
            Service s = kong.router().getService().orElseThrow();
            assertThat(s.host()).isEqualTo("api.anthropic.com");
            assertThat(s.port()).isEqualTo(443);
            assertThat(s.readTimeout()).isEqualTo(120000);
            assertThat(s.connectTimeout()).isEqualTo(60000);
            assertThat(s.tlsVerify()).isEmpty();
            assertThat(s.raw()).containsEntry("protocol", "https");
        }

        @Test
        void noRouteIsEmpty() throws PdkException {
            assertThat(kong.router().getRoute()).isEmpty();
            assertThat(kong.router().getService()).isEmpty();
        }
    }

    @Nested
    class LogCtxNginx {

        @Test
        void logLevelsSendOnePreformattedString() throws PdkException {
            kong.log().err("upstream failed: 502");
            kong.log().notice("hello");
            kong.log().debug(null);
            assertThat(bridge.calls()).containsExactly(
                    Call.of("kong.log.err", "upstream failed: 502"),
                    Call.of("kong.log.notice", "hello"),
                    Call.of("kong.log.debug", "nil"));
        }

        @Test
        void allLevelsExist() throws PdkException {
            var log = kong.log();
            log.emerg("m");
            log.alert("m");
            log.crit("m");
            log.warn("m");
            log.info("m");
            log.deprecation("m");
            assertThat(bridge.calls()).extracting(Call::method).containsExactly(
                    "kong.log.emerg", "kong.log.alert", "kong.log.crit", "kong.log.warn", "kong.log.info", "kong.log.deprecation");
        }

        @Test
        void serializeReturnsKongsJsonText() throws PdkException {
            bridge.answer("kong.log.serialize", "{\"request\":{\"id\":\"abc\"}}").answer("kong.log.serialize", bin("{}"));
            assertThat(kong.log().serialize()).isEqualTo("{\"request\":{\"id\":\"abc\"}}");
            assertThat(kong.log().serialize()).isEqualTo("{}");
        }

        @Test
        void setSerializeValueWithAndWithoutMode() throws PdkException {
            kong.log().setSerializeValue("ai.proxy.usage", Map.of("prompt_tokens", 12, "cost", 0.5));
            kong.log().setSerializeValue("ai.flag", true, SerializeMode.ADD);
            kong.log().setSerializeValue("request.headers.authorization", null);
            assertThat(bridge.calls()).containsExactly(
                    Call.of("kong.log.set_serialize_value", "ai.proxy.usage", Map.of("prompt_tokens", 12L, "cost", 0.5)),
                    Call.of("kong.log.set_serialize_value", "ai.flag", true, Map.of("mode", "add")),
                    Call.of("kong.log.set_serialize_value", "request.headers.authorization"));
            assertThatThrownBy(() -> kong.log().setSerializeValue("x", null, SerializeMode.REPLACE)).isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void sharedCtxRoundTrip() throws PdkException {
            kong.ctx().shared().set("my.key", List.of(1, "two"));
            bridge.answer("kong.ctx.shared.get", List.of(1L, "two")).answer("kong.ctx.shared.get", bin("bytes"));
            assertThat(kong.ctx().shared().get("my.key")).contains(List.of(1L, "two"));
            assertThat(kong.ctx().shared().getString("other")).contains("bytes");
            assertThat(kong.ctx().shared().get("missing")).isEmpty();
            assertThat(bridge.calls().get(0)).isEqualTo(Call.of("kong.ctx.shared.set", "my.key", List.of(1L, "two")));
        }

        @Test
        void sharedCtxValuesAreReadOnly() throws PdkException {
            bridge.answer("kong.ctx.shared.get", new java.util.ArrayList<>(List.of("a")));
            @SuppressWarnings("unchecked")
        List<Object> value = (List<Object>) kong.ctx().shared().get("k").orElseThrow();
            assertThatThrownBy(() -> value.add("b")).isInstanceOf(UnsupportedOperationException.class);
        }

        @Test
        void nginx() throws PdkException {
            bridge.answer("kong.nginx.get_subsystem", "http")
                    .answer("kong.nginx.get_statistics", Map.of("total_requests", 10L, "connections_active", 2.0))
                    .answer("kong.nginx.get_var", "abc123")
                    .answer("kong.nginx.get_ctx", 1700000000123L)
                    .answer("kong.nginx.req_start_time", 1700000000.123);
            assertThat(kong.nginx().getSubsystem()).isEqualTo("http");
            assertThat(kong.nginx().getStatistics()).containsEntry("total_requests", 10L).containsEntry("connections_active", 2L);
            assertThat(kong.nginx().getVar("request_id")).contains("abc123");
            assertThat(kong.nginx().getCtx("KONG_ACCESS_START")).contains(1700000000123L);
            assertThat(kong.nginx().reqStartTime()).isEqualTo(1700000000.123);
            assertThat(kong.nginx().getTls1VersionStr()).isEmpty();
            kong.nginx().setCtx("k", "v");
            assertThat(bridge.lastCall()).isEqualTo(Call.of("kong.nginx.set_ctx", "k", "v"));
            assertThat(bridge.calls().get(2)).isEqualTo(Call.of("kong.nginx.get_var", "request_id"));
        }

        @Test
        void kongsRequestIdIsAskedForOncePerEventOtherVariablesEveryTime() throws PdkException {
            bridge.answer("kong.nginx.get_var", "req-1").answer("kong.nginx.get_var", "ignored")
                    .answer("kong.nginx.get_var", "a").answer("kong.nginx.get_var", "b");
            assertThat(kong.nginx().getVar("kong_request_id")).contains("req-1");
            assertThat(kong.nginx().getVar("kong_request_id")).contains("req-1");
            assertThat(kong.nginx().getVar("upstream_uri")).contains("ignored");
            assertThat(kong.nginx().getVar("upstream_uri")).contains("a");
            assertThat(bridge.calls()).containsExactly(Call.of("kong.nginx.get_var", "kong_request_id"),
                    Call.of("kong.nginx.get_var", "upstream_uri"), Call.of("kong.nginx.get_var", "upstream_uri"));
            // a new event is a new request: asked again
            ScriptedBridge next = new ScriptedBridge().answer("kong.nginx.get_var", "req-2");
            assertThat(KongPdk.over(next).nginx().getVar("kong_request_id")).contains("req-2");
        }
    }

    @Nested
    class NodeVaultAndOthers {

        @Test
        void memoryStatsInBytesAndFormatted() throws PdkException {
            bridge.answer("kong.node.get_memory_stats", Map.of(
                    "lua_shared_dicts", Map.of("kong", Map.of("allocated_slabs", 12288L, "capacity", 5242880L)),
                    "workers_lua_vms", List.of(Map.of("http_allocated_gc", 1024L, "pid", 18004L))));
            MemoryStats stats = kong.node().getMemoryStats();
            assertThat(stats.luaSharedDicts()).containsEntry("kong", new MemoryStats.SharedDict(12288, 5242880));
            assertThat(stats.workersLuaVms()).containsExactly(new MemoryStats.WorkerVm(18004, 1024, null));

            bridge.answer("kong.node.get_memory_stats", Map.of(
                    "lua_shared_dicts", Map.of("kong", Map.of("allocated_slabs", "0.01 MiB", "capacity", "5.00 MiB")),
                    "workers_lua_vms", List.of()));
            MemoryStats formatted = kong.node().getMemoryStats("m", 2);
            assertThat(formatted.luaSharedDicts().get("kong").capacity()).isEqualTo(5 * 1024 * 1024);
            assertThat(bridge.lastCall()).isEqualTo(Call.of("kong.node.get_memory_stats", "m", 2L));
        }

        @Test
        void identities() throws PdkException {
            bridge.answer("kong.node.get_id", "n-1").answer("kong.node.get_hostname", "gw")
                    .answer("kong.plugin.get_id", "p-1").answer("kong.cluster.get_id", null)
                    .answer("kong.ip.is_trusted", false);
            assertThat(kong.node().getId()).isEqualTo("n-1");
            assertThat(kong.node().getHostname()).isEqualTo("gw");
            assertThat(kong.plugin().getId()).isEqualTo("p-1");
            assertThat(kong.cluster().getId()).isEmpty();
            assertThat(kong.ip().isTrusted("10.0.0.1")).isFalse();
            assertThat(bridge.lastCall()).isEqualTo(Call.of("kong.ip.is_trusted", "10.0.0.1"));
        }

        @Test
        void vault() throws PdkException {
            bridge.answer("kong.vault.get", "s3cr3t").answer("kong.vault.is_reference", true)
                    .answer("kong.vault.parse_reference", Map.of("name", "env", "resource", "KEY"))
                    .answer("kong.vault.parse_reference", null)
                    .answer("kong.vault.update", Map.of("a", "resolved"));
            assertThat(kong.vault().get("{vault://env/key}")).contains("s3cr3t");
            assertThat(kong.vault().isReference("{vault://env/key}")).isTrue();
            assertThat(kong.vault().parseReference("{vault://env/KEY}")).contains(Map.of("name", "env", "resource", "KEY"));
            assertThat(kong.vault().parseReference("nope")).isEmpty();
            assertThat(kong.vault().update(Map.of("a", "{vault://env/a}"))).containsEntry("a", "resolved");
        }

        @Test
        void unexpectedResultTypesAreClearErrors() {
            bridge.answer("kong.request.get_port", "not a number");
            assertThatThrownBy(() -> kong.request().getPort())
                    .isInstanceOf(PdkException.class)
                    .hasMessageContaining("kong.request.get_port")
                    .hasMessageContaining("unexpected result");
            bridge.answer("kong.request.get_headers", List.of("x"));
            assertThatThrownBy(() -> kong.request().getHeaders()).isInstanceOf(PdkException.class);
        }

        @Test
        void valuesThatKongCannotReceiveAreRefused() {
            assertThatThrownBy(() -> kong.ctx().shared().set("k", new Object()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot send");
            assertThat(bridge.calls()).isEmpty();
        }

        @Test
        void optionalValuesAreUnwrapped() throws PdkException {
            kong.ctx().shared().set("k", Optional.of(3));
            assertThat(bridge.lastCall()).isEqualTo(Call.of("kong.ctx.shared.set", "k", 3L));
        }
    }
}
