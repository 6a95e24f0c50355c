package io.kongjava.plugins.aiproxy;

import io.kongjava.pdk.schema.Between;
import io.kongjava.pdk.schema.Default;
import io.kongjava.pdk.schema.Description;
import io.kongjava.pdk.schema.Encrypted;
import io.kongjava.pdk.schema.EntityCheck;
import io.kongjava.pdk.schema.Gt;
import io.kongjava.pdk.schema.KongName;
import io.kongjava.pdk.schema.Match;
import io.kongjava.plugins.ai.UpstreamSchema;
import io.kongjava.pdk.schema.OneOf;
import io.kongjava.pdk.schema.Referenceable;
import io.kongjava.pdk.schema.Required;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * Kong's ai-proxy configuration, field for field, for the provider this plugin serves (anthropic).
 *
 * @param routeType           {@code llm/v1/chat}, or {@code preserve} to forward the client's path as is
 * @param llmFormat           what the client speaks: {@code anthropic} (Messages API, passed through) or
 *                            {@code openai} (chat completions, translated both ways)
 * @param maxRequestBodySize  bytes; 0 = no limit
 */
public record AiProxyConfig(
        @OneOf({"llm/v1/chat", "preserve"}) String routeType,
        @Default("openai") @OneOf({"openai", "anthropic"}) String llmFormat,
        Optional<Auth> auth,
        Model model,
        Logging logging,
        @Default("allow") @OneOf({"allow", "deny", "always"}) String responseStreaming,
        @Default("1048576") @Between(min = 0, max = 2147483647) int maxRequestBodySize,
        @Default("true") boolean modelNameHeader) {

    public boolean nativeFormat() {
        return llmFormat.equals("anthropic");
    }

    public boolean preserve() {
        return routeType.equals("preserve");
    }

    @EntityCheck(kind = EntityCheck.Kind.MUTUALLY_REQUIRED, fields = {"header_name", "header_value"})
    @EntityCheck(kind = EntityCheck.Kind.MUTUALLY_REQUIRED, fields = {"param_name", "param_value", "param_location"})
    public record Auth(
            @Referenceable @Match(value = UpstreamSchema.HEADER_NAME, err = "not a valid header name") Optional<String> headerName,
            @Referenceable @Encrypted Optional<String> headerValue,
            @Referenceable Optional<String> paramName,
            @Referenceable @Encrypted Optional<String> paramValue,
            // Kong's ai-proxy drops a body credential for anthropic (the request goes without it): refused instead
            @OneOf({"query"}) Optional<String> paramLocation,
            @Default("false") boolean allowOverride,
            // Kong's fields for other providers: accepted as Kong accepts them with anthropic (a decK dump of an
            // ai-proxy carries their defaults) and, as there, of no effect
            @Default("false") boolean gcpUseServiceAccount,
            @Referenceable @Encrypted Optional<String> gcpServiceAccountJson,
            @Referenceable @Encrypted Optional<String> awsAccessKeyId,
            @Referenceable @Encrypted Optional<String> awsSecretAccessKey,
            @Default("false") boolean azureUseManagedIdentity,
            @Referenceable Optional<String> azureClientId,
            @Referenceable @Encrypted Optional<String> azureClientSecret,
            @Referenceable Optional<String> azureTenantId) {
    }

    public record Model(
            @OneOf({"anthropic"}) String provider,
            @Referenceable @Description("Pins the model: requests naming another model are refused. May be a vault reference, e.g. {vault://env/anthropic-pinned-model}.") Optional<String> name,
            // required, as anthropic_version in it: Kong's ai-proxy refuses an anthropic model without it when the config
            // is stored; in the dumped schema, so that Kong does so here too, not every request with a 500
            @Required Optional<Options> options) {
    }

    public record Options(
            OptionalInt maxTokens,
            @Gt(0) @Description("Currency units per 1,000,000 prompt tokens.") OptionalDouble inputCost,
            @Gt(0) @Description("Currency units per 1,000,000 completion tokens.") OptionalDouble outputCost,
            @Gt(0) @Description("Per 1,000,000 tokens read from the prompt cache; 0.1 x input_cost when unset.") OptionalDouble cacheReadCost,
            @Gt(0) @Description("Per 1,000,000 tokens written to the 5-minute prompt cache; 1.25 x input_cost when unset.") OptionalDouble cacheWriteCost,
            @KongName("cache_write_1h_cost") @Gt(0) @Description("Per 1,000,000 tokens written to the 1-hour prompt cache; 2 x input_cost when unset.") OptionalDouble cacheWrite1hCost,
            @Between(min = 0, max = 5) OptionalDouble temperature,
            @Between(min = 0, max = 1) OptionalDouble topP,
            @Between(min = 0, max = 500) OptionalInt topK,
            @Required Optional<String> anthropicVersion,
            @Match(value = UpstreamSchema.HTTP_URL, err = UpstreamSchema.HTTP_URL_ERROR) Optional<String> upstreamUrl,
            Optional<String> upstreamPath,
            // Kong's options for other providers, accepted and of no effect with anthropic (see Auth)
            Optional<String> azureInstance,
            @Default("2023-05-15") String azureApiVersion,
            Optional<String> azureDeploymentId,
            @OneOf({"raw", "openai", "ollama"}) Optional<String> llama2Format,
            @OneOf({"openai", "ollama"}) Optional<String> mistralFormat,
            Optional<Gemini> gemini,
            Optional<Bedrock> bedrock,
            Optional<Huggingface> huggingface) {

        static final Options NONE = new Options(OptionalInt.empty(), OptionalDouble.empty(), OptionalDouble.empty(),
                OptionalDouble.empty(), OptionalDouble.empty(), OptionalDouble.empty(), OptionalDouble.empty(), OptionalDouble.empty(),
                OptionalInt.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), "2023-05-15", Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    }

    @EntityCheck(kind = EntityCheck.Kind.MUTUALLY_REQUIRED, fields = {"api_endpoint", "project_id", "location_id"})
    public record Gemini(Optional<String> apiEndpoint, Optional<String> projectId, Optional<String> locationId) {
    }

    public record Bedrock(Optional<String> awsRegion) {
    }

    public record Huggingface(Optional<Boolean> useCache, Optional<Boolean> waitForModel) {
    }

    public record Logging(
            @Default("false") boolean logStatistics,
            @Default("false") boolean logPayloads) {
    }

    Options options() {
        return model.options().orElse(Options.NONE);
    }
}
