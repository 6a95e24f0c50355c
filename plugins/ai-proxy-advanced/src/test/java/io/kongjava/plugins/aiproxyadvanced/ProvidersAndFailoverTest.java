package io.kongjava.plugins.aiproxyadvanced;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kongjava.pdk.schema.ConfigBinder;
import io.kongjava.testing.anthropic.FakeAnthropic;
import io.kongjava.testing.anthropic.Reply;
import io.kongjava.testing.anthropic.Usage;
import io.kongjava.testing.clouds.FakeBedrock;
import io.kongjava.testing.clouds.FakeSts;
import io.kongjava.testing.clouds.FakeVertex;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The providers and the failover logic against fakes that check what the real services check. */
class ProvidersAndFailoverTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String AWS_KEY = "AKIDEXAMPLE00000001";
    static final String AWS_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    static final String BEDROCK_MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
    static final String VERTEX_MODEL = "claude-sonnet-4-5@20250929";

    FakeBedrock bedrock;
    FakeVertex vertex;
    FakeAnthropic anthropic;
    final OkHttpClient http = AdvancedProxyPlugin.newHttpClient();

    @BeforeEach
    void start() throws IOException {
        bedrock = FakeBedrock.start(AWS_KEY, AWS_SECRET, "us-east-1");
        vertex = FakeVertex.start("my-project", "us-east5");
        anthropic = FakeAnthropic.start();
    }

    @AfterEach
    void stop() {
        bedrock.close();
        vertex.close();
        anthropic.close();
    }

    static int deadPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    String anthropicTarget(String url) {
        return """
                {"model":{"provider":"anthropic","name":"claude-sonnet-4-5","options":{"anthropic_version":"2023-06-01","upstream_url":"%s",
                  "input_cost":3,"output_cost":15}},
                 "auth":{"header_name":"x-api-key","header_value":"sk-ant-test"},"logging":{"log_statistics":true}}""".formatted(url);
    }

    String bedrockTarget(String secret) {
        return """
                {"model":{"provider":"bedrock","name":"%s","options":{"bedrock":{"aws_region":"us-east-1"},"upstream_url":"%s",
                  "input_cost":3,"output_cost":15}},
                 "auth":{"aws_access_key_id":"%s","aws_secret_access_key":"%s"},"logging":{"log_statistics":true}}"""
                .formatted(BEDROCK_MODEL, bedrock.url(), AWS_KEY, secret);
    }

    String vertexTarget() {
        return """
                {"model":{"provider":"gemini","name":"%s","options":{"gemini":{"project_id":"my-project","location_id":"us-east5"},
                  "upstream_url":"%s"}},
                 "auth":{"gcp_use_service_account":true,"gcp_service_account_json":%s},"logging":{"log_statistics":true}}"""
                .formatted(VERTEX_MODEL, vertex.url(), JSON.valueToTree(vertex.serviceAccountJson()).toString());
    }

    static AdvancedConfig config(String balancer, String... targets) throws Exception {
        String json = """
                {"llm_format":"anthropic","balancer":%s,"targets":[%s]}"""
                .formatted(balancer, String.join(",", targets));
        @SuppressWarnings("unchecked")
        Map<String, Object> raw = JSON.readValue(json, Map.class);
        AdvancedConfig config = ConfigBinder.bind(AdvancedConfig.class, raw);
        new AdvancedProxyPlugin().validate(config);
        return config;
    }

    Attempts attempts(AdvancedConfig config) {
        List<Provider> providers = new ArrayList<>();
        for (AdvancedConfig.Target target : config.targets()) {
            providers.add(switch (target.model().provider()) {
                case "bedrock" -> new BedrockProvider(target, BedrockProvider.region(target));
                case "gemini" -> new VertexProvider(target);
                default -> new AnthropicProvider(target);
            });
        }
        return new Attempts(config, providers, new TargetBalancer(config.targets(), config.balancerOrDefaults(), System::nanoTime), http);
    }

    static ClientRequest messages(boolean stream) throws IOException {
        ObjectNode body = (ObjectNode) JSON.readTree("""
                {"model":"claude-sonnet-4-5","max_tokens":256,"stream":%s,"messages":[{"role":"user","content":"Say hi"}]}""".formatted(stream));
        return new ClientRequest(ClientRequest.Operation.MESSAGES, body, stream, "interleaved-thinking-2025-05-14", "beta=true");
    }

    static ClientRequest countTokens() throws IOException {
        ObjectNode body = (ObjectNode) JSON.readTree("""
                {"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"Count these words please"}]}""");
        return new ClientRequest(ClientRequest.Operation.COUNT_TOKENS, body, false, null, null);
    }

    static final String ORDERED = "{\"algorithm\":\"priority\",\"failover_criteria\":[\"error\",\"timeout\",\"http_429\",\"http_503\"]}";

    /** The target in the priority group {@code group}: Kong's priority algorithm groups targets by weight. */
    static String priority(String target, int group) {
        return target.replaceFirst("\\{", "{\"weight\":" + group + ",");
    }

    @Test
    void bedrockStreamIsSignedValidlyAndReachesTheClientAsAnthropicSseWithExactUsage() throws Exception {
        bedrock.enqueue(new FakeBedrock.Behaviour.Answer("Hi there from Bedrock", new Usage(1200, 42, 300, 5000)));
        AdvancedConfig config = config("{}", bedrockTarget(AWS_SECRET));
        RecordingSink client = new RecordingSink();

        Attempts.Result result = attempts(config).serve(messages(true), null, client, System.nanoTime());

        FakeBedrock.Seen seen = bedrock.take(1000).orElseThrow();
        assertThat(seen.signatureProblem()).as("SigV4 checked independently of the AWS SDK").isEmpty();
        assertThat(seen.path()).isEqualTo("/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke-with-response-stream");
        assertThat(seen.body().path("anthropic_version").asText()).isEqualTo("bedrock-2023-05-31");
        assertThat(seen.body().has("model")).isFalse();
        assertThat(seen.body().path("anthropic_beta").get(0).asText()).isEqualTo("interleaved-thinking-2025-05-14");

        assertThat(result.outcome()).isEqualTo("complete");
        assertThat(client.eventTypes()).containsExactly("message_start", "content_block_start", "content_block_delta",
                "content_block_delta", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop");
        assertThat(client.text()).contains("\"text\":\"Bedrock\"").doesNotContain("amazon-bedrock-invocationMetrics");
        UsageMeter meter = result.last().meter();
        assertThat(meter.promptTokens()).isEqualTo(1200 + 300 + 5000);
        assertThat(meter.cacheReadTokens()).isEqualTo(5000);
        assertThat(meter.cacheCreationTokens()).isEqualTo(300);
        assertThat(meter.completionTokens()).isEqualTo(42);
        assertThat(meter.cost(config.targets().getFirst().options()))
                .isCloseTo((1200 * 3 + 300 * 3.75 + 5000 * 0.3 + 42 * 15) / 1e6, org.assertj.core.data.Offset.offset(1e-12));
    }

    @Test
    void aWrongSecretIsCaughtByTheFakesOwnSigV4Check() throws Exception {
        AdvancedConfig config = config("{}", bedrockTarget("not-the-secret"));
        RecordingSink client = new RecordingSink();

        attempts(config).serve(messages(false), null, client, System.nanoTime());

        assertThat(bedrock.take(1000).orElseThrow().signatureProblem()).hasValueSatisfying(p -> assertThat(p).contains("signature"));
        assertThat(client.status).isEqualTo(403);
        assertThat(JSON.readTree(client.text()).path("error").path("type").asText()).isEqualTo("permission_error");
    }

    @Test
    void bedrockOneshotAndCountTokensAnswerInAnthropicsShape() throws Exception {
        bedrock.enqueue(new FakeBedrock.Behaviour.Answer("Whole answer", new Usage(10, 3, 0, 0)));
        AdvancedConfig config = config("{}", bedrockTarget(AWS_SECRET));
        Attempts attempts = attempts(config);

        RecordingSink oneshot = new RecordingSink();
        Attempts.Result result = attempts.serve(messages(false), null, oneshot, System.nanoTime());
        assertThat(oneshot.status).isEqualTo(200);
        assertThat(JSON.readTree(oneshot.text()).path("content").get(0).path("text").asText()).isEqualTo("Whole answer");
        assertThat(result.last().meter().completionTokens()).isEqualTo(3);
        assertThat(bedrock.take(1000).orElseThrow().path()).endsWith("/invoke");

        RecordingSink counted = new RecordingSink();
        attempts.serve(countTokens(), null, counted, System.nanoTime());
        FakeBedrock.Seen seen = bedrock.take(1000).orElseThrow();
        assertThat(seen.signatureProblem()).isEmpty();
        assertThat(seen.path()).endsWith("/count-tokens");
        assertThat(counted.status).isEqualTo(200);
        assertThat(JSON.readTree(counted.text()).path("input_tokens").asLong()).isPositive();
    }

    @Test
    void vertexGetsATokenFromTheServiceAccountAndServesStreamsAndCounts() throws Exception {
        vertex.enqueue(new FakeVertex.Behaviour.Answer("Hi from Vertex", new Usage(50, 6, 0, 700)));
        AdvancedConfig config = config("{}", vertexTarget());
        Attempts attempts = attempts(config);
        RecordingSink client = new RecordingSink();

        Attempts.Result result = attempts.serve(messages(true), null, client, System.nanoTime());

        assertThat(result.tried().getFirst().error()).isNull();
        FakeVertex.Seen seen = vertex.take(1000).orElseThrow();
        assertThat(seen.status()).as(String.valueOf(seen)).isEqualTo(200);
        assertThat(seen.path()).isEqualTo("/v1/projects/my-project/locations/us-east5/publishers/anthropic/models/" + VERTEX_MODEL + ":streamRawPredict");
        assertThat(seen.headers().get("authorization").getFirst()).startsWith("Bearer ya29.fake-");
        assertThat(vertex.tokenGrants()).isEqualTo(1);
        assertThat(result.outcome()).isEqualTo("complete");
        assertThat(client.eventTypes()).startsWith("message_start").endsWith("message_stop");
        assertThat(result.last().meter().cacheReadTokens()).isEqualTo(700);

        RecordingSink counted = new RecordingSink();
        attempts.serve(countTokens(), null, counted, System.nanoTime());
        assertThat(vertex.take(1000).orElseThrow().path()).endsWith("/models/count-tokens:rawPredict");
        assertThat(counted.status).isEqualTo(200);
        assertThat(vertex.tokenGrants()).as("the token is reused until it expires").isEqualTo(1);
    }

    @Test
    void aDeadAnthropicTargetFailsOverToBedrockBeforeAnyByteReachesTheClient() throws Exception {
        AdvancedConfig config = config(ORDERED, priority(anthropicTarget("http://127.0.0.1:" + deadPort()), 10), priority(bedrockTarget(AWS_SECRET), 1));
        RecordingSink client = new RecordingSink();

        Attempts.Result result = attempts(config).serve(messages(true), null, client, System.nanoTime());

        assertThat(client.answers).as("the client was answered once, by Bedrock").isEqualTo(1);
        assertThat(client.eventTypes()).startsWith("message_start").endsWith("message_stop");
        assertThat(result.tried()).extracting(t -> t.target().model().provider() + ":" + t.outcome())
                .containsExactly("anthropic:error", "bedrock:complete");
    }

    @Test
    void aProviderThatDropsAReusedConnectionAfterTakingTheRequestIsNotSentItAgainBehindTheBalancersBack() throws Exception {
        java.util.concurrent.atomic.AtomicInteger received = new java.util.concurrent.atomic.AtomicInteger();
        try (ServerSocket provider = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Thread server = Thread.ofVirtual().start(() -> {
                try (java.net.Socket connection = provider.accept()) {
                    java.io.InputStream in = connection.getInputStream();
                    for (int request = 1; ; request++) {
                        readRequest(in);
                        received.incrementAndGet();
                        if (request == 2) {
                            return; // took the second request, then the connection drops: the provider may have billed it
                        }
                        String body = "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\","
                                + "\"content\":[{\"type\":\"text\",\"text\":\"hi\"}],\"stop_reason\":\"end_turn\","
                                + "\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}";
                        connection.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                                + body.length() + "\r\n\r\n" + body).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                        connection.getOutputStream().flush();
                    }
                } catch (IOException e) {
                    // the test is over
                }
            });
            AdvancedConfig config = config("{\"failover_criteria\":[\"error\",\"timeout\"]}",
                    anthropicTarget("http://127.0.0.1:" + provider.getLocalPort()));
            Attempts attempts = attempts(config);

            attempts.serve(messages(false), null, new RecordingSink(), System.nanoTime());
            Attempts.Result second = attempts.serve(messages(false), null, new RecordingSink(), System.nanoTime());
            server.join(5_000);

            assertThat(received.get()).as("the dropped request was not re-sent by the HTTP client").isEqualTo(2);
            assertThat(second.tried()).extracting(t -> t.outcome()).containsExactly("error");
        }
    }

    /** Reads one HTTP/1.1 request with a Content-Length body. */
    private static void readRequest(java.io.InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed");
            }
            head.append((char) b);
        }
        java.util.regex.Matcher length = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
        in.readNBytes(length.find() ? Integer.parseInt(length.group(1)) : 0);
    }

    @Test
    void whatCountsTowardsMaxFailsIsKongsRuleNotJustTheFailoverCriteria() throws Exception {
        Attempts attempts = attempts(config("{\"failover_criteria\":[\"http_429\",\"http_404\"],\"max_fails\":1}",
                anthropicTarget(anthropic.url())));

        assertThat(attempts.countsAgainstTarget(AdvancedConfig.FailoverCriterion.ERROR)).as("always").isTrue();
        assertThat(attempts.countsAgainstTarget(AdvancedConfig.FailoverCriterion.TIMEOUT)).as("always").isTrue();
        assertThat(attempts.countsAgainstTarget(AdvancedConfig.FailoverCriterion.HTTP_404)).as("never").isFalse();
        assertThat(attempts.countsAgainstTarget(AdvancedConfig.FailoverCriterion.HTTP_429)).as("named").isTrue();
        assertThat(attempts.countsAgainstTarget(AdvancedConfig.FailoverCriterion.HTTP_500)).as("not named").isFalse();
    }

    @Test
    void aTargetWhoseConnectionsFailIsTakenOutThoughErrorIsNoFailoverCriterion() throws Exception {
        AdvancedConfig config = config("{\"failover_criteria\":[\"http_429\"],\"max_fails\":1,\"fail_timeout\":60000}",
                anthropicTarget("http://127.0.0.1:" + deadPort()), anthropicTarget(anthropic.url()));
        Attempts attempts = attempts(config);

        List<String> served = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Attempts.Result result = attempts.serve(messages(false), null, new RecordingSink(), System.nanoTime());
            served.add(result.tried().getLast().outcome());
        }

        assertThat(served).as("the dead target failed once, then was out for fail_timeout").containsOnlyOnce("error");
    }

    /** {@code target} with Kong's {@code model.model_alias}. */
    static String aliased(String target, String alias) {
        return target.replaceFirst("\\{\"model\":\\{", "{\"model\":{\"model_alias\":\"" + alias + "\",");
    }

    @Test
    void failoverStaysAmongTheTargetsOfTheRequestedAlias() throws Exception {
        // sonnet: a dead Anthropic target, then Bedrock; haiku: Vertex, heavier than both but never a sonnet fallback.
        AdvancedConfig config = config("{\"algorithm\":\"priority\",\"failover_criteria\":[\"error\",\"timeout\",\"http_503\"]}",
                priority(aliased(anthropicTarget("http://127.0.0.1:" + deadPort()), "sonnet"), 10),
                priority(aliased(bedrockTarget(AWS_SECRET), "sonnet"), 5),
                priority(aliased(vertexTarget(), "haiku"), 50));
        Attempts attempts = attempts(config);
        bedrock.enqueue(new FakeBedrock.Behaviour.Answer("Sonnet from Bedrock", new Usage(10, 4, 0, 0)));
        RecordingSink client = new RecordingSink();

        Attempts.Result served = attempts.serve(messages(true), AdvancedProxyPlugin.eligibleTargets(config, "sonnet"), null, client, System.nanoTime());

        assertThat(served.tried()).extracting(t -> t.target().model().provider() + ":" + t.outcome()).containsExactly("anthropic:error", "bedrock:complete");
        assertThat(client.text()).contains("Bedrock");
        assertThat(bedrock.take(1000).orElseThrow().path()).contains("claude-sonnet-4-5");

        // Both sonnet targets fail: the client gets the last one's error; the haiku target is not tried.
        bedrock.enqueue(new FakeBedrock.Behaviour.Status(503, "ServiceUnavailableException", "Bedrock is unavailable"));
        RecordingSink failed = new RecordingSink();
        Attempts.Result unserved = attempts.serve(messages(false), AdvancedProxyPlugin.eligibleTargets(config, "sonnet"), null, failed, System.nanoTime());
        assertThat(unserved.served()).isFalse();
        assertThat(unserved.tried()).extracting(t -> t.target().model().provider()).containsExactly("anthropic", "bedrock");
        assertThat(failed.status).isEqualTo(503);
        assertThat(vertex.take(300)).as("the haiku target is no fallback for sonnet").isEmpty();

        // haiku goes to Vertex only.
        vertex.enqueue(new FakeVertex.Behaviour.Answer("Haiku from Vertex", new Usage(5, 2, 0, 0)));
        RecordingSink haiku = new RecordingSink();
        Attempts.Result haikuServed = attempts.serve(messages(false), AdvancedProxyPlugin.eligibleTargets(config, "haiku"), null, haiku, System.nanoTime());
        assertThat(haikuServed.tried()).extracting(t -> t.target().model().provider()).containsExactly("gemini");
        assertThat(haiku.text()).contains("Vertex");
    }

    static final String ROLE_ARN = "arn:aws:iam::123456789012:role/bedrock-claude";
    static final String TEMP_KEY = "ASIATEMPORARY0000001";
    static final String TEMP_SECRET = "temporary/secret/KEY+abcdefghij0123456789";
    static final String TEMP_TOKEN = "IQoJb3JpZ2luX2VjEFAKE//session+token/for==the+assumed/role";

    String assumingTarget(String callerSecret, String stsUrl, String bedrockUrl) {
        return """
                {"model":{"provider":"bedrock","name":"%s","options":{"bedrock":{"aws_region":"us-east-1","aws_assume_role_arn":"%s",
                   "aws_role_session_name":"claude-code","aws_sts_endpoint_url":"%s"},"upstream_url":"%s"}},
                 "auth":{"aws_access_key_id":"%s","aws_secret_access_key":"%s"},"logging":{"log_statistics":true}}"""
                .formatted(BEDROCK_MODEL, ROLE_ARN, stsUrl, bedrockUrl, AWS_KEY, callerSecret);
    }

    @Test
    void bedrockIsCalledWithTheAssumedRolesTemporaryCredentials() throws Exception {
        try (FakeSts sts = FakeSts.start(AWS_KEY, AWS_SECRET, "us-east-1", ROLE_ARN, TEMP_KEY, TEMP_SECRET, TEMP_TOKEN);
             FakeBedrock roleBedrock = FakeBedrock.start(TEMP_KEY, TEMP_SECRET, "us-east-1").requireSessionToken(TEMP_TOKEN)) {
            Attempts attempts = attempts(config("{}", assumingTarget(AWS_SECRET, sts.url(), roleBedrock.url())));
            RecordingSink client = new RecordingSink();

            Attempts.Result result = attempts.serve(messages(true), null, client, System.nanoTime());

            assertThat(result.outcome()).as(client.text()).isEqualTo("complete");
            FakeSts.Seen assumed = sts.take(1000).orElseThrow();
            assertThat(assumed.signatureProblem()).as("AssumeRole signed with the base credentials, checked without the SDK").isEmpty();
            assertThat(assumed.parameters()).containsEntry("Action", "AssumeRole").containsEntry("RoleArn", ROLE_ARN)
                    .containsEntry("RoleSessionName", "claude-code");
            FakeBedrock.Seen seen = roleBedrock.take(1000).orElseThrow();
            assertThat(seen.signatureProblem()).as("signed with the temporary key, its session token signed too").isEmpty();
            assertThat(seen.headers().get("x-amz-security-token")).containsExactly(TEMP_TOKEN);
            assertThat(seen.headers().get("authorization").getFirst()).contains("Credential=" + TEMP_KEY + "/");

            // The temporary credentials are reused until they near their expiry: no second AssumeRole.
            attempts.serve(messages(false), null, new RecordingSink(), System.nanoTime());
            assertThat(roleBedrock.take(1000).orElseThrow().signatureProblem()).isEmpty();
            assertThat(sts.take(200)).isEmpty();

            // The fakes do refuse what AWS refuses: Bedrock a request signed with the base keys, ...
            RecordingSink baseSigned = new RecordingSink();
            attempts(config("{}", bedrockTarget(AWS_SECRET).replace(bedrock.url(), roleBedrock.url()))).serve(messages(false), null, baseSigned, System.nanoTime());
            assertThat(baseSigned.status).isEqualTo(403);
            assertThat(roleBedrock.take(1000).orElseThrow().signatureProblem()).isPresent();
            // ... and STS an AssumeRole signed with the wrong secret, so the target fails before Bedrock is called.
            RecordingSink wrongCaller = new RecordingSink();
            Attempts.Result refused = attempts(config("{}", assumingTarget("not/the/right/secret", sts.url(), roleBedrock.url())))
                    .serve(messages(false), null, wrongCaller, System.nanoTime());
            assertThat(refused.served()).isFalse();
            assertThat(refused.tried()).extracting(Attempts.Tried::outcome).containsExactly("error");
            assertThat(refused.tried().getFirst().error()).contains("no AWS credentials for Bedrock");
            assertThat(sts.take(1000).orElseThrow().signatureProblem()).isPresent();
            assertThat(roleBedrock.take(200)).isEmpty();
        }
    }

    @Test
    void http429FailsOverOnlyWhenTheCriteriaSaySo() throws Exception {
        anthropic.enqueue(Reply.error(429, "rate_limit_error", "slow down"));
        AdvancedConfig withCriterion = config(ORDERED, priority(anthropicTarget(anthropic.url()), 10), priority(bedrockTarget(AWS_SECRET), 1));
        RecordingSink failedOver = new RecordingSink();
        attempts(withCriterion).serve(messages(false), null, failedOver, System.nanoTime());
        assertThat(failedOver.status).isEqualTo(200);
        assertThat(bedrock.seenCount()).isEqualTo(1);

        anthropic.enqueue(Reply.error(429, "rate_limit_error", "slow down").header("retry-after", "17")
                .header("anthropic-ratelimit-requests-remaining", "0").header("x-internal-debug", "no"));
        AdvancedConfig without = config("{\"algorithm\":\"priority\"}", priority(anthropicTarget(anthropic.url()), 10), priority(bedrockTarget(AWS_SECRET), 1));
        RecordingSink passed = new RecordingSink();
        Attempts.Result result = attempts(without).serve(messages(false), null, passed, System.nanoTime());
        assertThat(passed.status).isEqualTo(429);
        assertThat(passed.headers).as("the provider's back-off hint and limits reach the client (Claude Code waits as told)")
                .contains(Map.entry("retry-after", "17"), Map.entry("anthropic-ratelimit-requests-remaining", "0"))
                .doesNotContain(Map.entry("x-internal-debug", "no"));
        assertThat(JSON.readTree(passed.text()).path("error").path("message").asText()).isEqualTo("slow down");
        assertThat(result.tried()).hasSize(1);
    }

    @Test
    void aStreamRefusedInItsFirstFrameFailsOverToo() throws Exception {
        bedrock.enqueue(new FakeBedrock.Behaviour.ExceptionFrame("throttlingException", "Too many requests"));
        AdvancedConfig config = config(ORDERED, priority(bedrockTarget(AWS_SECRET), 10), priority(anthropicTarget(anthropic.url()), 1));
        RecordingSink client = new RecordingSink();

        Attempts.Result result = attempts(config).serve(messages(true), null, client, System.nanoTime());

        assertThat(result.tried()).extracting(Attempts.Tried::outcome).containsExactly("error", "complete");
        assertThat(client.answers).isEqualTo(1);
        assertThat(client.text()).doesNotContain("throttling");
    }

    @Test
    void afterTheFirstByteThereIsNoRetryAndTheStreamIsBrokenOffAfterItsLastWholeEvent() throws Exception {
        bedrock.enqueue(new FakeBedrock.Behaviour.BreakAfter(3, "one two three four five", new Usage(10, 5, 0, 0)));
        AdvancedConfig config = config(ORDERED, priority(bedrockTarget(AWS_SECRET), 10), priority(anthropicTarget(anthropic.url()), 1));
        RecordingSink client = new RecordingSink();

        Attempts.Result result = attempts(config).serve(messages(true), null, client, System.nanoTime());

        assertThat(result.tried()).hasSize(1);
        assertThat(result.outcome()).isEqualTo("truncated");
        assertThat(client.eventTypes()).containsExactly("message_start", "content_block_start", "content_block_delta");
        assertThat(result.brokenOff()).as("the relay breaks the answer off: the client retries as for a dropped connection").isTrue();
        assertThat(anthropic.pendingRequests()).isZero();
    }

    @Test
    void anAnswerTheDecodersCannotTakeBeforeItsFirstEventFailsOverInsteadOfFailingThePass() throws Exception {
        anthropic.enqueue(io.kongjava.testing.anthropic.Reply.raw(200, "text/event-stream",
                ("data: " + "x".repeat(io.kongjava.plugins.ai.SseParser.MAX_EVENT_BYTES + 1000)).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        AdvancedConfig config = config(ORDERED, priority(anthropicTarget(anthropic.url()), 10), priority(bedrockTarget(AWS_SECRET), 1));
        RecordingSink client = new RecordingSink();

        Attempts.Result result = attempts(config).serve(messages(true), null, client, System.nanoTime());

        assertThat(result.tried()).extracting(Attempts.Tried::outcome).containsExactly("error", "complete");
        assertThat(client.eventTypes()).contains("message_start", "message_stop");
    }

    @Test
    void anOpenCircuitSkipsTheDeadTargetOnTheNextRequest() throws Exception {
        String balancer = "{\"algorithm\":\"priority\",\"max_fails\":1,\"fail_timeout\":60000}";
        AdvancedConfig config = config(balancer, priority(anthropicTarget("http://127.0.0.1:" + deadPort()), 10), priority(bedrockTarget(AWS_SECRET), 1));
        Attempts attempts = attempts(config);

        Attempts.Result first = attempts.serve(messages(false), null, new RecordingSink(), System.nanoTime());
        Attempts.Result second = attempts.serve(messages(false), null, new RecordingSink(), System.nanoTime());

        assertThat(first.tried()).hasSize(2);
        assertThat(second.tried()).extracting(t -> t.target().model().provider()).containsExactly("bedrock");
    }

    @Test
    void whenEveryTargetFailsTheClientGetsKongs502() throws Exception {
        AdvancedConfig config = config(ORDERED, anthropicTarget("http://127.0.0.1:" + deadPort()), anthropicTarget("http://127.0.0.1:" + deadPort()));
        RecordingSink client = new RecordingSink();

        Attempts.Result result = attempts(config).serve(messages(true), null, client, System.nanoTime());

        assertThat(client.status).isEqualTo(502);
        assertThat(JSON.readTree(client.text()).path("message").asText()).isEqualTo("An invalid response was received from the upstream server");
        assertThat(result.tried()).hasSize(2);
        JsonNode line = JSON.valueToTree(LogBlock.of("p1", config, messages(true), "claude-sonnet-4-5", result));
        assertThat(line.path("proxy").path("tried_targets")).hasSize(2);
        assertThat(line.path("proxy").path("meta").path("served").asBoolean()).isFalse();
    }

    @Test
    void lowestLatencyStopsPickingATargetThatTimesOutAndChargesEachTargetOnlyItsOwnTime() throws Exception {
        try (ServerSocket silent = new ServerSocket(0)) {
            Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        silent.accept();
                    }
                } catch (IOException closed) {
                    // test over
                }
            });
            for (String strategy : List.of("e2e", "tpot")) {
                AdvancedConfig config = config("{\"algorithm\":\"lowest-latency\",\"latency_strategy\":\"" + strategy + "\",\"read_timeout\":300}",
                        anthropicTarget("http://127.0.0.1:" + silent.getLocalPort()), anthropicTarget(anthropic.url()));
                Attempts attempts = attempts(config);
                int silentTries = 0;
                for (int request = 0; request < 5; request++) {
                    anthropic.enqueue(Reply.text("hello there"));
                    Attempts.Result result = attempts.serve(messages(false), null, new RecordingSink(), System.nanoTime());

                    assertThat(result.outcome()).isEqualTo("complete");
                    assertThat(result.last().meter().latencyMillis()).as(strategy + " #" + request + ": the answering target's own time")
                            .isLessThan(300);
                    silentTries += (int) result.tried().stream().filter(tried -> tried.index() == 0).count();
                }
                // unmeasured, it is tried once (lowest-latency tries unmeasured targets first); then its 300 ms count
                assertThat(silentTries).as(strategy).isEqualTo(1);
            }
        }
    }

    @Test
    void aSilentTargetTimesOutAndTheNextServes() throws Exception {
        try (ServerSocket silent = new ServerSocket(0)) {
            Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        silent.accept();  // accepts, reads nothing, answers nothing
                    }
                } catch (IOException closed) {
                    // test over
                }
            });
            AdvancedConfig config = config("{\"algorithm\":\"priority\",\"read_timeout\":300}",
                    priority(anthropicTarget("http://127.0.0.1:" + silent.getLocalPort()), 10), priority(bedrockTarget(AWS_SECRET), 1));
            RecordingSink client = new RecordingSink();
            long start = System.nanoTime();

            Attempts.Result result = attempts(config).serve(messages(true), null, client, start);

            assertThat(result.tried()).extracting(Attempts.Tried::outcome).containsExactly("timeout", "complete");
            assertThat((System.nanoTime() - start) / 1_000_000).isBetween(300L, 5_000L);
            assertThat(client.eventTypes()).endsWith("message_stop");
        }
    }

    @Test
    void aTargetDyingMidLoadCostsAtMostTheStreamsItWasServingAndEveryLaterRequestIsServed() throws Exception {
        FakeAnthropic dying = FakeAnthropic.start();
        int requests = 200;
        int concurrency = 8;
        AdvancedConfig config = config("{\"algorithm\":\"round-robin\",\"max_fails\":2,\"fail_timeout\":60000}",
                anthropicTarget(dying.url()), bedrockTarget(AWS_SECRET));
        Attempts attempts = attempts(config);
        java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.CountDownLatch halfway = new java.util.concurrent.CountDownLatch(1);
        List<java.util.concurrent.Future<Attempts.Result>> results = new ArrayList<>();
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(concurrency)) {
            for (int i = 0; i < requests; i++) {
                results.add(pool.submit(() -> {
                    RecordingSink client = new RecordingSink();
                    Attempts.Result result = attempts.serve(messages(true), null, client, System.nanoTime());
                    if (done.incrementAndGet() == requests / 4) {
                        halfway.countDown();
                    }
                    assertThat(client.answers).isEqualTo(1);
                    return result;
                }));
            }
            halfway.await();
            dying.close();  // Anthropic goes away under load
        }
        int truncated = 0;
        int failedOver = 0;
        for (var future : results) {
            Attempts.Result result = future.get();
            if (result.outcome().equals("complete")) {
                failedOver += result.tried().size() > 1 ? 1 : 0;
            } else {
                assertThat(result.outcome()).as("only a stream under way when its target died may end early").isEqualTo("truncated");
                assertThat(result.tried()).hasSize(1);
                truncated++;
            }
        }
        assertThat(truncated).isLessThanOrEqualTo(concurrency);
        // The death was noticed (a stream cut short, or an attempt failed over) and cost at most what the circuit allows.
        assertThat(truncated + failedOver).isBetween(1, 2 + 2 * concurrency);
        Attempts.Result after = attempts.serve(messages(true), null, new RecordingSink(), System.nanoTime());
        assertThat(after.tried()).extracting(t -> t.target().model().provider()).containsExactly("bedrock");
    }

    @Test
    void logPayloadsKeepsTheRequestAndTheStreamAsTheClientGotIt() throws Exception {
        bedrock.enqueue(new FakeBedrock.Behaviour.Answer("payload words", new Usage(3, 2, 0, 0)));
        AdvancedConfig config = config("{}", bedrockTarget(AWS_SECRET).replace("\"log_statistics\":true", "\"log_statistics\":true,\"log_payloads\":true"));
        RecordingSink client = new RecordingSink();

        Attempts.Result result = attempts(config).serve(messages(true), null, client, System.nanoTime());

        JsonNode block = JSON.valueToTree(LogBlock.of("p", config, messages(true), "claude-sonnet-4-5", result));
        assertThat(block.path("proxy").path("payload").path("response").asText()).isEqualTo(client.text());
        assertThat(block.path("proxy").path("payload").path("request").asText()).contains("Say hi");
        AdvancedConfig plain = config("{}", bedrockTarget(AWS_SECRET));
        Attempts.Result unlogged = attempts(plain).serve(messages(true), null, new RecordingSink(), System.nanoTime());
        assertThat(unlogged.last().meter().payload()).isEmpty();
        assertThat(JSON.valueToTree(LogBlock.of("p", plain, messages(true), null, unlogged)).path("proxy").has("payload")).isFalse();
    }
}
