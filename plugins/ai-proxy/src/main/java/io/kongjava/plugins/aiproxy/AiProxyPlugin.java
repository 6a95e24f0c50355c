package io.kongjava.plugins.aiproxy;

import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kongjava.pdk.InvalidConfigException;
import io.kongjava.pdk.Kong;
import io.kongjava.pdk.KongPlugin;
import io.kongjava.pdk.PdkException;
import io.kongjava.pdk.exchange.ProcessRequestExchange;
import io.kongjava.pdk.exchange.RequestExchange;
import io.kongjava.pdk.exchange.UsesRequestExchange;
import io.kongjava.pdk.filter.FiltersResponse;
import io.kongjava.pdk.filter.ResponseFilter;
import io.kongjava.plugins.ai.AiExchange;
import io.kongjava.plugins.ai.BodyBudget;
import io.kongjava.plugins.ai.StrictJson;
import io.kongjava.plugins.ai.UpstreamUrls;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Kong's ai-proxy for Anthropic, as an external plugin: Claude Code (or any Messages API client) and
 * OpenAI chat clients through Kong, streamed, with exact token statistics.
 *
 * <p>The access phase checks the request as Kong's ai-proxy does (body size, JSON, prompts, the pinned
 * model, the streaming policy), then hands the server's relay a {@link AiResponseFilter}, which addresses
 * the call to Anthropic and measures the exchange as it streams through. The measured {@code ai} block is published in the request exchange under
 * the request's id for java-file-log, because Kong runs external log phases later, on a snapshot.
 * Its priority is Kong's ai-proxy's: after authentication plugins, before loggers.
 */
@KongPlugin.Info(name = "java-ai-proxy", version = "0.1.0", priority = 770)
public final class AiProxyPlugin implements KongPlugin<AiProxyConfig>, FiltersResponse<AiProxyConfig>, UsesRequestExchange {

    /** The exchange key java-file-log reads the block from. */
    public static final String AI_KEY = AiExchange.AI_KEY;
    /** The block java-file-log writes instead when the {@link #AI_KEY} one does not come (Kong abandoned the phase). */
    public static final String AI_PENDING_KEY = AiExchange.AI_PENDING_KEY;
    static final String DEFAULT_UPSTREAM = "https://api.anthropic.com";

    private static final System.Logger LOG = System.getLogger(AiProxyPlugin.class.getName());
    /** RFC 9110's token: what a header name may be. */
    private static final java.util.regex.Pattern HEADER_NAME = java.util.regex.Pattern.compile("[!#$%&'*+\\-.^_`|~0-9A-Za-z]+");
    private static final ObjectMapper JSON = new ObjectMapper();

    private volatile RequestExchange exchange = ProcessRequestExchange.shared();

    @Override
    public void useRequestExchange(RequestExchange exchange) {
        this.exchange = exchange;
    }

    /** Configs whose warnings were logged already. */
    private final java.util.Set<AiProxyConfig> warnedConfigs = java.util.concurrent.ConcurrentHashMap.newKeySet();

    @Override
    public void validate(AiProxyConfig config) throws InvalidConfigException {
        Map<String, String> errors = new LinkedHashMap<>();
        AiProxyConfig.Options options = config.options();
        if (options.anthropicVersion().filter(v -> !v.isBlank()).isEmpty()) {
            errors.put("@entity", "must set 'model.options.anthropic_version' for anthropic provider");
        }
        options.upstreamUrl().ifPresent(url -> UpstreamUrls.problem(url).ifPresent(problem -> errors.put("model.options.upstream_url", problem)));
        config.auth().flatMap(AiProxyConfig.Auth::headerName).filter(name -> !HEADER_NAME.matcher(name).matches()).ifPresent(name ->
                errors.put("auth.header_name", "not a valid header name"));
        config.auth().flatMap(AiProxyConfig.Auth::headerValue).filter(value -> value.chars().anyMatch(c -> c == '\r' || c == '\n' || c == 0))
                .ifPresent(value -> errors.put("auth.header_value", "must not contain line breaks")); // the value itself is a secret: not echoed
        if (!errors.isEmpty()) {
            throw new InvalidConfigException(errors);
        }
        if (!warnedConfigs.add(config)) {
            return; // said once per config: Kong starts an instance of it per worker and after every change
        }
        if (warnedConfigs.size() > 1024) {
            warnedConfigs.clear();
        }
        if (options.upstreamPath().isPresent()) {
            LOG.log(Level.WARNING, "llm: config.model.options.upstream_path is deprecated, please use config.model.options.upstream_url instead");
        }
        if (config.nativeFormat()) {
            // Kong's native mode forwards the client's body as sent: an operator counting on max_tokens as a cap must hear it
            List<String> ignored = new ArrayList<>();
            options.maxTokens().ifPresent(v -> ignored.add("max_tokens"));
            options.temperature().ifPresent(v -> ignored.add("temperature"));
            options.topP().ifPresent(v -> ignored.add("top_p"));
            options.topK().ifPresent(v -> ignored.add("top_k"));
            if (!ignored.isEmpty()) {
                LOG.log(Level.WARNING, "java-ai-proxy: model.options " + String.join(", ", ignored) + " not applied with llm_format anthropic:"
                        + " the client's body goes upstream as sent, as in Kong's native mode (they apply to llm_format openai)");
            }
        }
        if (config.maxRequestBodySize() == OSS_DEFAULT_MAX_BODY) {
            LOG.log(Level.WARNING, "java-ai-proxy: max_request_body_size is 8192, Kong 3.9/3.10's default, which there bounds only a"
                    + " body nginx spooled to a file; here it refuses every body over 8 KiB, and Claude Code's are 50 KB and more"
                    + " (Kong's cookbooks for Claude Code use 10485760)");
        }
    }

