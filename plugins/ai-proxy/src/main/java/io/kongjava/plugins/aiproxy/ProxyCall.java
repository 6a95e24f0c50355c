package io.kongjava.plugins.aiproxy;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One client request the access phase accepted, handed to the relay: everything needed to call the
 * provider and to account for the call, decided while Kong's PDK was at hand.
 *
 * @param askedModel   the model the client's body named, {@code null} when none
 * @param requestModel the effective model (pinned or the client's), the one sent upstream and logged as {@code request_model}
 * @param body         the exact bytes to send upstream (validated, translated when the client speaks OpenAI)
 * @param startNanos   when the access phase began, the start of {@code llm_latency}
 * @param analytics    completed with the {@code ai} block once the exchange ends, however it ends
 */
record ProxyCall(String requestId, String pluginId, AiProxyConfig config, Endpoint endpoint, String askedModel, String requestModel,
                 boolean stream, boolean includeStreamUsage, URI upstream, byte[] body, long startNanos,
                 CompletableFuture<Map<String, Object>> analytics) {

    /** What the client called. */
    enum Endpoint {
        /** Anthropic's {@code /v1/messages}, passed through. */
        MESSAGES("messages"),
        /** Anthropic's {@code /v1/messages/count_tokens}: counted, never billed as a generation. */
        COUNT_TOKENS("count_tokens"),
        /** OpenAI chat completions, translated to and from Anthropic messages. */
        CHAT_COMPLETIONS("chat_completions"),
        /** {@code route_type: preserve}: any path, forwarded as is. */
        PRESERVE("preserve");

        final String label;

        Endpoint(String label) {
            this.label = label;
        }
    }

    /** The values that must never reach a log line or an error text. */
    List<String> secrets() {
        return config.auth().map(auth -> java.util.stream.Stream.of(auth.headerValue(), auth.paramValue())
                .flatMap(java.util.Optional::stream).filter(s -> !s.isEmpty()).toList()).orElse(List.of());
    }

    /** Replaces every secret in a text that may be logged or shown. */
    String scrub(String text) {
        if (text == null) {
            return "";
        }
        String scrubbed = text;
        for (String secret : secrets()) {
            scrubbed = scrubbed.replace(secret, "[REDACTED]");
        }
        return scrubbed;
    }
}
