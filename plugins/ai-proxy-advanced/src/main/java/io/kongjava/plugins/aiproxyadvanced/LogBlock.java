package io.kongjava.plugins.aiproxyadvanced;

import io.kongjava.pdk.filter.FiltersResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The request's {@code ai} block for java-file-log, in Kong's shape: {@code ai.proxy.meta} and {@code ai.proxy.usage}
 * of the target that served, and Kong's {@code ai.proxy.tried_targets}, here with each target's outcome, tokens and
 * cost. {@code redact_headers} and {@code drop_headers} tell java-file-log which request headers to hide.
 */
final class LogBlock {

    static final String UNSPECIFIED = "UNSPECIFIED";

    private LogBlock() {
    }

    /** Request headers no line may show: the relay's one-time ticket. */
    static final List<String> DROP_HEADERS = List.of(FiltersResponse.RELAY_TICKET_HEADER);

    static Map<String, Object> of(String pluginId, AdvancedConfig config, ClientRequest request, String clientModel,
                                  Attempts.Result result) {
        return of(pluginId, config, request, clientModel, result, result.last() == null ? "" : result.last().meter().payload());
    }

    /** With {@code response} as the logged payload: the answer as the client got it. */
    static Map<String, Object> of(String pluginId, AdvancedConfig config, ClientRequest request, String clientModel,
                                  Attempts.Result result, String response) {
        Map<String, Object> proxy = new LinkedHashMap<>();
        Attempts.Tried last = result.last();
        boolean statistics = last == null ? config.targets().getFirst().logging().logStatistics() : last.target().logging().logStatistics();
        if (statistics && last != null) {
            proxy.put("meta", meta(pluginId, request, clientModel, result, last));
            proxy.put("usage", usage(last.target(), last.meter(), request));
        }
        if (last != null && last.target().logging().logPayloads()) {
            String body = request.body().toString();
            Map<String, Object> payload = new LinkedHashMap<>();
            payload.put("request", body.length() > UsageMeter.PAYLOAD_LIMIT ? body.substring(0, UsageMeter.PAYLOAD_LIMIT) : body);
            payload.put("response", response);
            proxy.put("payload", payload);
        }
        List<Map<String, Object>> tried = new ArrayList<>();
        for (Attempts.Tried attempt : result.tried()) {
            tried.add(tried(attempt, request));
        }
        proxy.put("tried_targets", tried);
        Map<String, Object> block = new LinkedHashMap<>();
        block.put("proxy", proxy);
        block.put("redact_headers", redactHeaders(config));
        block.put("drop_headers", DROP_HEADERS);
        return block;
    }

    /**
     * A request no target was tried for: {@code rejected} by the access phase, {@code internal_error} when the phase
     * failed (Kong's 500), or {@code abandoned}, the fallback java-file-log writes when the measured block never comes.
     */
    static Map<String, Object> unsent(String pluginId, AdvancedConfig config, String outcome) {
        Map<String, Object> meta = new LinkedHashMap<>();
        if (pluginId != null) {
            meta.put("plugin_id", pluginId);
        }
        meta.put("request_model", UNSPECIFIED);
        meta.put("outcome", outcome);
        meta.put("served", false);
        Map<String, Object> proxy = new LinkedHashMap<>();
        if (config.targets().getFirst().logging().logStatistics()) {
            proxy.put("meta", meta);
        }
        proxy.put("tried_targets", List.of());
        Map<String, Object> block = new LinkedHashMap<>();
        block.put("proxy", proxy);
        block.put("redact_headers", redactHeaders(config));
        block.put("drop_headers", DROP_HEADERS);
        return block;
    }

    private static Map<String, Object> meta(String pluginId, ClientRequest request, String clientModel, Attempts.Result result,
                                            Attempts.Tried served) {
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("plugin_id", pluginId);
        meta.put("provider_name", served.target().model().provider());
        meta.put("request_model", clientModel == null ? UNSPECIFIED : clientModel);
        meta.put("upstream_model", served.target().model().name());
        if (served.meter().responseModel() != null) {
            meta.put("response_model", served.meter().responseModel());
        }
        meta.put("llm_latency", served.meter().latencyMillis());
        meta.put("request_mode", request.stream() ? "stream" : "oneshot");
        meta.put("request_type", request.operation().label);
        meta.put("outcome", result.outcome());
        meta.put("served", result.served());
        meta.put("served_target", served.target().label());
        if (result.status() > 0) {
            meta.put("upstream_status", result.status());
        }
        if (served.meter().stopReason() != null) {
            meta.put("stop_reason", served.meter().stopReason());
        }
        if (served.meter().countedTokens() >= 0) {
            meta.put("counted_input_tokens", served.meter().countedTokens());
        }
        return meta;
    }

    private static Map<String, Object> usage(AdvancedConfig.Target target, UsageMeter meter, ClientRequest request) {
        boolean counting = request.operation() == ClientRequest.Operation.COUNT_TOKENS;
        long prompt = counting ? 0 : meter.promptTokens();
        long completion = counting ? 0 : meter.completionTokens();
        Map<String, Object> usage = new LinkedHashMap<>();
        usage.put("prompt_tokens", prompt);
        usage.put("completion_tokens", completion);
        usage.put("total_tokens", prompt + completion);
        usage.put("cost", counting ? 0.0 : meter.cost(target.options()));
        usage.put("time_per_token", completion == 0 ? 0.0 : (double) meter.latencyMillis() / completion);
        long firstToken = meter.timeToFirstTokenMillis();
        if (!counting && firstToken >= 0) {
            usage.put("time_to_first_token", request.stream() ? firstToken : meter.latencyMillis());
        }
        Map<String, Object> details = new LinkedHashMap<>();
        if (!counting && (meter.cacheReadTokens() > 0 || meter.cacheCreationTokens() > 0)) {
            details.put("cached_tokens", meter.cacheReadTokens());
            details.put("cache_creation_tokens", meter.cacheCreationTokens());
        }
        usage.put("prompt_tokens_details", details);
        return usage;
    }

    private static Map<String, Object> tried(Attempts.Tried attempt, ClientRequest request) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("provider", attempt.target().model().provider());
        entry.put("model", attempt.target().model().name());
        entry.put("route_type", attempt.target().routeType());
        if (attempt.url() != null) {
            entry.putAll(Provider.address(attempt.url()));
        }
        entry.put("outcome", attempt.outcome());
        if (attempt.status() > 0) {
            entry.put("status", attempt.status());
        }
        if (attempt.error() != null) {
            entry.put("error", attempt.error());
        }
        boolean counting = request.operation() == ClientRequest.Operation.COUNT_TOKENS;
        long prompt = counting ? 0 : attempt.meter().promptTokens();
        long completion = counting ? 0 : attempt.meter().completionTokens();
        entry.put("prompt_tokens", prompt);
        entry.put("completion_tokens", completion);
        entry.put("total_tokens", prompt + completion);
        entry.put("cost", counting ? 0.0 : attempt.meter().cost(attempt.target().options()));
        entry.put("latency", attempt.meter().latencyMillis());
        return entry;
    }

    private static List<String> redactHeaders(AdvancedConfig config) {
        List<String> names = new ArrayList<>();
        for (AdvancedConfig.Target target : config.targets()) {
            target.auth().flatMap(AdvancedConfig.Auth::headerName).map(n -> n.toLowerCase(Locale.ROOT))
                    .filter(n -> !names.contains(n)).ifPresent(names::add);
        }
        return names;
    }
}