    /** max_request_body_size's default in Kong's open-source ai-proxy, which a config dumped from it carries. */
    static final int OSS_DEFAULT_MAX_BODY = 8192;


    /**
     * The access phase's work, done where the server asks for the request's response filter. Fails closed. Kong
     * fails open: when an external plugin's access phase errors, Kong logs it and proxies the request anyway, to
     * the Service's URL, without the pin, the key swap or the size limit. So every way this can go wrong ends the
     * request here, through {@code kong.response.exit}, and nothing reaches the provider. Only when Kong cannot
     * take the exit either (the event is gone) does the error propagate. The server's relay then sends the
     * request to the provider through {@link AiResponseFilter}.
     */
    @Override
    public Optional<ResponseFilter> responseFilter(Kong kong, AiProxyConfig config) throws PdkException {
        long start = System.nanoTime();
        CompletableFuture<Map<String, Object>> analytics = new CompletableFuture<>();
        String requestId = null;
        String pluginId = null;
        Prepared prepared = null;
        try {
            requestId = AiExchange.requestId(kong);
            pluginId = kong.plugin().getId();
            exchange.publish(requestId, AI_KEY, analytics);
            exchange.publish(requestId, AI_PENDING_KEY, CompletableFuture.completedFuture(pendingBlock(pluginId, config)));
            AiExchange.forgetPendingOnceMeasured(exchange, requestId, analytics);
            prepared = prepare(kong, config);
            ProxyCall call = new ProxyCall(requestId, pluginId, config, prepared.endpoint(), prepared.askedModel(), prepared.model(),
                    prepared.stream(), prepared.includeStreamUsage(), prepared.upstream(), prepared.body(), start, analytics);
            return Optional.of(new AiResponseFilter(call, prepared.bodyReservation()));
        } catch (Rejection rejection) {
            String id = pluginId;
            try {
                kong.response().exit(rejection.status, errorBody(config, rejection), JSON_CONTENT);
            } catch (PdkException | RuntimeException exitFailed) {
                // Kong did not take the answer (the event is over): the client did not get the refusal either
                complete(analytics, () -> Analytics.failed(id, config, null, rejection.requestModel, rejection.streamAsked, start));
                throw exitFailed;
            }
            complete(analytics, () -> Analytics.rejected(id, config, rejection.requestModel, rejection.streamAsked, start));
        } catch (Throwable failure) {
            if (prepared != null) {
                prepared.bodyReservation().close();
            }
            // first the line's block, so the log says the access phase failed
            String id = pluginId;
            String asked = askedModel(prepared);
            boolean stream = prepared != null && prepared.stream();
            complete(analytics, () -> Analytics.failed(id, config, asked, null, stream, start));
            LOG.log(Level.ERROR, "java-ai-proxy: request " + requestId + " refused with 500, its access phase failed: "
                    + scrub(config, String.valueOf(failure)));
            kong.response().exit(500, internalErrorBody(requestId), JSON_CONTENT);
        }
        return Optional.empty();
    }

    private record PendingBlock(AiProxyConfig config, Map<String, Object> block) {
    }

    /** By plugin id: the fallback block depends on the instance only, so every request shares one (read-only). */
    private final java.util.concurrent.ConcurrentHashMap<String, PendingBlock> pendingBlocks = new java.util.concurrent.ConcurrentHashMap<>();

