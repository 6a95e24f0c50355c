package io.kongjava.plugins.aiproxyadvanced;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.StsClientBuilder;
import software.amazon.awssdk.services.sts.auth.StsAssumeRoleCredentialsProvider;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.IdentityProvider;

/**
 * Claude on Amazon Bedrock: InvokeModel / InvokeModelWithResponseStream (and CountTokens) with the Messages body
 * minus {@code model} and {@code stream}, plus {@code anthropic_version: bedrock-2023-05-31} and the client's beta
 * flags as {@code anthropic_beta}; signed with SigV4 by the AWS SDK's signer, with the configured keys or the
 * standard AWS credential chain, or with an assumed role's temporary credentials (Kong's {@code aws_assume_role_arn}). Its stream is AWS's binary event stream, decoded by {@link BedrockEvents}.
 */
final class BedrockProvider implements Provider {

    static final String BEDROCK_VERSION = "bedrock-2023-05-31";
    static final String SIGNING_NAME = "bedrock";

    private final AdvancedConfig.Target target;
    private final String region;
    private final IdentityProvider<? extends AwsCredentialsIdentity> credentials;
    /** Kong's {@code performance_config_latency}, sent as Bedrock's header; null to let the client's choice stand. */
    private final String performanceLatency;
    private final AwsV4HttpSigner signer = AwsV4HttpSigner.create();

    BedrockProvider(AdvancedConfig.Target target, String region) {
        this.target = target;
        this.region = region;
        AdvancedConfig.Auth auth = target.auth().orElse(null);
        AwsCredentialsProvider base;
        if (auth != null && auth.awsAccessKeyId().isPresent() && auth.awsSecretAccessKey().isPresent()) {
            base = StaticCredentialsProvider.create(AwsBasicCredentials.create(auth.awsAccessKeyId().get(), auth.awsSecretAccessKey().get()));
        } else {
            base = DefaultCredentialsProvider.builder().build();
        }
        Optional<AdvancedConfig.Bedrock> options = target.options().bedrock();
        this.performanceLatency = options.flatMap(AdvancedConfig.Bedrock::performanceConfigLatency).orElse(null);
        Optional<String> roleArn = options.flatMap(AdvancedConfig.Bedrock::awsAssumeRoleArn).filter(arn -> !arn.isBlank());
        this.credentials = roleArn.isPresent()
                ? assumeRole(base, roleArn.get(), options.flatMap(AdvancedConfig.Bedrock::awsRoleSessionName).filter(n -> !n.isBlank()).orElse(DEFAULT_SESSION_NAME),
                        options.flatMap(AdvancedConfig.Bedrock::awsStsEndpointUrl).filter(u -> !u.isBlank()), region)
                : base;
    }

    /** The session name when {@code aws_role_session_name} is not set (STS requires one). */
    static final String DEFAULT_SESSION_NAME = "kong-java-ai-proxy-advanced";

    /**
     * Kong's {@code aws_assume_role_arn}: Bedrock is called with the temporary credentials of the role, obtained from
     * STS (AssumeRole, signed with the base credentials) and renewed by the SDK before they expire. STS is called at
     * {@code aws_sts_endpoint_url} when set, else at the region's own endpoint.
     */
    private static AwsCredentialsProvider assumeRole(AwsCredentialsProvider base, String roleArn, String sessionName,
                                                     Optional<String> stsEndpoint, String region) {
        StsClientBuilder sts = StsClient.builder()
                .credentialsProvider(base)
                .httpClient(UrlConnectionHttpClient.create());
        if (region != null) {
            sts.region(Region.of(region));
        }
        stsEndpoint.ifPresent(url -> sts.endpointOverride(URI.create(url)));
        return StsAssumeRoleCredentialsProvider.builder()
                .stsClient(sts.build())
                .refreshRequest(request -> request.roleArn(roleArn).roleSessionName(sessionName))
                .build();
    }

    /** The region from the target's options, else the AWS environment's. */
    static String region(AdvancedConfig.Target target) {
        return target.options().bedrock().flatMap(AdvancedConfig.Bedrock::awsRegion).filter(r -> !r.isBlank())
                .or(() -> java.util.Optional.ofNullable(System.getenv("AWS_REGION")).filter(r -> !r.isBlank()))
                .or(() -> java.util.Optional.ofNullable(System.getenv("AWS_DEFAULT_REGION")).filter(r -> !r.isBlank()))
                .orElse(null);
    }

