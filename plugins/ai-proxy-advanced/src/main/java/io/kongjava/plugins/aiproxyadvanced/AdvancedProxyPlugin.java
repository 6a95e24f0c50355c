package io.kongjava.plugins.aiproxyadvanced;

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
import io.kongjava.pdk.filter.CallsUpstream;
import io.kongjava.pdk.filter.FiltersResponse;
import io.kongjava.pdk.filter.ResponseFilter;
import io.kongjava.plugins.ai.AiExchange;
import io.kongjava.plugins.ai.BodyBudget;
import io.kongjava.plugins.ai.StrictJson;
import io.kongjava.plugins.ai.UpstreamUrls;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;

/**
 * Kong's ai-proxy-advanced for Anthropic-native clients (Claude Code): one route, several targets on Anthropic's
 * API, Amazon Bedrock and Google Vertex AI, balanced by one of Kong's algorithms, with failover that never breaks
 * a stream the client has begun to read. The access phase checks the request; its {@link AdvancedFilter} then makes
 * the provider calls in the relay's place. Like java-ai-proxy it fails closed: any error in the access phase ends
 * the request with Kong's 500 rather than letting Kong proxy it to the Service unchecked.
 */
@KongPlugin.Info(name = "java-ai-proxy-advanced", version = "0.1.0", priority = 770) // Kong's ai-proxy-advanced priority
public final class AdvancedProxyPlugin implements KongPlugin<AdvancedConfig>, FiltersResponse<AdvancedConfig>, UsesRequestExchange {

    public static final String AI_KEY = AiExchange.AI_KEY;
    /** The block java-file-log writes instead when the {@link #AI_KEY} one does not come (Kong abandoned the phase). */
    public static final String AI_PENDING_KEY = AiExchange.AI_PENDING_KEY;