    private Map<String, Object> pendingBlock(String pluginId, AiProxyConfig config) {
        if (pluginId == null) {
            return Analytics.pending(null, config);
        }
        PendingBlock cached = pendingBlocks.get(pluginId);
        if (cached == null || cached.config() != config) {
            cached = new PendingBlock(config, Analytics.pending(pluginId, config));
            pendingBlocks.put(pluginId, cached);
        }
        return cached.block();
    }

    /** Completes the line's block; a failure to build it must not keep the request from its exit. */
    private static void complete(CompletableFuture<Map<String, Object>> analytics, java.util.function.Supplier<Map<String, Object>> block) {
        try {
            analytics.complete(block.get());
        } catch (RuntimeException e) {
            analytics.complete(null);
        }
    }

    private static String askedModel(Prepared prepared) {
        return prepared == null ? null : prepared.askedModel();
    }

    private static final Map<String, List<String>> JSON_CONTENT = Map.of("Content-Type", List.of("application/json; charset=utf-8"));

    /** Kong's own answer to an error inside a plugin. */
    static String internalErrorBody(String requestId) {
        ObjectNode body = JSON.createObjectNode().put("message", "An unexpected error occurred");
        if (requestId != null) {
            body.put("request_id", requestId);
        }
        return body.toString();
    }

    /** Replaces the configured credentials in a text that may be logged. */
    static String scrub(AiProxyConfig config, String text) {
        String scrubbed = text;
        for (String secret : config.auth().map(auth -> java.util.stream.Stream.of(auth.headerValue(), auth.paramValue())
                .flatMap(Optional::stream).filter(s -> !s.isEmpty()).toList()).orElse(List.of())) {
            scrubbed = scrubbed.replace(secret, "[REDACTED]");
        }
        return scrubbed;
    }

    /** What the access phase decided about a request. */
    record Prepared(ProxyCall.Endpoint endpoint, String askedModel, String model, boolean stream, boolean includeStreamUsage, URI upstream, byte[] body,
                    BodyBudget.Reservation bodyReservation) {
    }

    /** How long a large body waits for room in the {@link BodyBudget} before the request is refused (tests shorten it). */
    static volatile java.time.Duration bodyBudgetWait = java.time.Duration.ofSeconds(10);
    /** The server's body budget (tests give a small one). */
    static volatile BodyBudget bodyBudget = BodyBudget.shared();

    /**
     * Each PDK call is a round trip to Kong in sequence, so the access phase asks only what it will use: the path
     * where it chooses the endpoint or the upstream path (Anthropic's format, preserve), the declared length where
     * there is a limit to check it against, then the body. The how-to's request takes three calls here, after the
     * request id ({@code AccessPhaseCallsTest} pins the sequence).
     */
    static Prepared prepare(Kong kong, AiProxyConfig config) throws PdkException, Rejection {
        // An OpenAI-format route always maps to /v1/messages upstream, whatever path the client used.
        String path = config.nativeFormat() || config.preserve() ? kong.request().getPath() : null;
        ProxyCall.Endpoint endpoint = endpoint(config, path);
        BodyBudget.Reservation[] reservation = new BodyBudget.Reservation[1];
        byte[] body = readBody(kong, config, reservation);
        try {
            Prepared prepared = prepare(kong, config, path, endpoint, body);
            return new Prepared(prepared.endpoint(), prepared.askedModel(), prepared.model(), prepared.stream(), prepared.includeStreamUsage(),
                    prepared.upstream(), prepared.body(), reservation[0]);
        } catch (Rejection | PdkException | RuntimeException | Error e) {
            reservation[0].close();
            throw e;
        }
    }

    /** Kong's answer when its get_body yields nothing (no body, broken JSON): on every route_type, preserve included. */
    static final String NO_BODY = "content-type header does not match request body, or bad JSON formatting";

