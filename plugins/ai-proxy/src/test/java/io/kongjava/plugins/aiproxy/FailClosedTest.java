package io.kongjava.plugins.aiproxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kongjava.emulation.KongRequest;
import io.kongjava.emulation.PdkEmulator;
import io.kongjava.pdk.PdkException;
import io.kongjava.pdk.bridge.Bridge;
import io.kongjava.pdk.bridge.KongPdk;
import io.kongjava.pdk.exchange.ProcessRequestExchange;
import io.kongjava.pdk.schema.ConfigBinder;
import io.kongjava.kongclient.PdkHandler.PdkAnswer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import io.kongjava.relay.AfterAccess;
import io.kongjava.relay.ResponseRelay;
import org.junit.jupiter.api.Test;

/**
 * Every way the access phase can fail ends the request with a Kong-style error through kong.response.exit; the
 * upstream Kong would otherwise proxy to (the Service) is never given a target, so nothing reaches the provider.
 */
class FailClosedTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String CONFIG = """
            {"route_type":"llm/v1/chat","llm_format":"anthropic","max_request_body_size":524288,
             "auth":{"header_name":"x-api-key","header_value":"sk-ant-secret-for-fail-closed"},
             "model":{"provider":"anthropic","name":"claude-opus-5-5",
                      "options":{"anthropic_version":"2023-06-01","upstream_url":"http://127.0.0.1:9"}},
             "logging":{"log_statistics":true}}""";
    static final String MESSAGE = "{\"model\":\"claude-opus-5-5\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    /** Kong's side, as the emulator answers it, with one PDK function made to fail the way a test needs. */
    record FaultyBridge(PdkEmulator kong, String failing, Function<String, Exception> fault) implements Bridge {
        @Override
        public Object call(String method, List<?> args) throws PdkException {
            if (method.equals(failing)) {
                Exception e = fault.apply(method);
                if (e instanceof PdkException pdk) {
                    throw pdk;
                }
                throw (RuntimeException) e;
            }
            return switch (kong.answer(method, List.copyOf(args == null ? List.of() : args))) {
                case PdkAnswer.Value value -> value.value();
                case PdkAnswer.Terminal terminal -> null;
                case PdkAnswer.Raised raised -> throw new PdkException(method, "Kong raised: " + raised.message());
            };
        }

        @Override
        public void callTerminal(String method, List<?> args) throws PdkException {
            call(method, args);
        }
    }

    static KongRequest request(byte[] body) {
        KongRequest request = new KongRequest();
        request.method = "POST";
        request.path = "/anything/v1/messages";
        request.headers.put("content-type", List.of("application/json"));
        request.headers.put("x-api-key", List.of("sk-client"));
        request.body = body;
        return request;
    }

    /** What the last {@link #runAccess} published for java-file-log. */
    final ProcessRequestExchange exchange = new ProcessRequestExchange(Duration.ofSeconds(5), Duration.ofSeconds(5), System::nanoTime);

    KongRequest runAccess(AiProxyPlugin plugin, KongRequest request, String failing, Function<String, Exception> fault)
            throws Exception {
        return runAccess(plugin, request, failing, fault, ResponseRelay::shared);
    }

    KongRequest runAccess(AiProxyPlugin plugin, KongRequest request, String failing, Function<String, Exception> fault,
                          AfterAccess.RelaySource relays)
            throws Exception {
        AiProxyConfig config = ConfigBinder.bind(AiProxyConfig.class, castMap(JSON.readValue(CONFIG, Map.class)));
        plugin.useRequestExchange(exchange);
        PdkEmulator emulator = new PdkEmulator(request).phase("access");
        AfterAccess.filter(plugin, "java-ai-proxy", KongPdk.over(new FaultyBridge(emulator, failing, fault)), config, relays);
        return request;
    }

    /** {@code ai.proxy.meta.outcome} of the block the access phase published for the request. */
    String loggedOutcome(KongRequest request, String key) throws Exception {
        Object block = exchange.await(request.requestId, key, Duration.ofSeconds(1)).orElseThrow();
        return JSON.valueToTree(block).path("proxy").path("meta").path("outcome").asText();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> castMap(Map<?, ?> map) {
        return (Map<String, Object>) map;
    }

    static JsonNode exitBody(KongRequest request) throws IOException {
        return JSON.readTree(new String(request.exit.body(), StandardCharsets.UTF_8));
    }

    static void assertNothingProxied(KongRequest request) {
        assertThat(request.upstream.targetHost).as("Kong was given no target").isNull();
        assertThat(request.upstream.headers).doesNotContainKey(ResponseRelay.TICKET_HEADER);
    }

    @Test
    void aChunkedBodyOverTheLimitGets413LikeADeclaredOne() throws Exception {
        String big = MESSAGE.replace("hi", "x".repeat(600_000));
        KongRequest request = request(big.getBytes(StandardCharsets.UTF_8));
        assertThat(request.headers).doesNotContainKey("content-length");

        runAccess(new AiProxyPlugin(), request, "none", m -> null);

        assertThat(request.exit.status()).isEqualTo(413);
        assertThat(exitBody(request).path("error").path("type").asText()).isEqualTo("request_too_large");
        assertNothingProxied(request);
        assertThat(loggedOutcome(request, AiProxyPlugin.AI_KEY)).isEqualTo("rejected");
    }

    @Test
    void aBodyKongCannotHandOverIsRefused() throws Exception {
        KongRequest request = request(MESSAGE.getBytes(StandardCharsets.UTF_8));

        runAccess(new AiProxyPlugin(), request, "kong.request.get_raw_body",
                m -> new PdkException(m, "Kong returned no value (the call failed in Kong, see Kong's error log)"));

        assertThat(request.exit.status()).isEqualTo(400);
        assertThat(exitBody(request).path("error").path("message").asText()).isEqualTo("the request body could not be read");
        assertNothingProxied(request);
    }

    @Test
    void aRelayThatCannotStartGetsKongs500() throws Exception {
        KongRequest request = request(MESSAGE.getBytes(StandardCharsets.UTF_8));
        Map<String, Object> fallbacks = new java.util.concurrent.ConcurrentHashMap<>();
        try (AutoCloseable watching = exchange.observe(fallbacksInto(fallbacks))) {
            runAccess(new AiProxyPlugin(), request, "none", m -> null, () -> {
                throw new IOException("Address already in use");
            });
        }

        assertThat(request.exit.status()).isEqualTo(500);
        assertThat(exitBody(request).path("message").asText()).isEqualTo("An unexpected error occurred");
        assertNothingProxied(request);
        assertThat(loggedOutcome(request, AiProxyPlugin.AI_KEY)).isEqualTo("internal_error");
        assertThat(JSON.valueToTree(fallbacks.get(request.requestId)).path("proxy").path("meta").path("outcome").asText())
                .as("the fallback, had the block not come").isEqualTo("abandoned");
        assertThat(exchange.lookup(request.requestId, AiProxyPlugin.AI_PENDING_KEY)).as("dropped once the block is there").isEmpty();
    }

    /** Keeps each request's fallback block as it is published, since it is dropped once the real block comes. */
    static ProcessRequestExchange.Observer fallbacksInto(Map<String, Object> fallbacks) {
        return new ProcessRequestExchange.Observer() {
            @Override
            public void published(String requestId, String key) {
            }

            @Override
            public void completed(String requestId, String key, Object value) {
                if (AiProxyPlugin.AI_PENDING_KEY.equals(key)) {
                    fallbacks.put(requestId, value);
                }
            }
        };
    }

    @Test
    void aRefusalKongDoesNotTakeIsLoggedAsAnInternalError() throws Exception {
        KongRequest request = request(MESSAGE.replace("claude-opus-5-5", "claude-opus-4-1").getBytes(StandardCharsets.UTF_8));

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> runAccess(new AiProxyPlugin(), request, "kong.response.exit",
                m -> new PdkException(m, "the access event of java-ai-proxy is over"))).isInstanceOf(PdkException.class);

        assertNothingProxied(request);
        assertThat(loggedOutcome(request, AiProxyPlugin.AI_KEY)).as("the client never got the 400").isEqualTo("internal_error");
    }

    @Test
    void aPdkErrorAfterTheRelayAdmittedTheRequestGets500AndTheTicketIsWithdrawn() throws Exception {
        ResponseRelay relay = ResponseRelay.shared();
        int before = relay.pendingTickets();
        KongRequest request = request(MESSAGE.getBytes(StandardCharsets.UTF_8));

        runAccess(new AiProxyPlugin(), request, "kong.service.request.set_header",
                m -> new PdkException(m, "connection to Kong lost"));

        assertThat(request.exit.status()).isEqualTo(500);
        assertThat(request.upstream.headers).doesNotContainKey(ResponseRelay.TICKET_HEADER);
        assertThat(relay.pendingTickets()).isEqualTo(before);
    }

    @Test
    void anUnexpectedExceptionGets500AndTheKeyIsNotInTheAnswer() throws Exception {
        KongRequest request = request(MESSAGE.getBytes(StandardCharsets.UTF_8));

        runAccess(new AiProxyPlugin(), request, "kong.router.get_service",
                m -> new IllegalStateException("boom with sk-ant-secret-for-fail-closed"));

        assertThat(request.exit.status()).isEqualTo(500);
        assertThat(new String(request.exit.body(), StandardCharsets.UTF_8)).doesNotContain("sk-ant-secret");
        assertThat(request.exit.headers().toString()).containsIgnoringCase("application/json");
        assertNothingProxied(request);
    }

    @Test
    void theRequestIdOfKongIsInTheInternalError() {
        assertThat(AiProxyPlugin.internalErrorBody("abc")).isEqualTo("{\"message\":\"An unexpected error occurred\",\"request_id\":\"abc\"}");
        assertThat(Map.of()).isEmpty();
    }
}
