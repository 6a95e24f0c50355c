package io.kongjava.plugins.aiproxyadvanced;

import io.kongjava.pdk.schema.Between;
import io.kongjava.pdk.schema.Default;
import io.kongjava.pdk.schema.Description;
import io.kongjava.pdk.schema.Encrypted;
import io.kongjava.pdk.schema.EntityCheck;
import io.kongjava.pdk.schema.Gt;
import io.kongjava.pdk.schema.KongName;
import io.kongjava.pdk.schema.LenMin;
import io.kongjava.pdk.schema.OneOf;
import io.kongjava.pdk.schema.Referenceable;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * Kong's ai-proxy-advanced configuration, for the fields that matter to Anthropic-native clients:
 * {@code targets[]} (each a provider, a model, credentials, a weight and logging) and the {@code balancer}
 * that picks among them and fails over. {@code model_aliases} is ours: the model names a client may ask for,
 * each mapped to every target's own model id.
 */
public record AdvancedConfig(
        @LenMin(1) List<Target> targets,
        Balancer balancer,
        @Default("openai") @OneOf({"openai", "anthropic"}) String llmFormat,
        @Default("allow") @OneOf({"allow", "deny", "always"}) String responseStreaming,
        @Default("1048576") @Between(min = 0, max = 2147483647) int maxRequestBodySize,
        @Default("true") boolean modelNameHeader,
        @Default("[]") @Description("Model names clients may ask for; the chosen target's model.name replaces them. A target's own model.name is always accepted.")
        List<String> modelAliases) {

    public record Target(
            @Default("llm/v1/chat") @OneOf({"llm/v1/chat", "preserve"}) String routeType,
            Optional<Auth> auth,
            Model model,
            Logging logging,
            @Default("100") @Between(min = 1, max = 65535) int weight,
            @Default("0") @Between(min = 0, max = 65535) @Description("For the priority algorithm: higher groups are served first, lower ones only when all higher ones failed or are circuit-broken.")
            int priority,
            Optional<String> description) {

        Options options() {
            return model.options().orElse(Options.NONE);
        }

        /** How the target is named in logs: its description, else provider/model. */
        String label() {
            return description.filter(d -> !d.isBlank()).orElse(model.provider() + "/" + model.name());
        }
    }

    @EntityCheck(kind = EntityCheck.Kind.MUTUALLY_REQUIRED, fields = {"header_name", "header_value"})
    @EntityCheck(kind = EntityCheck.Kind.MUTUALLY_REQUIRED, fields = {"aws_access_key_id", "aws_secret_access_key"})
    public record Auth(
            @Referenceable Optional<String> headerName,
            @Referenceable @Encrypted Optional<String> headerValue,
            @Referenceable Optional<String> paramName,
            @Referenceable @Encrypted Optional<String> paramValue,
            @OneOf({"query", "body"}) Optional<String> paramLocation,
            @Referenceable @Encrypted Optional<String> awsAccessKeyId,
            @Referenceable @Encrypted Optional<String> awsSecretAccessKey,
            @Default("false") boolean gcpUseServiceAccount,
            @Referenceable @Encrypted Optional<String> gcpServiceAccountJson,
            @Default("false") boolean allowOverride) {
    }

    public record Model(
            @OneOf({"anthropic", "bedrock", "gemini"}) String provider,
            @Referenceable @Description("The provider's id of the model: claude-sonnet-4-5 (Anthropic), us.anthropic.claude-sonnet-4-5-20250929-v1:0 (Bedrock), claude-sonnet-4-5@20250929 (Vertex).")
            String name,
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
            Optional<String> upstreamUrl,
            Optional<Bedrock> bedrock,
            Optional<Gemini> gemini) {

        static final Options NONE = new Options(OptionalInt.empty(), OptionalDouble.empty(), OptionalDouble.empty(),
                OptionalDouble.empty(), OptionalDouble.empty(), OptionalDouble.empty(), OptionalDouble.empty(), OptionalDouble.empty(),
                OptionalInt.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    }

    public record Bedrock(Optional<String> awsRegion) {
    }

    /** Kong's options for Google: Vertex AI when {@code project_id} and {@code location_id} are set. */
    public record Gemini(Optional<String> apiEndpoint, Optional<String> projectId, Optional<String> locationId) {
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
            @Default("total-tokens") @OneOf({"total-tokens", "prompt-tokens", "completion-tokens", "cost"}) String tokensCountStrategy,
            @Default("tpot") @OneOf({"tpot", "e2e"}) String latencyStrategy) {

        static final Balancer DEFAULTS = new Balancer(Algorithm.ROUND_ROBIN, 5, List.of(FailoverCriterion.ERROR, FailoverCriterion.TIMEOUT),
                0, 10000, 60000, 60000, 60000, "X-Kong-LLM-Request-ID", 10000, "total-tokens", "tpot");
    }

    public enum Algorithm {
        @KongName("round-robin") ROUND_ROBIN,
        @KongName("lowest-latency") LOWEST_LATENCY,
        @KongName("lowest-usage") LOWEST_USAGE,
        @KongName("consistent-hashing") CONSISTENT_HASHING,
        @KongName("priority") PRIORITY
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
