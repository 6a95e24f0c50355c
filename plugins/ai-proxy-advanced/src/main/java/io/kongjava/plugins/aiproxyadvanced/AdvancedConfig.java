package io.kongjava.plugins.aiproxyadvanced;

import io.kongjava.pdk.schema.Between;
import io.kongjava.pdk.schema.Default;
import io.kongjava.pdk.schema.Description;
import io.kongjava.pdk.schema.Encrypted;
import io.kongjava.pdk.schema.EntityCheck;
import io.kongjava.pdk.schema.Gt;
import io.kongjava.pdk.schema.KongName;
import io.kongjava.pdk.schema.LenMin;
import io.kongjava.pdk.schema.Match;
import io.kongjava.pdk.schema.OneOf;
import io.kongjava.pdk.schema.Referenceable;
import io.kongjava.plugins.ai.UpstreamSchema;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * Kong's ai-proxy-advanced configuration (Kong Gateway 3.14/3.15 schema), every field of it, so that a configuration
 * exported from Kong loads as it is: {@code targets[]} (each a provider, a model with its optional
 * {@code model_alias}, credentials, a weight and logging), the {@code balancer} that picks among them and fails over,
 * and the fields this plugin does not serve ({@code embeddings}, {@code vectordb}, providers other than Claude's
 * three, Azure or Model Garden options...). Those load when null or at Kong's default and are refused by
 * {@link AdvancedProxyPlugin#validate} when set, with the field's path.
 */
public record AdvancedConfig(
        @LenMin(1) List<Target> targets,
        Balancer balancer,
        @Default("openai") @OneOf({"anthropic", "bedrock", "cohere", "gemini", "huggingface", "openai"}) String llmFormat,
        @Default("allow") @OneOf({"allow", "deny", "always"}) String responseStreaming,
        @Default("1048576") @Between(min = 0, max = 2147483647) int maxRequestBodySize,
        @Default("true") boolean modelNameHeader,
        @Default("text/generation") @OneOf({"audio/speech", "audio/transcription", "image/generation", "realtime/generation",
                "text/embeddings", "text/generation", "video/generation"}) String genaiCategory,
        @Description("Semantic balancing's embeddings model: not supported by java-ai-proxy-advanced; must be null.")
        Optional<Embeddings> embeddings,
        @Description("Semantic balancing's vector database: not supported by java-ai-proxy-advanced; must be null.")
        Optional<VectorDb> vectordb) {

    public record Target(
            @Default("llm/v1/chat") @OneOf({"audio/v1/audio/speech", "audio/v1/audio/transcriptions", "audio/v1/audio/translations",
                    "image/v1/images/edits", "image/v1/images/generations", "llm/v1/assistants", "llm/v1/batches", "llm/v1/chat",
                    "llm/v1/completions", "llm/v1/embeddings", "llm/v1/files", "llm/v1/responses", "preserve", "realtime/v1/realtime",
                    "video/v1/videos/generations"}) String routeType,
            Optional<Auth> auth,
            Model model,
            Logging logging,
            @Default("100") @Between(min = 1, max = 65535) @Description("Share of traffic; for the priority algorithm, targets of the highest weight are served first.")
            int weight,
            Optional<String> description,
            @Description("For Kong's internal use; ignored.") Optional<Map<String, String>> metadata) {

        Options options() {
            return model.options().orElse(Options.NONE);
        }

        /** How the target is named in logs: its description, else provider/model. */
        String label() {
            return description.filter(d -> !d.isBlank()).orElse(model.provider() + "/" + model.name());
        }

        /** Whether a request naming {@code requested} as its model may be served by this target through its alias. */
        boolean aliased(String requested) {
            return model.modelAlias().filter(alias -> alias.equals(requested)).isPresent();
        }
    }

    @EntityCheck(kind = EntityCheck.Kind.MUTUALLY_REQUIRED, fields = {"header_name", "header_value"})
    @EntityCheck(kind = EntityCheck.Kind.MUTUALLY_REQUIRED, fields = {"aws_access_key_id", "aws_secret_access_key"})
    public record Auth(
            @Referenceable @Match(value = UpstreamSchema.HEADER_NAME, err = "not a valid header name") Optional<String> headerName,
            @Referenceable @Encrypted Optional<String> headerValue,
            @Referenceable Optional<String> paramName,
            @Referenceable @Encrypted Optional<String> paramValue,
            @OneOf({"query", "body"}) Optional<String> paramLocation,
            @Referenceable @Encrypted Optional<String> awsAccessKeyId,
            @Referenceable @Encrypted Optional<String> awsSecretAccessKey,
            @Default("false") boolean azureUseManagedIdentity,
            @Referenceable Optional<String> azureClientId,
            @Referenceable @Encrypted Optional<String> azureClientSecret,
            @Referenceable Optional<String> azureTenantId,
            @Default("false") boolean gcpUseServiceAccount,
            @Referenceable @Encrypted Optional<String> gcpServiceAccountJson,
            @Referenceable Optional<String> gcpMetadataUrl,
            @Referenceable Optional<String> gcpOauthTokenUrl,
            @Default("false") boolean allowOverride) {
    }

    public record Model(
            @OneOf({"anthropic", "azure", "bedrock", "cerebras", "cohere", "dashscope", "databricks", "deepseek", "gemini", "huggingface",
                    "llama2", "mistral", "ollama", "openai", "vllm", "xai"}) String provider,
            @Referenceable @Description("The provider's id of the model: claude-sonnet-4-5 (Anthropic), us.anthropic.claude-sonnet-4-5-20250929-v1:0 (Bedrock), claude-sonnet-4-5@20250929 (Vertex).")
            String name,
            @Description("The model a client names in its request for this target to serve it (Kong 3.14): targets sharing an alias are balanced and fail over among themselves.")
            Optional<String> modelAlias,
            Optional<Options> options) {
    }

    public record Options(
            OptionalInt maxTokens,
            @Gt(0) @Description("Currency units per 1,000,000 prompt tokens.") OptionalDouble inputCost,
            @Gt(0) @Description("Currency units per 1,000,000 completion tokens.") OptionalDouble outputCost,
            @Gt(0) OptionalDouble cacheReadCost,
            @Gt(0) OptionalDouble cacheWriteCost,
            @KongName("cache_write_1h_cost") @Gt(0) OptionalDouble cacheWrite1hCost,
            @Between(min = 0, max = 5) OptionalDouble temperature,
            @Between(min = 0, max = 1) OptionalDouble topP,
            @Between(min = 0, max = 500) OptionalInt topK,
            Optional<String> anthropicVersion,
            @Match(value = UpstreamSchema.HTTP_URL, err = UpstreamSchema.HTTP_URL_ERROR) Optional<String> upstreamUrl,
            Optional<String> upstreamPath,
            Optional<Bedrock> bedrock,
            Optional<Gemini> gemini,
            @Default("2023-05-15") String azureApiVersion,
            Optional<String> azureDeploymentId,
            Optional<String> azureInstance,
            Optional<Cohere> cohere,
            Optional<Dashscope> dashscope,
            Optional<Databricks> databricks,
            Optional<Huggingface> huggingface,
            OptionalInt embeddingsDimensions,
            @OneOf({"ollama", "openai", "raw"}) Optional<String> llama2Format,
            @OneOf({"ollama", "openai"}) Optional<String> mistralFormat) {

        static final Options NONE = new Options(OptionalInt.empty(), OptionalDouble.empty(), OptionalDouble.empty(),
                OptionalDouble.empty(), OptionalDouble.empty(), OptionalDouble.empty(), OptionalDouble.empty(), OptionalDouble.empty(),
                OptionalInt.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                "2023-05-15", Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                OptionalInt.empty(), Optional.empty(), Optional.empty());
    }

    /** Kong's options for Bedrock; the assume-role ones make the target call Bedrock as another IAM role (through STS). */
    public record Bedrock(
            Optional<String> awsRegion,
            Optional<String> awsAssumeRoleArn,
            Optional<String> awsRoleSessionName,
            @Match(value = UpstreamSchema.HTTP_URL, err = UpstreamSchema.HTTP_URL_ERROR) Optional<String> awsStsEndpointUrl,
            Optional<String> performanceConfigLatency,
            @Default("false") boolean embeddingsNormalize,
            Optional<String> batchBucketPrefix,
            Optional<String> batchRoleArn,
            Optional<String> videoOutputS3Uri) {

        static Bedrock region(String region) {
            return new Bedrock(Optional.of(region), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), false,
                    Optional.empty(), Optional.empty(), Optional.empty());
        }
    }

    /** Kong's options for Google: Vertex AI when {@code project_id} and {@code location_id} are set. */
    public record Gemini(Optional<String> apiEndpoint, Optional<String> projectId, Optional<String> locationId, Optional<String> endpointId) {
    }

    public record Cohere(
            @Default("classification") @OneOf({"classification", "clustering", "image", "search_document", "search_query"}) String embeddingInputType,
            Optional<Boolean> waitForModel) {
    }

    public record Dashscope(@Default("true") boolean international) {
    }

    public record Databricks(Optional<String> workspaceInstanceId) {
    }

    public record Huggingface(Optional<Boolean> useCache, Optional<Boolean> waitForModel) {
    }

    /** Kong's embeddings settings (semantic balancing), declared so that Kong accepts a config carrying them as null. */
    public record Embeddings(Optional<Auth> auth, Optional<EmbeddingsModel> model) {
    }

    public record EmbeddingsModel(
            @OneOf({"azure", "bedrock", "gemini", "huggingface", "mistral", "ollama", "openai"}) Optional<String> provider,
            Optional<String> name,
            Optional<Map<String, String>> options) {
    }

    /** Kong's vector database settings (semantic balancing), declared so that Kong accepts a config carrying them as null. */
    public record VectorDb(
            @OneOf({"redis", "pgvector", "valkey"}) Optional<String> strategy,
            OptionalInt dimensions,
            @OneOf({"cosine", "euclidean"}) Optional<String> distanceMetric,
            OptionalDouble threshold,
            Optional<Map<String, String>> redis,
            Optional<Map<String, String>> pgvector) {
    }

    public record Logging(
            @Default("false") boolean logStatistics,
            @Default("false") boolean logPayloads) {
    }

    public record Balancer(
            @Default("round-robin") Algorithm algorithm,
            @Default("5") @Between(min = 0, max = 32767) int retries,
            @Default("[\"error\",\"timeout\"]") List<FailoverCriterion> failoverCriteria,
            @Default("0") @Between(min = 0, max = 32767) @Description("Failures after which a target is taken out for fail_timeout; 0 disables circuit breaking.")
            int maxFails,
            @Default("10000") @Between(min = 1, max = 2147483646) int failTimeout,
            @Default("60000") @Between(min = 1, max = 2147483646) int connectTimeout,
            @Default("60000") @Between(min = 1, max = 2147483646) int writeTimeout,
            @Default("60000") @Between(min = 1, max = 2147483646) int readTimeout,
            @Default("X-Kong-LLM-Request-ID") String hashOnHeader,
            @Default("10000") @Between(min = 10, max = 65536) int slots,
            @Default("total-tokens") @OneOf({"total-tokens", "prompt-tokens", "completion-tokens", "cost", "llm-accuracy"}) String tokensCountStrategy,
            @Default("tpot") @OneOf({"tpot", "e2e"}) String latencyStrategy) {

        static final Balancer DEFAULTS = new Balancer(Algorithm.ROUND_ROBIN, 5, List.of(FailoverCriterion.ERROR, FailoverCriterion.TIMEOUT),
                0, 10000, 60000, 60000, 60000, "X-Kong-LLM-Request-ID", 10000, "total-tokens", "tpot");
    }

    public enum Algorithm {
        @KongName("round-robin") ROUND_ROBIN,
        @KongName("lowest-latency") LOWEST_LATENCY,
        @KongName("lowest-usage") LOWEST_USAGE,
        @KongName("consistent-hashing") CONSISTENT_HASHING,
        @KongName("priority") PRIORITY,
        @KongName("least-connections") LEAST_CONNECTIONS,
        /** Kong's semantic routing (embeddings and a vector database): declared so Kong accepts it, refused at StartInstance. */
        @KongName("semantic") SEMANTIC
    }

    /** Kong's failover criteria (nginx's proxy_next_upstream words). */
    public enum FailoverCriterion {
        @KongName("error") ERROR,
        @KongName("timeout") TIMEOUT,
        @KongName("invalid_header") INVALID_HEADER,
        @KongName("http_500") HTTP_500,
        @KongName("http_502") HTTP_502,
        @KongName("http_503") HTTP_503,
        @KongName("http_504") HTTP_504,
        @KongName("http_403") HTTP_403,
        @KongName("http_404") HTTP_404,
        @KongName("http_429") HTTP_429,
        @KongName("non_idempotent") NON_IDEMPOTENT;

        /** The criterion an HTTP status matches, if any. */
        static Optional<FailoverCriterion> ofStatus(int status) {
            return switch (status) {
                case 500 -> Optional.of(HTTP_500);
                case 502 -> Optional.of(HTTP_502);
                case 503 -> Optional.of(HTTP_503);
                case 504 -> Optional.of(HTTP_504);
                case 403 -> Optional.of(HTTP_403);
                case 404 -> Optional.of(HTTP_404);
                case 429 -> Optional.of(HTTP_429);
                default -> Optional.empty();
            };
        }
    }

    Balancer balancerOrDefaults() {
        return balancer == null ? Balancer.DEFAULTS : balancer;
    }
}