    private static Prepared prepare(Kong kong, AiProxyConfig config, String path, ProxyCall.Endpoint endpoint, byte[] body)
            throws Rejection, PdkException {
        if (body.length == 0) {
            // a preserve route would otherwise lend the operator's key to GET /v1/models, DELETE /v1/files/..., ...
            throw new Rejection(400, "invalid_request_error", NO_BODY);
        }
        StrictJson.Scan json;
        // One pass over the client's bytes, no tree: a long Claude Code session sends hundreds of KB per request.
        try {
            json = StrictJson.scan(body, TOP_LEVEL_MEMBERS);
        } catch (StrictJson.DuplicateKeyException e) {
            // {"model":"<other>","model":"<pinned>"}: a parser that keeps the first key would use the other model.
            throw new Rejection(400, "invalid_request_error", "request body has a duplicate key: " + e.key());
        } catch (IOException notJson) {
            json = null;
        }
        json = json != null && json.object() ? json : null;
        if (json == null && config.model().name().filter(n -> !n.isEmpty()).isPresent()) {
            // An array, a string or broken JSON: nothing to pin, so nothing to forward either (preserve included).
            throw new Rejection(400, "invalid_request_error", "request body must be a JSON object");
        }
        if (json == null && endpoint == ProxyCall.Endpoint.PRESERVE && !formEncoded(kong.request().getHeader("content-type").orElse(""))) {
            // Kong reads a body as its Content-Type says (JSON without one); only a form or multipart body is a table then
            throw new Rejection(400, "invalid_request_error", NO_BODY);
        }
        if (json == null && endpoint != ProxyCall.Endpoint.PRESERVE) {
            // Whatever the Content-Type says: a body we cannot read is never forwarded, so the model pin holds.
            throw new Rejection(400, "invalid_request_error", "request body doesn't contain valid prompts");
        }
        StrictJson.Member modelMember = json == null ? null : json.member("model");
        String asked = modelMember != null && modelMember.kind() == JsonToken.VALUE_STRING ? modelMember.text() : null;
        try {
            String model = effectiveModel(config, modelMember);
            boolean stream = json != null && asksForStream(json.member("stream"));
            if (endpoint != ProxyCall.Endpoint.PRESERVE) {
                validatePrompts(endpoint, json);
                if (model == null) {
                    throw new Rejection(400, "invalid_request_error", "model parameter not found in request, nor in gateway configuration");
                }
            }
            if (endpoint == ProxyCall.Endpoint.COUNT_TOKENS) {
                stream = false;
            } else if (config.responseStreaming().equals("deny") && stream) {
                throw new Rejection(400, "invalid_request_error", "response streaming is not enabled for this LLM");
            } else if (config.responseStreaming().equals("always") && endpoint == ProxyCall.Endpoint.CHAT_COMPLETIONS) {
                stream = true;
            }
            byte[] upstreamBody = body;
            boolean includeUsage = false;
            if (endpoint == ProxyCall.Endpoint.CHAT_COMPLETIONS) {
                ObjectNode tree = (ObjectNode) readTree(body);
                upstreamBody = OpenAiTranslation.toAnthropicRequest(tree, model, config.options(), stream).toString()
                        .getBytes(StandardCharsets.UTF_8);
                includeUsage = tree.path("stream_options").path("include_usage").asBoolean(false);
            } else if (json != null && model != null && (asked == null || asked.isEmpty())) {
                // a missing, null or "" model gets the effective one, as Kong writes it into the body
                upstreamBody = StrictJson.withMember(body, json, "model", model);
            }
            return new Prepared(endpoint, asked, model, stream, includeUsage, upstream(config, endpoint, path), upstreamBody, null);
        } catch (Rejection rejection) {
            // logged as the request_model of the refusal: the client wrote it, so a bounded piece of it
            rejection.requestModel = asked == null || asked.length() <= LOGGED_MODEL_LENGTH ? asked
                    : asked.substring(0, LOGGED_MODEL_LENGTH) + "...";
            rejection.streamAsked = json != null && asksForStream(json.member("stream"));
            throw rejection;
        }
    }

    private static boolean formEncoded(String contentType) {
        String type = contentType.toLowerCase(java.util.Locale.ROOT);
        return type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/form-data");
    }

    /** The longest model name a refused request is logged with (a client can send megabytes of one). */
    static final int LOGGED_MODEL_LENGTH = 256;

    private static final java.util.Set<String> TOP_LEVEL_MEMBERS = java.util.Set.of("model", "stream", "messages", "prompt");

    /** The scan has already checked the body; only the OpenAI translation needs its tree. */
    private static JsonNode readTree(byte[] body) {
        try {
            return StrictJson.read(body);
        } catch (IOException scanned) {
            throw new java.io.UncheckedIOException(scanned);
        }
    }

    /**
     * Whether the body asks for a stream as Kong's normalize-request reads {@code stream}: Lua's truth, so anything but
     * false ({@code "false"}, {@code 0} and JSON null, which cjson decodes to a truthy cjson.null, included) asks, and
     * with response_streaming deny is refused.
     */
    private static boolean asksForStream(StrictJson.Member member) {
        return member != null && member.kind() != JsonToken.VALUE_FALSE;
    }


