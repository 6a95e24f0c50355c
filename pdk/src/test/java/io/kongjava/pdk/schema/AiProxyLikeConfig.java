package io.kongjava.pdk.schema;

import java.util.Optional;

/** A config shaped like Kong's ai-proxy (OSS 3.10 subset), as a plugin author would write it. */
record AiProxyLikeConfig(
        RouteType routeType,
        Optional<Auth> auth,
        Model model,
        Logging logging,
        @Default("allow") ResponseStreaming responseStreaming,
        @Default("8192") @Gt(0) int maxRequestBodySize,
        @Default("true") boolean modelNameHeader,
        @Default("openai") LlmFormat llmFormat) {

    enum RouteType {
        @KongName("llm/v1/chat") CHAT,
        @KongName("llm/v1/completions") COMPLETIONS,
        PRESERVE
    }

    enum ResponseStreaming { ALLOW, DENY, ALWAYS }

    enum LlmFormat { OPENAI, BEDROCK, GEMINI, ANTHROPIC }

    enum Provider { OPENAI, AZURE, ANTHROPIC, COHERE, MISTRAL, LLAMA2, GEMINI, BEDROCK, HUGGINGFACE }

    @EntityCheck(kind = EntityCheck.Kind.MUTUALLY_REQUIRED, fields = {"header_name", "header_value"})
    @EntityCheck(kind = EntityCheck.Kind.MUTUALLY_REQUIRED, fields = {"param_name", "param_value", "param_location"})
    record Auth(
            @Referenceable Optional<String> headerName,
            @Referenceable @Encrypted Optional<String> headerValue,
            @Referenceable Optional<String> paramName,
            @Referenceable @Encrypted Optional<String> paramValue,
            @OneOf({"query", "body"}) Optional<String> paramLocation,
            @Default("false") boolean gcpUseServiceAccount,
            @Default("false") boolean allowOverride) {
    }

    record Model(Provider provider, Optional<String> name, Optional<Options> options) {
    }

    record Options(
            Optional<Integer> maxTokens,
            @Gt(0) Optional<Double> inputCost,
            @Gt(0) Optional<Double> outputCost,
            @Between(min = 0, max = 5) Optional<Double> temperature,
            @Between(min = 0, max = 1) Optional<Double> topP,
            @Between(min = 0, max = 500) Optional<Integer> topK,
            Optional<String> anthropicVersion,
            @Default("2023-05-15") Optional<String> azureApiVersion,
            Optional<String> upstreamUrl) {
    }

    record Logging(@Default("false") boolean logStatistics, @Default("false") boolean logPayloads) {
    }
}