    @Override
    public String name() {
        return "bedrock";
    }

    String origin() {
        return target.options().upstreamUrl().map(Provider::origin).orElse("https://bedrock-runtime." + region + ".amazonaws.com");
    }

    @Override
    public UpstreamCall call(ClientRequest request, String model) throws IOException {
        ObjectNode body = request.bodyCopy();
        body.remove("model");
        body.remove("stream");
        body.put("anthropic_version", BEDROCK_VERSION);
        if (request.anthropicBeta() != null && !body.has("anthropic_beta")) {
            ArrayNode betas = body.putArray("anthropic_beta");
            for (String beta : request.anthropicBeta().split(",")) {
                if (!beta.isBlank()) {
                    betas.add(beta.strip());
                }
            }
        }
        String modelPath = "/model/" + URLEncoder.encode(model, StandardCharsets.UTF_8).replace("+", "%20");
        byte[] payload;
        String path;
        if (request.operation() == ClientRequest.Operation.COUNT_TOKENS) {
            // CountTokens takes the InvokeModel body it would count, base64-encoded.
            body.remove("max_tokens");
            body.put("max_tokens", 1);
            ObjectNode wrapper = JSON.createObjectNode();
            wrapper.putObject("input").putObject("invokeModel").put("body",
                    Base64.getEncoder().encodeToString(body.toString().getBytes(StandardCharsets.UTF_8)));
            payload = wrapper.toString().getBytes(StandardCharsets.UTF_8);
            path = modelPath + "/count-tokens";
        } else {
            payload = body.toString().getBytes(StandardCharsets.UTF_8);
            path = modelPath + (request.stream() ? "/invoke-with-response-stream" : "/invoke");
        }
        URI url = URI.create(origin() + path);
        return sign(url, payload, request.stream() && request.operation() == ClientRequest.Operation.MESSAGES
                ? "application/vnd.amazon.eventstream" : "application/json");
    }

    private UpstreamCall sign(URI url, byte[] payload, String accept) throws IOException {
        AwsCredentialsIdentity identity;
        try {
            identity = credentials.resolveIdentity().join();
        } catch (RuntimeException e) {
            throw new IOException("no AWS credentials for Bedrock: " + rootMessage(e), e);
        }
        SdkHttpRequest.Builder builder = SdkHttpRequest.builder()
                .method(SdkHttpMethod.POST)
                .uri(url)
                .putHeader("content-type", "application/json")
                .putHeader("accept", accept);
        if (performanceLatency != null) {
            builder.putHeader("x-amzn-bedrock-performanceconfig-latency", performanceLatency);
        }
        SdkHttpRequest unsigned = builder.build();
        SignedRequest signed = signer.sign(r -> r.identity(identity)
                .request(unsigned)
                .payload(ContentStreamProvider.fromByteArrayUnsafe(payload))
                .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, SIGNING_NAME)
                .putProperty(AwsV4HttpSigner.REGION_NAME, region));
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        signed.request().forEachHeader((name, values) -> {
            if (!name.equalsIgnoreCase("host")) {
                values.forEach(value -> headers.add(Map.entry(name, value)));
            }
        });
        return new UpstreamCall(url, headers, payload);
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage();
    }

    @Override
    public EventDecoder streamDecoder() {
        return new BedrockEvents();
    }

    @Override
    public byte[] oneshot(ClientRequest.Operation operation, byte[] body) throws IOException {
        if (operation == ClientRequest.Operation.COUNT_TOKENS) {
            JsonNode counted = JSON.readTree(body);
            return JSON.createObjectNode().put("input_tokens", counted.path("inputTokens").asLong())
                    .toString().getBytes(StandardCharsets.UTF_8);
        }
        return body;
    }

    @Override
    public byte[] error(int status, byte[] body, String errorType) {
        // Bedrock answers {"message": "..."} with the error's name in x-amzn-ErrorType ("ThrottlingException:...").
        String message;
        try {
            message = JSON.readTree(body).path("message").asText(null);
        } catch (IOException notJson) {
            message = null;
        }
        String kind = errorType == null ? "" : errorType.split(":")[0];
        return Provider.anthropicError(status, (kind.isEmpty() ? "" : kind + ": ") + (message == null ? "Bedrock answered " + status : message));
    }
}