    static ProxyCall.Endpoint endpoint(AiProxyConfig config, String path) throws Rejection {
        if (config.preserve()) {
            return ProxyCall.Endpoint.PRESERVE;
        }
        if (!config.nativeFormat()) {
            return ProxyCall.Endpoint.CHAT_COMPLETIONS;
        }
        String trimmed = path.endsWith("/") && path.length() > 1 ? path.substring(0, path.length() - 1) : path;
        if (trimmed.endsWith("/v1/messages")) {
            return ProxyCall.Endpoint.MESSAGES;
        }
        if (trimmed.endsWith("/v1/messages/count_tokens")) {
            return ProxyCall.Endpoint.COUNT_TOKENS;
        }
        throw new Rejection(404, "not_found_error",
                "java-ai-proxy serves /v1/messages and /v1/messages/count_tokens on this route, not " + path);
    }

    /**
     * The body, however the client framed it. Kong's {@code get_raw_body(max)} answers a body nginx spooled to a
     * file (anything over {@code client_body_buffer_size}) that is larger than {@code max} with nil, and Kong's
     * RPC bridge cannot send nil as bytes: the event dies with a Lua error. A declared Content-Length is checked
     * first; the body is then asked for with 0 (no limit), which Kong always answers, and measured here, so a
     * chunked body over the limit gets the same 413 as a declared one. nginx's {@code client_max_body_size}
     * bounds what Kong reads at all.
     */
    private static byte[] readBody(Kong kong, AiProxyConfig config, BodyBudget.Reservation[] reservation) throws PdkException, Rejection {
        long limit = config.maxRequestBodySize();
        Optional<String> declared = kong.request().getHeader("content-length");
        long length = -1;
        if (declared.isPresent()) {
            try {
                length = Long.parseLong(declared.get().trim());
            } catch (NumberFormatException malformed) {
                throw new Rejection(400, "invalid_request_error", "invalid Content-Length header");
            }
            if (limit > 0 && length > limit) {
                throw tooLarge(length, limit);
            }
        }
        // Room for the body before Kong sends it: a burst of large bodies waits instead of running the server out of heap,
        // which would fail every request in flight (and Kong proxies a request whose event failed, without the plugin). A
        // body of unknown size (chunked) takes room for the largest it may be, and gives the rest back once read.
        reservation[0] = reserve(length >= 0 ? length : limit > 0 ? limit : Long.MAX_VALUE);
        try {
            byte[] body;
            try {
                body = kong.request().getRawBody(0);
            } catch (PdkException e) {
                if (limit > 0 && e.getMessage() != null && e.getMessage().contains("too big")) {
                    throw tooLarge(-1, limit);
                }
                throw new Rejection(400, "invalid_request_error", "the request body could not be read");
            }
            if (body == null) {
                reservation[0].shrinkTo(0);
                return new byte[0];
            }
            if (limit > 0 && body.length > limit) {
                throw tooLarge(body.length, limit);
            }
            if (length < 0) {
                reservation[0].shrinkTo(body.length);
            }
            return body;
        } catch (Rejection | RuntimeException | Error e) {
            reservation[0].close(); // an OutOfMemoryError reading the body too: the room would be lost until a restart
            throw e;
        }
    }

