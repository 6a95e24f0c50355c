package io.kongjava.plugins.aiproxy;

import io.kongjava.plugins.ai.Prices;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code ai} block of a request's log line, in Kong's shape ({@code ai.proxy.meta},
 * {@code ai.proxy.usage}, {@code ai.proxy.payload}), plus {@code redact_headers}: the request headers
 * java-file-log must hide (the auth header), and {@code drop_headers}: those it must leave out altogether (the relay
 * ticket, which Kong's serializer sees because the access phase set it on the request).
 */
final class Analytics {

    static final String PROVIDER = "anthropic";
    static final String UNSPECIFIED = "UNSPECIFIED";

    private Analytics() {
    }

    static Map<String, Object> block(ProxyCall call, Meter meter, Outcome outcome, int upstreamStatus, String requestPayload) {
        AiProxyConfig config = call.config();
        Map<String, Object> proxy = new LinkedHashMap<>();
        if (config.logging().logStatistics()) {
            // Kong logs the effective model: the pinned one, also when the body named none (ai-proxy §5.2)
            Map<String, Object> meta = meta(call.pluginId(), loggedModel(call), meter, call.stream() ? "stream" : "oneshot",
                    call.endpoint().label, outcome, upstreamStatus);
            if (meter.countedTokens() >= 0) {
                meta.put("counted_input_tokens", meter.countedTokens());
            }
            proxy.put("meta", meta);
            proxy.put("usage", usage(call, meter));
        }
        if (config.logging().logPayloads()) {
            Map<String, Object> payload = new LinkedHashMap<>();
            payload.put("request", requestPayload);
            payload.put("response", meter.payload());
            proxy.put("payload", payload);
        }
        return block(proxy, config);
    }

    /** The block of a request refused before any upstream call: zero tokens, as Kong logs it. */
    static String loggedModel(ProxyCall call) {
        return call.requestModel() != null ? call.requestModel() : call.askedModel();
    }

    static Map<String, Object> rejected(String pluginId, AiProxyConfig config, String clientModel, boolean stream, long startNanos) {
        return unsent(pluginId, config, null, clientModel, stream, startNanos, Outcome.REJECTED);
    }

    /**
     * The block of a request whose access phase failed (answered with Kong's 500): zero tokens, outcome
     * {@code internal_error}, and the headers to redact, so that the line says what happened and still hides the
     * client's credentials.
     */
    static Map<String, Object> failed(String pluginId, AiProxyConfig config, String requestModel, String clientModel, boolean stream,
                                      long startNanos) {
        return unsent(pluginId, config, requestModel, clientModel, stream, startNanos, Outcome.INTERNAL_ERROR);
    }

    /**
     * The block java-file-log falls back to when the measured one does not come: the access phase started and Kong
     * ended the request before it finished. Published at once, so the line still names the outcome and still hides
     * the auth header.
     */
    static Map<String, Object> pending(String pluginId, AiProxyConfig config) {
        Map<String, Object> block = new LinkedHashMap<>();
        if (config.logging().logStatistics()) {
            Map<String, Object> meta = new LinkedHashMap<>();
            meta.put("plugin_id", pluginId);
            meta.put("provider_name", PROVIDER);
            meta.put("request_model", UNSPECIFIED);
            meta.put("outcome", Outcome.ABANDONED.label);
            Map<String, Object> proxy = new LinkedHashMap<>();
            proxy.put("meta", Collections.unmodifiableMap(meta));
            proxy.put("usage", Collections.unmodifiableMap(zeroUsage()));
            block.put("proxy", Collections.unmodifiableMap(proxy));
        }
        block.put("redact_headers", List.copyOf(redactHeaders(config)));
        block.put("drop_headers", List.of(io.kongjava.pdk.filter.FiltersResponse.RELAY_TICKET_HEADER));
        return Collections.unmodifiableMap(block);
    }

    /**
     * @param requestModel the effective model, once settled; null (UNSPECIFIED) for a request refused before that, as Kong
     *                     logs it (serialize-analytics.lua), never a name the client made up: it would become a metrics label
     * @param clientModel  the model the client named in a request refused for it, bounded: why it was refused
     */
    private static Map<String, Object> unsent(String pluginId, AiProxyConfig config, String requestModel, String clientModel, boolean stream,
                                              long startNanos, Outcome outcome) {
        Map<String, Object> proxy = new LinkedHashMap<>();
        if (config.logging().logStatistics()) {
            Meter meter = new Meter(startNanos, 0);
            meter.end();
            Map<String, Object> meta = meta(pluginId, requestModel, meter, stream ? "stream" : "oneshot", null, outcome, 0);
            if (clientModel != null) {
                meta.put("client_model", clientModel);
            }
            proxy.put("meta", meta);
            proxy.put("usage", zeroUsage());
        }
        return block(proxy, config);
    }

    /** The usage of a request that reached no provider: every field a measured one has, all zero. */
    private static Map<String, Object> zeroUsage() {
        Map<String, Object> usage = new LinkedHashMap<>();
        usage.put("prompt_tokens", 0L);
        usage.put("completion_tokens", 0L);
        usage.put("total_tokens", 0L);
        usage.put("cost", 0.0);
        usage.put("time_per_token", 0.0);
        usage.put("prompt_tokens_details", new LinkedHashMap<>());
        usage.put("completion_tokens_details", new LinkedHashMap<>());
        return usage;
    }

    /** The analytics block around {@code proxy} (left out when empty), with the headers the log must not show. */
    private static Map<String, Object> block(Map<String, Object> proxy, AiProxyConfig config) {
        Map<String, Object> block = new LinkedHashMap<>();
        if (!proxy.isEmpty()) {
            block.put("proxy", proxy);
        }
        block.put("redact_headers", redactHeaders(config));
        block.put("drop_headers", List.of(io.kongjava.pdk.filter.FiltersResponse.RELAY_TICKET_HEADER));
        return block;
    }

    private static Map<String, Object> meta(String pluginId, String requestModel, Meter meter, String mode, String requestType,
                                            Outcome outcome, int upstreamStatus) {
        Map<String, Object> meta = new LinkedHashMap<>();
        String model = requestModel == null || requestModel.isEmpty() ? UNSPECIFIED : requestModel;
        meta.put("plugin_id", pluginId);
        meta.put("provider_name", PROVIDER);
        meta.put("request_model", model);
        if (meter.responseModel() != null) {
            meta.put("response_model", meter.responseModel());
        } else if (outcome.providerAnswered() && (outcome != Outcome.CLIENT_DISCONNECTED || upstreamStatus > 0)) {
            // Kong's ai-proxy logs an answer that names no model (an error body, a stream cut short) under the model
            // it asked for (shared.lua post_request: response.model or conf.model.name); a client that left before the
            // answer's head came got none
            meta.put("response_model", model);
        }
        meta.put("llm_latency", meter.latencyMillis());
        meta.put("request_mode", mode);
        if (requestType != null) {
            meta.put("request_type", requestType);
        }
        meta.put("outcome", outcome.label);
        if (upstreamStatus > 0) {
            meta.put("upstream_status", upstreamStatus);
        }
        if (meter.stopReason() != null) {
            meta.put("stop_reason", meter.stopReason());
        }
        return meta;
    }

    private static Map<String, Object> usage(ProxyCall call, Meter meter) {
        // count_tokens consumes nothing: its answer is in meta.counted_input_tokens, its usage is zero.
        boolean counting = call.endpoint() == ProxyCall.Endpoint.COUNT_TOKENS;
        long prompt = counting ? 0 : meter.promptTokens();
        long completion = counting ? 0 : meter.completionTokens();
        long latency = meter.latencyMillis();
        Map<String, Object> usage = new LinkedHashMap<>();
        usage.put("prompt_tokens", prompt);
        usage.put("completion_tokens", completion);
        usage.put("total_tokens", prompt + completion);
        usage.put("cost", counting ? 0.0 : cost(call.config().options(), meter, completion));
        usage.put("time_per_token", completion == 0 ? 0.0 : (double) latency / completion);
        long firstToken = meter.timeToFirstTokenMillis();
        if (!counting && firstToken >= 0) {
            // Only when a token came; a oneshot answer arrives whole, so its first token is its last byte.
            usage.put("time_to_first_token", call.stream() ? firstToken : latency);
        }
        Map<String, Object> promptDetails = new LinkedHashMap<>();
        if (!counting && (meter.cacheReadTokens() > 0 || meter.cacheCreationTokens() > 0)) {
            promptDetails.put("cached_tokens", meter.cacheReadTokens());
            promptDetails.put("cache_creation_tokens", meter.cacheCreationTokens());
        }
        usage.put("prompt_tokens_details", promptDetails);
        usage.put("completion_tokens_details", new LinkedHashMap<>());
        return usage;
    }

    /**
     * The cost whenever a price is configured (an unset input or output price counts as 0), with Anthropic's cache
     * tiers priced apart ({@link Prices}).
     */
    static double cost(AiProxyConfig.Options options, Meter meter, long completion) {
        if (options.inputCost().isEmpty() && options.outputCost().isEmpty() && options.cacheReadCost().isEmpty()
                && options.cacheWriteCost().isEmpty() && options.cacheWrite1hCost().isEmpty()) {
            return 0.0;
        }
        return meter.cost(new Prices(options.inputCost(), options.outputCost(), options.cacheReadCost(),
                options.cacheWriteCost(), options.cacheWrite1hCost()), completion);
    }

    private static List<String> redactHeaders(AiProxyConfig config) {
        List<String> names = new ArrayList<>();
        config.auth().flatMap(AiProxyConfig.Auth::headerName).ifPresent(name -> names.add(name.toLowerCase(java.util.Locale.ROOT)));
        return names;
    }
}