    private static final System.Logger LOG = System.getLogger(AdvancedProxyPlugin.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, List<String>> JSON_CONTENT = Map.of("Content-Type", List.of("application/json; charset=utf-8"));

    /** What one configuration needs between requests: its providers (with their credentials) and its balancer. */
    private record Engine(Attempts attempts) {
    }

    /**
     * One engine per configuration, shared by every instance Kong starts with it (each nginx worker's), so the
     * balancer and the circuits see all the traffic. Bounded: configurations Kong has replaced fall out.
     */
    private final Map<AdvancedConfig, Engine> engines = java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<AdvancedConfig, Engine> eldest) {
            return size() > MAX_ENGINES;
        }
    });
    static final int MAX_ENGINES = 256;
    /**
     * Built with the first engine, not with the plugin: every plugin server loads this plugin, few run it, and
     * OkHttp with its TLS context took ~0.4 s of CPU at every server's start-up, beside Kong's own.
     */
    private volatile OkHttpClient http;
    private volatile RequestExchange exchange = ProcessRequestExchange.shared();

    @Override
    public void useRequestExchange(RequestExchange exchange) {
        this.exchange = exchange;
    }

    @Override
    public void validate(AdvancedConfig config) throws InvalidConfigException {
        Map<String, String> errors = new LinkedHashMap<>();
        if (!config.llmFormat().equals("anthropic")) {
            errors.put("llm_format", "java-ai-proxy-advanced serves Anthropic-native clients (Claude Code): set llm_format to 'anthropic'");
        }
        if (!config.genaiCategory().equals("text/generation")) {
            errors.put("genai_category", "java-ai-proxy-advanced serves text/generation (the Messages API) only");
        }
        if (config.embeddings().isPresent()) {
            errors.put("embeddings", "semantic balancing is not supported by java-ai-proxy-advanced: embeddings must be null");
        }
        if (config.vectordb().isPresent()) {
            errors.put("vectordb", "semantic balancing is not supported by java-ai-proxy-advanced: vectordb must be null");
        }
        for (int i = 0; i < config.targets().size(); i++) {
            AdvancedConfig.Target target = config.targets().get(i);
            String at = "targets." + (i + 1) + ".";
            AdvancedConfig.Options options = target.options();
            if (target.routeType().equals("preserve")) {
                errors.put(at + "route_type", "java-ai-proxy-advanced does not pass requests through unchanged ('preserve', deprecated by Kong since 3.10):"
                        + " use llm/v1/chat with llm_format 'anthropic', which serves Anthropic's Messages API as the client sent it");
            } else if (!target.routeType().equals("llm/v1/chat")) {
                errors.put(at + "route_type", "java-ai-proxy-advanced serves llm/v1/chat (the Messages API) only");
            }
            if (target.model().name() == null || target.model().name().isBlank()) {
                errors.put(at + "model.name", "required field missing");
            }
            target.model().modelAlias().ifPresent(alias -> {
                if (alias.isBlank()) {
                    errors.put(at + "model.model_alias", "must not be empty");
                }
            });
            options.upstreamUrl().ifPresent(url -> UpstreamUrls.problem(url).ifPresent(problem -> errors.put(at + "model.options.upstream_url", problem)));
            options.upstreamPath().ifPresent(path -> errors.put(at + "model.options.upstream_path",
                    "not supported by java-ai-proxy-advanced (it is for the 'preserve' route_type): set model.options.upstream_url instead"));
            target.auth().ifPresent(auth -> {
                if (auth.gcpMetadataUrl().isPresent()) {
                    errors.put(at + "auth.gcp_metadata_url", "not supported by java-ai-proxy-advanced: application default credentials use Google's own endpoints");
                }
                if (auth.gcpOauthTokenUrl().isPresent()) {
                    errors.put(at + "auth.gcp_oauth_token_url", "not supported by java-ai-proxy-advanced: the service account's own token_uri is used");
                }
                if (auth.paramName().isPresent() || auth.paramValue().isPresent()) {
                    errors.put(at + "auth.param_name", "not supported by java-ai-proxy-advanced: Claude's providers take a header (auth.header_name) or cloud credentials");
                }
                if (auth.allowOverride()) {
                    // Kong refuses it for bedrock and gemini; for anthropic it would let a client's key through, which
                    // this plugin never does: refused rather than silently ignored
                    errors.put(at + "auth.allow_override", List.of("bedrock", "gemini").contains(target.model().provider())
                            ? "bedrock and gemini only support auth.allow_override = false"
                            : "not supported by java-ai-proxy-advanced: the target's own credentials always replace the client's");
                }
            });
            switch (target.model().provider()) {
                case "anthropic" -> {
                    if (options.anthropicVersion().filter(v -> !v.isBlank()).isEmpty()) {
                        errors.put(at + "@entity", "must set 'model.options.anthropic_version' for anthropic provider");
                    }
                    if (target.auth().flatMap(AdvancedConfig.Auth::headerName).isEmpty()) {
                        errors.put(at + "auth.header_name", "the anthropic provider needs a key: set auth.header_name (x-api-key) and auth.header_value");
                    }
                }
                case "bedrock" -> {
                    if (BedrockProvider.region(target) == null) {
                        errors.put(at + "model.options.bedrock.aws_region", "must set 'model.options.bedrock.aws_region' (or AWS_REGION) for bedrock provider");
                    }
                    Optional<AdvancedConfig.Bedrock> bedrock = options.bedrock();
                    bedrock.flatMap(AdvancedConfig.Bedrock::awsAssumeRoleArn).ifPresent(arn -> {
                        if (!arn.startsWith("arn:")) {
                            errors.put(at + "model.options.bedrock.aws_assume_role_arn", "expected an IAM role ARN (arn:aws:iam::<account>:role/<name>)");
                        }
                    });
                    if (bedrock.flatMap(AdvancedConfig.Bedrock::awsAssumeRoleArn).isEmpty()) {
                        bedrock.flatMap(AdvancedConfig.Bedrock::awsRoleSessionName).ifPresent(name -> errors.put(at + "model.options.bedrock.aws_role_session_name",
                                "only used with 'model.options.bedrock.aws_assume_role_arn'"));
                        bedrock.flatMap(AdvancedConfig.Bedrock::awsStsEndpointUrl).ifPresent(url -> errors.put(at + "model.options.bedrock.aws_sts_endpoint_url",
                                "only used with 'model.options.bedrock.aws_assume_role_arn'"));
                    }
                    bedrock.flatMap(AdvancedConfig.Bedrock::awsStsEndpointUrl).ifPresent(url -> UpstreamUrls.problem(url)
                            .ifPresent(problem -> errors.put(at + "model.options.bedrock.aws_sts_endpoint_url", problem)));
                    bedrock.flatMap(AdvancedConfig.Bedrock::performanceConfigLatency).ifPresent(latency -> {
                        if (!latency.equals("standard") && !latency.equals("optimized")) {
                            errors.put(at + "model.options.bedrock.performance_config_latency", "expected one of: standard, optimized");
                        }
                    });
                }
                case "gemini" -> {
                    Optional<AdvancedConfig.Gemini> gemini = options.gemini();
                    if (gemini.flatMap(AdvancedConfig.Gemini::projectId).filter(p -> !p.isBlank()).isEmpty()
                            || gemini.flatMap(AdvancedConfig.Gemini::locationId).filter(l -> !l.isBlank()).isEmpty()) {
                        errors.put(at + "model.options.gemini", "Claude is served by Vertex AI: set 'model.options.gemini.project_id' and 'location_id'");
                    }
                    if (gemini.flatMap(AdvancedConfig.Gemini::endpointId).isPresent()) {
                        errors.put(at + "model.options.gemini.endpoint_id", "Vertex Model Garden endpoints are not supported by java-ai-proxy-advanced: Claude is called as a publisher model");
                    }
                    target.auth().flatMap(AdvancedConfig.Auth::gcpServiceAccountJson).filter(j -> !j.isBlank()).ifPresent(json -> {
                        try {
                            if (!JSON.readTree(json).path("type").asText("").equals("service_account")) {
                                errors.put(at + "auth.gcp_service_account_json", "expected a service account key (\"type\": \"service_account\")");
                            }
                        } catch (IOException e) {
                            errors.put(at + "auth.gcp_service_account_json", "not valid JSON");
                        }
                    });
                }
                default -> errors.put(at + "model.provider", "java-ai-proxy-advanced serves Claude through anthropic, bedrock or gemini (Vertex AI), not "
                        + target.model().provider());
            }
        }
        AdvancedConfig.Balancer balancer = config.balancerOrDefaults();
        if (balancer.algorithm() == AdvancedConfig.Algorithm.SEMANTIC) {
            errors.put("balancer.algorithm", "semantic balancing is not supported by java-ai-proxy-advanced: use round-robin, lowest-latency,"
                    + " lowest-usage, least-connections, consistent-hashing or priority (with model_alias to route by the requested model)");
        }
        if (balancer.tokensCountStrategy().equals("llm-accuracy")) {
            errors.put("balancer.tokens_count_strategy", "llm-accuracy is not supported by java-ai-proxy-advanced: use total-tokens, prompt-tokens, completion-tokens or cost");
        }
        if (balancer.algorithm() == AdvancedConfig.Algorithm.CONSISTENT_HASHING && balancer.hashOnHeader().isBlank()) {
            errors.put("balancer.hash_on_header", "consistent-hashing needs a header to hash on");
        }
        if (!errors.isEmpty()) {
            throw new InvalidConfigException(errors);
        }
        if (warnedConfigs.add(config)) {
            if (warnedConfigs.size() > 1024) {
                warnedConfigs.clear();
            }
            for (int i = 0; i < config.targets().size(); i++) {
                AdvancedConfig.Options options = config.targets().get(i).options();
                List<String> ignored = new ArrayList<>();
                options.maxTokens().ifPresent(v -> ignored.add("max_tokens"));
                options.temperature().ifPresent(v -> ignored.add("temperature"));
                options.topP().ifPresent(v -> ignored.add("top_p"));
                options.topK().ifPresent(v -> ignored.add("top_k"));
                if (!ignored.isEmpty()) {
                    // an operator counting on max_tokens as a cap must hear that the client's body decides
                    LOG.log(Level.WARNING, "java-ai-proxy-advanced: targets." + (i + 1) + ".model.options " + String.join(", ", ignored)
                            + " not applied: with llm_format anthropic the client's request goes to the provider as sent");
                }
            }
        }
    }

    /** Configs already warned about: Kong starts an instance of each per worker and after every change. */
    private static final Set<AdvancedConfig> warnedConfigs = java.util.concurrent.ConcurrentHashMap.newKeySet();


    /** Builds the engine of a configuration; a test may give its own. */
    @FunctionalInterface
    interface EngineFactory {
        Attempts build(AdvancedConfig config, OkHttpClient http);
    }

    private final EngineFactory engineFactory;

    public AdvancedProxyPlugin() {
        this(AdvancedProxyPlugin::buildAttempts);
    }

    AdvancedProxyPlugin(EngineFactory engineFactory) {
        this.engineFactory = engineFactory;
    }

    private static Attempts buildAttempts(AdvancedConfig config, OkHttpClient http) {
        List<Provider> providers = new ArrayList<>();
        for (AdvancedConfig.Target target : config.targets()) {
            providers.add(switch (target.model().provider()) {
                case "bedrock" -> new BedrockProvider(target, BedrockProvider.region(target));
                case "gemini" -> new VertexProvider(target);
                default -> new AnthropicProvider(target);
            });
        }
        TargetBalancer balancer = new TargetBalancer(config.targets(), config.balancerOrDefaults(), System::nanoTime);
        return new Attempts(config, providers, balancer, http);
    }

    private Engine engine(AdvancedConfig config) {
        return engines.computeIfAbsent(config, c -> new Engine(engineFactory.build(c, http())));
    }

    /**
     * The client every target is called with. It never sends a request again by itself: OkHttp would re-send a POST
     * on a new connection when a reused one failed, also after the provider had it (a second, unlogged, billed
     * call); as nginx, a sent POST is only ever tried again as the balancer's next attempt, by failover_criteria.
     */
    static OkHttpClient newHttpClient() {
        return new OkHttpClient.Builder()
                .followRedirects(false)
                .retryOnConnectionFailure(false)
                .connectionPool(new ConnectionPool(64, 1, TimeUnit.MINUTES))
                .build();
    }

    private OkHttpClient http() {
        OkHttpClient client = http;
        if (client == null) {
            synchronized (this) {
                client = http;
                if (client == null) {
                    client = newHttpClient();
                    http = client;
                }
            }
        }
        return client;
    }

    /**
     * The access phase's work, done where the server asks for the request's response filter. Fails closed: Kong
     * proxies a request whose external access phase errored to the Service unchecked, so every way this can go
     * wrong ends the request here with Kong's 500. The returned filter makes the provider calls itself, in the
     * relay's place ({@link CallsUpstream}): the relay carries its answer to the client through every filter of the
     * route.
     */
    @Override
    public Optional<ResponseFilter> responseFilter(Kong kong, AdvancedConfig config) throws PdkException {
        long start = System.nanoTime();
        CompletableFuture<Map<String, Object>> logBlock = new CompletableFuture<>();
        String requestId = null;
        String pluginId = null;
        BodyBudget.Reservation reservation = null;
        try {
            requestId = AiExchange.requestId(kong);
            pluginId = kong.plugin().getId();
            exchange.publish(requestId, AI_KEY, logBlock);
            exchange.publish(requestId, AI_PENDING_KEY, CompletableFuture.completedFuture(LogBlock.unsent(pluginId, config, "abandoned")));
            AiExchange.forgetPendingOnceMeasured(exchange, requestId, logBlock);
            Optional<String> declared = kong.request().getHeader("content-length");
            reservation = reserveBodyRoom(declared, config.maxRequestBodySize());
            Accepted accepted = accept(kong, config, declared, reservation, requestId);
            Engine engine = engine(config);
            String hashKey = config.balancerOrDefaults().algorithm() == AdvancedConfig.Algorithm.CONSISTENT_HASHING
                    ? kong.request().getHeader(config.balancerOrDefaults().hashOnHeader()).orElse(null) : null;
            AdvancedFilter filter = new AdvancedFilter(requestId, pluginId, config, accepted, engine.attempts(), hashKey, start, logBlock, reservation);
            reservation = null; // the filter gives it back when its exchange ends
            return Optional.of(filter);
        } catch (Rejection rejection) {
            logBlock.complete(LogBlock.unsent(pluginId, config, "rejected"));
            kong.response().exit(rejection.status, rejection.body(), JSON_CONTENT);
        } catch (Throwable failure) {
            logBlock.complete(LogBlock.unsent(pluginId, config, "internal_error"));
            LOG.log(Level.ERROR, "java-ai-proxy-advanced: request " + requestId + " refused with 500, its access phase failed: " + failure);
            ObjectNode body = JSON.createObjectNode().put("message", "An unexpected error occurred");
            if (requestId != null) {
                body.put("request_id", requestId);
            }
            kong.response().exit(500, body.toString(), JSON_CONTENT);
        } finally {
            if (reservation != null) {
                reservation.close();
            }
        }
        return Optional.empty();
    }

    /** How long a large body waits for room in the {@link BodyBudget} before the request is refused. */
    static final java.time.Duration BODY_BUDGET_WAIT = java.time.Duration.ofSeconds(10);

    /**
     * Room for the body in the server's {@link BodyBudget} before Kong sends it: a burst of large bodies waits rather than
     * running the server out of heap (and Kong proxying the requests whose events failed, without the plugin). A body of
     * unknown size (chunked) takes room for the largest it may be ({@code max_request_body_size}) until it is read.
     */
    private static BodyBudget.Reservation reserveBodyRoom(Optional<String> declared, long limit) throws Rejection {
        long length;
        try {
            length = Long.parseLong(declared.orElse("-1").trim());
        } catch (NumberFormatException e) {
            throw new Rejection(400, "invalid_request_error", "invalid Content-Length header");
        }
        BodyBudget budget = BodyBudget.shared();
        try {
            return budget.reserve(length >= 0 ? length : limit > 0 ? limit : Long.MAX_VALUE, BODY_BUDGET_WAIT).orElseThrow(() -> new Rejection(503, "overloaded_error",
                    "the gateway holds as many large request bodies as its plugin server's heap allows (" + (budget.capacityBytes() >> 20)
                            + " MiB); retry, or raise its heap (KONG_JAVA_OPTS=-Xmx... on the start command)"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Rejection(503, "overloaded_error", "interrupted while waiting for room for the request body");
        }
    }

    /** A request the access phase refused, in Anthropic's error shape (Kong's message). */
    static final class Rejection extends Exception {
        final int status;
        final String type;

        Rejection(int status, String type, String message) {
            super(message, null, false, false);
            this.status = status;
            this.type = type;
        }

        String body() {
            ObjectNode root = JSON.createObjectNode().put("type", "error");
            root.putObject("error").put("type", type).put("message", getMessage());
            return root.toString();
        }
    }

    /** A request the access phase accepted, with the targets that may serve it (by {@code model_alias}). */
    record Accepted(ClientRequest request, String clientModel, Set<Integer> eligible) {
    }

    static Accepted accept(Kong kong, AdvancedConfig config, Optional<String> declared, BodyBudget.Reservation reservation,
                           String requestId) throws PdkException, Rejection {
        String path = kong.request().getPath();
        String trimmed = path.endsWith("/") && path.length() > 1 ? path.substring(0, path.length() - 1) : path;
        ClientRequest.Operation operation;
        if (trimmed.endsWith("/v1/messages")) {
            operation = ClientRequest.Operation.MESSAGES;
        } else if (trimmed.endsWith("/v1/messages/count_tokens")) {
            operation = ClientRequest.Operation.COUNT_TOKENS;
        } else {
            throw new Rejection(404, "not_found_error", "java-ai-proxy-advanced serves /v1/messages and /v1/messages/count_tokens, not " + path);
        }
        byte[] body = readBody(kong, config, declared);
        reservation.shrinkTo(body.length); // a chunked body was given room for the largest it could be
        JsonNode parsed;
        try {
            parsed = StrictJson.read(body);
        } catch (StrictJson.DuplicateKeyException e) {
            throw new Rejection(400, "invalid_request_error", "request body has a duplicate key");
        } catch (IOException e) {
            throw new Rejection(400, "invalid_request_error", "request body doesn't contain valid prompts");
        }
        if (!(parsed instanceof ObjectNode json) || !json.path("messages").isArray() || json.path("messages").isEmpty()) {
            throw new Rejection(400, "invalid_request_error", "request body doesn't contain valid prompts");
        }
        JsonNode model = json.get("model");
        if (model != null && !model.isNull() && !model.isTextual()) {
            throw new Rejection(400, "invalid_request_error", "model must be a string");
        }
        String clientModel = model == null || model.isNull() || model.asText().isEmpty() ? null : model.asText();
        Set<Integer> eligible = eligibleTargets(config, clientModel);
        if (eligible.isEmpty()) {
            throw new Rejection(400, "invalid_request_error", "cannot use own model - must be one of: " + String.join(", ", servedModels(config)));
        }
        boolean stream = streamed(json, operation, config.responseStreaming());
        String beta = kong.request().getHeader("anthropic-beta").orElse(null);
        String query = kong.request().getRawQuery();
        return new Accepted(new ClientRequest(operation, json, stream, beta, query == null || query.isEmpty() ? null : query, requestId),
                clientModel, eligible);
    }

    /**
     * The targets that may serve a request naming {@code requested} as its model: those whose Kong
     * {@code model_alias} it is, and those whose own {@code model.name} it is (so a target without an alias still
     * serves its own model); with no model named, every target. The balancer picks among them and fails over only
     * among them.
     */
    static Set<Integer> eligibleTargets(AdvancedConfig config, String requested) {
        List<AdvancedConfig.Target> targets = config.targets();
        Set<Integer> eligible = new java.util.TreeSet<>();
        for (int i = 0; i < targets.size(); i++) {
            AdvancedConfig.Target target = targets.get(i);
            if (requested == null || target.aliased(requested) || target.model().name().equals(requested)) {
                eligible.add(i);
            }
        }
        return eligible;
    }

    /**
     * Whether the answer is streamed, by Kong's {@code response_streaming}: as the client asked with {@code allow};
     * refused when asked with {@code deny}; always with {@code always}, which sets {@code stream: true} in the body
     * the targets get. Only the Messages API streams (count_tokens never does).
     */
    static boolean streamed(ObjectNode json, ClientRequest.Operation operation, String responseStreaming) throws Rejection {
        if (operation != ClientRequest.Operation.MESSAGES) {
            return false;
        }
        boolean asked = json.path("stream").asBoolean(false);
        return switch (responseStreaming) {
            case "deny" -> {
                if (asked) {
                    throw new Rejection(400, "invalid_request_error", "response streaming is not enabled for this LLM");
                }
                yield false;
            }
            case "always" -> {
                json.put("stream", true);
                yield true;
            }
            default -> asked;
        };
    }

    /** The model names a client may use: every alias, and every target's own model name. */
    private static Set<String> servedModels(AdvancedConfig config) {
        Set<String> names = new LinkedHashSet<>();
        config.targets().forEach(t -> t.model().modelAlias().ifPresent(names::add));
        config.targets().forEach(t -> names.add(t.model().name()));
        return names;
    }

    private static byte[] readBody(Kong kong, AdvancedConfig config, Optional<String> declared) throws PdkException, Rejection {
        long limit = config.maxRequestBodySize();
        if (limit > 0 && declared.isPresent()) {
            try {
                long length = Long.parseLong(declared.get().trim());
                if (length > limit) {
                    throw new Rejection(413, "request_too_large", "request body is too large (" + length + " bytes); max_request_body_size is " + limit + " bytes");
                }
            } catch (NumberFormatException e) {
                throw new Rejection(400, "invalid_request_error", "invalid Content-Length header");
            }
        }
        byte[] body;
        try {
            body = kong.request().getRawBody(0);
        } catch (PdkException e) {
            throw new Rejection(400, "invalid_request_error", "the request body could not be read");
        }
        if (body == null) {
            body = new byte[0];
        }
        if (limit > 0 && body.length > limit) {
            throw new Rejection(413, "request_too_large", "request body is too large (" + body.length + " bytes); max_request_body_size is " + limit + " bytes");
        }
        return body;
    }

    @Override
    public void shutdown() {
        OkHttpClient client = http;
        if (client != null) {
            client.dispatcher().executorService().shutdown();
            client.connectionPool().evictAll();
        }
    }
}