    private static BodyBudget.Reservation reserve(long bytes) throws Rejection {
        BodyBudget budget = bodyBudget;
        try {
            return budget.reserve(bytes, bodyBudgetWait).orElseThrow(() -> new Rejection(503, "overloaded_error",
                    "the gateway holds as many large request bodies as its plugin server's heap allows (" + (budget.capacityBytes() >> 20)
                            + " MiB); retry, or raise its heap (KONG_JAVA_OPTS=-Xmx... on the start command)"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Rejection(503, "overloaded_error", "interrupted while waiting for room for the request body");
        }
    }

    private static Rejection tooLarge(long length, long limit) {
        return new Rejection(413, "request_too_large", "request body is too large"
                + (length >= 0 ? " (" + length + " bytes)" : "") + "; max_request_body_size is " + limit + " bytes");
    }

    /** Kong's model rules: the configured name wins; a client naming another model is refused. */
    static String effectiveModel(AiProxyConfig config, StrictJson.Member requested) throws Rejection {
        String configured = config.model().name().filter(n -> !n.isEmpty()).orElse(null);
        if (requested != null && requested.kind() != JsonToken.VALUE_NULL && requested.kind() != JsonToken.VALUE_STRING) {
            throw new Rejection(400, "invalid_request_error", "model must be a string");
        }
        String asked = requested == null || requested.kind() == JsonToken.VALUE_NULL ? "" : requested.text();
        if (configured == null) {
            return asked.isEmpty() ? null : asked;
        }
        if (!asked.isEmpty() && !asked.equals(configured)) {
            throw new Rejection(400, "invalid_request_error", "cannot use own model - must be: " + configured);
        }
        return configured;
    }

    private static void validatePrompts(ProxyCall.Endpoint endpoint, StrictJson.Scan json) throws Rejection {
        StrictJson.Member messages = json.member("messages");
        boolean hasMessages = messages != null && messages.kind() == JsonToken.START_ARRAY && !messages.empty();
        if (endpoint == ProxyCall.Endpoint.CHAT_COMPLETIONS && json.member("prompt") != null) {
            throw new Rejection(400, "invalid_request_error", hasMessages ? "request matches multiple LLM request formats"
                    : "[llm/v1/completions] message format is not compatible with [llm/v1/chat] route type");
        }
        if (!hasMessages) {
            throw new Rejection(400, "invalid_request_error", "request body doesn't contain valid prompts");
        }
    }

    static URI upstream(AiProxyConfig config, ProxyCall.Endpoint endpoint, String clientPath) {
        AiProxyConfig.Options options = config.options();
        URI base = URI.create(options.upstreamUrl().orElse(DEFAULT_UPSTREAM));
        String basePath = base.getRawPath() == null ? "" : base.getRawPath();
        String path;
        if (options.upstreamPath().isPresent()) {
            path = options.upstreamPath().get();
        } else {
            path = switch (endpoint) {
                case PRESERVE -> clientPath;
                case CHAT_COMPLETIONS -> basePath.isEmpty() || basePath.equals("/") ? "/v1/messages" : basePath;
                case MESSAGES, COUNT_TOKENS -> {
                    String prefix = basePath;
                    int messages = prefix.indexOf("/v1/messages");
                    if (messages >= 0) {
                        prefix = prefix.substring(0, messages);
                    }
                    if (prefix.endsWith("/")) {
                        prefix = prefix.substring(0, prefix.length() - 1);
                    }
                    yield prefix + (endpoint == ProxyCall.Endpoint.MESSAGES ? "/v1/messages" : "/v1/messages/count_tokens");
                }
            };
        }
        if (!path.startsWith("/")) {
            path = "/" + path;
        }
        int port = base.getPort() > 0 ? base.getPort() : base.getScheme().equals("http") ? 80 : 443;
        return URI.create(base.getScheme() + "://" + base.getHost() + ":" + port + escapePath(path));
    }

    /** RFC 3986's path characters; Kong's normalized path keeps {@code %XX} only for reserved bytes, which stay so. */
    private static final String PATH_SAFE = "-._~!$&'()*+,;=:@/%";

    /**
     * The path as it goes on the wire: {@code kong.request.get_path} is Kong's normalized path, decoded but for reserved
     * characters ({@code /a%20b} comes as {@code /a b}), and Kong escapes it again when it proxies; so does the plugin.
     */
    static String escapePath(String path) {
        StringBuilder out = null;
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            boolean safe = c < 0x80 && (Character.isLetterOrDigit(c) || PATH_SAFE.indexOf(c) >= 0);
            if (safe) {
                if (out != null) {
                    out.append(c);
                }
                continue;
            }
            if (out == null) {
                out = new StringBuilder(path.length() + 16).append(path, 0, i);
            }
            int end = Character.isHighSurrogate(c) && i + 1 < path.length() ? i + 2 : i + 1;
            for (byte b : path.substring(i, end).getBytes(StandardCharsets.UTF_8)) {
                out.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xF, 16)))
                        .append(Character.toUpperCase(Character.forDigit(b & 0xF, 16)));
            }
            i = end - 1;
        }
        return out == null ? path : out.toString();
    }

    /** Kong's error body, with Anthropic's {@code type} fields added for clients of the Messages API. */
    static String errorBody(AiProxyConfig config, Rejection rejection) {
        ObjectNode root = JSON.createObjectNode();
        if (config.nativeFormat()) {
            root.put("type", "error");
        }
        ObjectNode error = root.putObject("error");
        if (config.nativeFormat()) {
            error.put("type", rejection.type);
        }
        error.put("message", rejection.getMessage());
        return root.toString();
    }
}
