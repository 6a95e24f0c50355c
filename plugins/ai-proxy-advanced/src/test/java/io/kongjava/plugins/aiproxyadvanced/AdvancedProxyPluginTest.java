package io.kongjava.plugins.aiproxyadvanced;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kongjava.pdk.InvalidConfigException;
import io.kongjava.pdk.exchange.ProcessRequestExchange;
import io.kongjava.pdk.testkit.PluginTester;
import io.kongjava.pdk.testkit.TestRequest;
import io.kongjava.pdk.testkit.TestRun;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Config refused as Kong words it, and requests refused in the access phase before any target is called. */
class AdvancedProxyPluginTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static final String ANTHROPIC = """
            {"model":{"provider":"anthropic","name":"claude-sonnet-4-5","options":{"anthropic_version":"2023-06-01","upstream_url":"http://127.0.0.1:1"}},
             "auth":{"header_name":"x-api-key","header_value":"sk-ant-secret"}}""";
    static final String BEDROCK = """
            {"model":{"provider":"bedrock","name":"us.anthropic.claude-sonnet-4-5-20250929-v1:0","options":{"bedrock":{"aws_region":"us-east-1"}}}}""";
    static final String VERTEX = """
            {"model":{"provider":"gemini","name":"claude-sonnet-4-5@20250929","options":{"gemini":{"project_id":"p","location_id":"us-east5"}}}}""";

    static String config(String extra, String... targets) {
        return "{\"llm_format\":\"anthropic\"" + extra + ",\"targets\":[" + String.join(",", targets) + "]}";
    }

    @Test
    void kongsDefaultsAreFilledIn() throws Exception {
        @SuppressWarnings("unchecked")
        AdvancedConfig config = io.kongjava.pdk.schema.ConfigBinder.bind(AdvancedConfig.class, JSON.readValue(config("", ANTHROPIC), Map.class));
        AdvancedConfig.Balancer balancer = config.balancerOrDefaults();
        assertThat(balancer.algorithm()).isEqualTo(AdvancedConfig.Algorithm.ROUND_ROBIN);
        assertThat(balancer.retries()).isEqualTo(5);
        assertThat(balancer.failoverCriteria()).containsExactly(AdvancedConfig.FailoverCriterion.ERROR, AdvancedConfig.FailoverCriterion.TIMEOUT);
        assertThat(balancer.maxFails()).isZero();
        assertThat(balancer.failTimeout()).isEqualTo(10000);
        assertThat(balancer.hashOnHeader()).isEqualTo("X-Kong-LLM-Request-ID");
        assertThat(config.targets().getFirst().weight()).isEqualTo(100);
    }

    @Test
    void invalidConfigIsRefusedAtStartInstanceWithKongStyleMessages() {
        record Bad(String config, String field, String message) {
        }
        List<Bad> bad = List.of(
                new Bad(config("", ANTHROPIC).replace("\"llm_format\":\"anthropic\"", "\"llm_format\":\"openai\""), "llm_format", "set llm_format to 'anthropic'"),
                new Bad(config(""), "targets", "length must be at least 1"),
                new Bad(config("", ANTHROPIC.replace("\"anthropic_version\":\"2023-06-01\",", "")), "targets.1.@entity",
                        "must set 'model.options.anthropic_version' for anthropic provider"),
                new Bad(config("", ANTHROPIC, BEDROCK.replace("\"bedrock\":{\"aws_region\":\"us-east-1\"}", "\"input_cost\":1")),
                        "targets.2.model.options.bedrock.aws_region", "must set 'model.options.bedrock.aws_region'"),
                new Bad(config("", VERTEX.replace("\"project_id\":\"p\",", "")), "targets.1.model.options.gemini", "project_id"),
                new Bad(config("", ANTHROPIC.replace("\"provider\":\"anthropic\"", "\"provider\":\"openai\"")), "targets[1].model.provider", "anthropic, bedrock or gemini"),
                new Bad(config(",\"balancer\":{\"algorithm\":\"random\"}", ANTHROPIC), "balancer.algorithm", "expected one of: round-robin, lowest-latency"),
                new Bad(config(",\"balancer\":{\"failover_criteria\":[\"error\",\"http_418\"]}", ANTHROPIC), "balancer.failover_criteria", "expected one of"),
                new Bad(config(",\"balancer\":{\"retries\":-1}", ANTHROPIC), "balancer.retries", "between"),
                new Bad(config("", ANTHROPIC.replace("http://127.0.0.1:1", "ftp://x")), "targets.1.model.options.upstream_url", "must be an http or https URL"),
                new Bad(config("", ANTHROPIC.replace("\"header_value\":\"sk-ant-secret\"", "\"param_name\":\"k\"")), "targets", "all or none"),
                new Bad(config("", VERTEX.replace("}}}}", "}}},\"auth\":{\"gcp_service_account_json\":\"{\\\"type\\\":\\\"user\\\"}\"}}")),
                        "targets.1.auth.gcp_service_account_json", "service account"));
        for (Bad b : bad) {
            assertThatThrownBy(() -> PluginTester.of(new AdvancedProxyPlugin()).configJson(b.config()))
                    .as(b.config())
                    .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.errors().entrySet())
                            .as(e.errors().toString())
                            .anySatisfy(entry -> {
                                assertThat(entry.getKey().replace("[", ".").replace("]", "")).startsWith(b.field().replace("[", ".").replace("]", ""));
                                assertThat(entry.getValue()).contains(b.message());
                            }));
        }
    }

    /**
     * A configuration as Kong's Admin API returns it (and decK dumps it): every field of the 3.14/3.15 schema present,
     * the ones not set at null or Kong's default, semantic balancing's embeddings and vectordb included.
     */
    static final String KONG_EXPORT = """
            {"llm_format":"anthropic","genai_category":"text/generation","max_request_body_size":1048576,"model_name_header":true,
             "response_streaming":"allow","embeddings":null,"vectordb":null,
             "balancer":{"algorithm":"round-robin","retries":5,"failover_criteria":["error","timeout"],"max_fails":0,"fail_timeout":10000,
               "connect_timeout":60000,"write_timeout":60000,"read_timeout":60000,"hash_on_header":"X-Kong-LLM-Request-ID","slots":10000,
               "tokens_count_strategy":"total-tokens","latency_strategy":"tpot"},
             "targets":[{"route_type":"llm/v1/chat","weight":100,"description":null,"metadata":null,
               "logging":{"log_statistics":false,"log_payloads":false},
               "auth":{"header_name":null,"header_value":null,"param_name":null,"param_value":null,"param_location":null,
                 "aws_access_key_id":null,"aws_secret_access_key":null,"azure_use_managed_identity":false,"azure_client_id":null,
                 "azure_client_secret":null,"azure_tenant_id":null,"gcp_use_service_account":false,"gcp_service_account_json":null,
                 "gcp_metadata_url":null,"gcp_oauth_token_url":null,"allow_override":false},
               "model":{"provider":"bedrock","name":"us.anthropic.claude-sonnet-4-5-20250929-v1:0","model_alias":"claude-sonnet-4-5",
                 "options":{"max_tokens":null,"input_cost":null,"output_cost":null,"temperature":null,"top_p":null,"top_k":null,
                   "anthropic_version":null,"upstream_url":null,"upstream_path":null,"azure_instance":null,"azure_api_version":"2023-05-15",
                   "azure_deployment_id":null,"llama2_format":null,"mistral_format":null,"embeddings_dimensions":null,
                   "bedrock":{"aws_region":"us-east-1","aws_assume_role_arn":null,"aws_role_session_name":null,"aws_sts_endpoint_url":null,
                     "performance_config_latency":null,"embeddings_normalize":false,"batch_bucket_prefix":null,"batch_role_arn":null,
                     "video_output_s3_uri":null},
                   "gemini":null,"huggingface":null,"cohere":{"embedding_input_type":"classification","wait_for_model":null},
                   "dashscope":{"international":true},"databricks":null}}}]}""";

    /** Binds and validates as StartInstance does. */
    static AdvancedConfig load(String json) throws Exception {
        @SuppressWarnings("unchecked")
        AdvancedConfig config = io.kongjava.pdk.schema.ConfigBinder.bind(AdvancedConfig.class, JSON.readValue(json, Map.class));
        new AdvancedProxyPlugin().validate(config);
        return config;
    }

    @Test
    void aConfigExportedFromKongLoadsWithItsNullsAndDefaults() throws Exception {
        AdvancedConfig config = load(KONG_EXPORT);
        assertThat(config.embeddings()).isEmpty();
        assertThat(config.vectordb()).isEmpty();
        assertThat(config.targets().getFirst().model().modelAlias()).contains("claude-sonnet-4-5");
        assertThat(config.targets().getFirst().options().azureApiVersion()).isEqualTo("2023-05-15");
    }

    @Test
    void kongFieldsThisPluginDoesNotServeAreRefusedWhenSetNamingTheirPath() {
        record Bad(String config, String field, String message) {
        }
        String target = "\"targets\":[{\"route_type\":\"llm/v1/chat\"";
        List<Bad> bad = List.of(
                new Bad(KONG_EXPORT.replace("\"embeddings\":null", "\"embeddings\":{\"model\":{\"provider\":\"openai\",\"name\":\"text-embedding-3-small\"}}"),
                        "embeddings", "semantic balancing is not supported"),
                new Bad(KONG_EXPORT.replace("\"vectordb\":null", "\"vectordb\":{\"strategy\":\"redis\",\"dimensions\":1536,\"distance_metric\":\"cosine\",\"threshold\":0.7}"),
                        "vectordb", "semantic balancing is not supported"),
                new Bad(KONG_EXPORT.replace("\"algorithm\":\"round-robin\"", "\"algorithm\":\"semantic\""), "balancer.algorithm",
                        "semantic balancing is not supported"),
                new Bad(KONG_EXPORT.replace("\"total-tokens\"", "\"llm-accuracy\""), "balancer.tokens_count_strategy", "llm-accuracy is not supported"),
                new Bad(KONG_EXPORT.replace("\"genai_category\":\"text/generation\"", "\"genai_category\":\"image/generation\""), "genai_category",
                        "text/generation"),
                new Bad(KONG_EXPORT.replace(target, "\"targets\":[{\"route_type\":\"preserve\""), "targets.1.route_type", "'preserve'"),
                new Bad(KONG_EXPORT.replace(target, "\"targets\":[{\"route_type\":\"llm/v1/embeddings\""), "targets.1.route_type", "llm/v1/chat"),
                new Bad(KONG_EXPORT.replace("\"upstream_path\":null", "\"upstream_path\":\"/v1/x\""), "targets.1.model.options.upstream_path", "upstream_url"),
                new Bad(KONG_EXPORT.replace("\"gemini\":null", "\"gemini\":{\"project_id\":\"p\",\"location_id\":\"us-east5\",\"endpoint_id\":\"123\"}")
                        .replace("\"provider\":\"bedrock\"", "\"provider\":\"gemini\""), "targets.1.model.options.gemini.endpoint_id",
                        "Model Garden"),
                new Bad(KONG_EXPORT.replace("\"gcp_metadata_url\":null", "\"gcp_metadata_url\":\"http://169.254.169.254\""), "targets.1.auth.gcp_metadata_url",
                        "not supported"),
                new Bad(KONG_EXPORT.replace("\"allow_override\":false", "\"allow_override\":true"), "targets.1.auth.allow_override",
                        "bedrock and gemini only support auth.allow_override = false"),
                new Bad(KONG_EXPORT.replace("\"aws_role_session_name\":null", "\"aws_role_session_name\":\"kong\""),
                        "targets.1.model.options.bedrock.aws_role_session_name", "aws_assume_role_arn"),
                new Bad(KONG_EXPORT.replace("\"aws_assume_role_arn\":null", "\"aws_assume_role_arn\":\"bedrock-role\""),
                        "targets.1.model.options.bedrock.aws_assume_role_arn", "IAM role ARN"),
                new Bad(KONG_EXPORT.replace("\"provider\":\"bedrock\"", "\"provider\":\"openai\""), "targets.1.model.provider",
                        "anthropic, bedrock or gemini (Vertex AI), not openai"),
                new Bad(KONG_EXPORT.replace("\"model_alias\":\"claude-sonnet-4-5\"", "\"model_alias\":\"\""), "targets.1.model.model_alias", "length must be at least 1"));
        for (Bad b : bad) {
            assertThat(b.config()).as("the replacement applied").isNotEqualTo(KONG_EXPORT);
            assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> PluginTester.of(new AdvancedProxyPlugin()).configJson(b.config())))
                    .as(b.field())
                    .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.errors().entrySet())
                            .as(e.errors().toString())
                            .anySatisfy(entry -> {
                                assertThat(entry.getKey()).isEqualTo(b.field());
                                assertThat(entry.getValue()).contains(b.message());
                            }));
        }
    }

    /** Kong's example of model aliases, for Claude: Claude Code's two models, each on two providers. */
    static final String ALIASED = config("",
            ANTHROPIC.replace("\"name\":\"claude-sonnet-4-5\"", "\"name\":\"claude-sonnet-4-5\",\"model_alias\":\"sonnet\""),
            BEDROCK.replace("\"provider\":\"bedrock\",", "\"provider\":\"bedrock\",\"model_alias\":\"sonnet\","),
            VERTEX.replace("claude-sonnet-4-5@20250929", "claude-haiku-4-5@20251001").replace("\"provider\":\"gemini\",", "\"provider\":\"gemini\",\"model_alias\":\"haiku\","),
            BEDROCK.replace("claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001").replace("\"provider\":\"bedrock\",", "\"provider\":\"bedrock\",\"model_alias\":\"haiku\","));

    @Test
    void theRequestedModelSelectsTheTargetsWithThatAliasOrThatName() throws Exception {
        AdvancedConfig config = load(ALIASED);
        assertThat(AdvancedProxyPlugin.eligibleTargets(config, "sonnet")).containsExactly(0, 1);
        assertThat(AdvancedProxyPlugin.eligibleTargets(config, "haiku")).containsExactly(2, 3);
        assertThat(AdvancedProxyPlugin.eligibleTargets(config, "claude-haiku-4-5@20251001")).containsExactly(2);
        assertThat(AdvancedProxyPlugin.eligibleTargets(config, "claude-sonnet-4-5")).containsExactly(0);
        assertThat(AdvancedProxyPlugin.eligibleTargets(config, null)).containsExactly(0, 1, 2, 3);
        assertThat(AdvancedProxyPlugin.eligibleTargets(config, "opus")).isEmpty();

        TestRun run = run(ALIASED, messages("{\"model\":\"opus\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));
        TestRun.Exit exit = run.exit().orElseThrow();
        assertThat(exit.status()).isEqualTo(400);
        assertThat(JSON.readTree(exit.body()).path("error").path("message").asText())
                .isEqualTo("cannot use own model - must be one of: sonnet, haiku, claude-sonnet-4-5, us.anthropic.claude-sonnet-4-5-20250929-v1:0,"
                        + " claude-haiku-4-5@20251001, us.anthropic.claude-haiku-4-5-20251001-v1:0");
    }

    @Test
    void responseStreamingAllowsDeniesOrForcesAStream() throws Exception {
        var messages = ClientRequest.Operation.MESSAGES;
        java.util.function.Function<String, com.fasterxml.jackson.databind.node.ObjectNode> body = json -> {
            try {
                return (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(json);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        assertThat(AdvancedProxyPlugin.streamed(body.apply("{\"stream\":true}"), messages, "allow")).isTrue();
        assertThat(AdvancedProxyPlugin.streamed(body.apply("{}"), messages, "allow")).isFalse();
        assertThat(AdvancedProxyPlugin.streamed(body.apply("{}"), messages, "deny")).isFalse();
        assertThatThrownBy(() -> AdvancedProxyPlugin.streamed(body.apply("{\"stream\":true}"), messages, "deny"))
                .hasMessage("response streaming is not enabled for this LLM");
        var forced = body.apply("{\"stream\":false}");
        assertThat(AdvancedProxyPlugin.streamed(forced, messages, "always")).isTrue();
        assertThat(forced.path("stream").asBoolean()).as("the targets are asked for a stream").isTrue();
        assertThat(AdvancedProxyPlugin.streamed(body.apply("{}"), ClientRequest.Operation.COUNT_TOKENS, "always")).isFalse();
    }

    TestRun run(String configJson, TestRequest request) throws Exception {
        return PluginTester.of(new AdvancedProxyPlugin((config, http) -> {
            throw new AssertionError("a refused request never reaches the targets");
        })).configJson(configJson).run(request);
    }

    static TestRequest messages(String body) {
        return TestRequest.post("http://gateway.test/anything/v1/messages", body).header("content-type", "application/json");
    }

    @Test
    void requestsAreRefusedBeforeAnyTargetWithAnthropicShapedErrors() throws Exception {
        String config = config("", ANTHROPIC, BEDROCK);
        record Refused(TestRequest request, int status, String message) {
        }
        List<Refused> refused = List.of(
                new Refused(messages("{\"model\":\"claude-opus-5-5\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"), 400,
                        "cannot use own model - must be one of: claude-sonnet-4-5, us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
                new Refused(messages("{\"model\":\"claude-opus-5-5\",\"model\":\"claude-sonnet-4-5\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"), 400,
                        "duplicate key"),
                new Refused(messages("[1,2]"), 400, "doesn't contain valid prompts"),
                new Refused(messages("{\"model\":\"claude-sonnet-4-5\",\"messages\":[]}"), 400, "doesn't contain valid prompts"),
                new Refused(TestRequest.post("http://gateway.test/anything/v1/complete", "{}"), 404, "serves /v1/messages"));
        for (Refused r : refused) {
            TestRun run = run(config, r.request());
            TestRun.Exit exit = run.exit().orElseThrow(() -> new AssertionError("not refused: " + r));
            assertThat(exit.status()).as(r.message()).isEqualTo(r.status());
            JsonNode body = JSON.readTree(exit.body());
            assertThat(body.path("type").asText()).isEqualTo("error");
            assertThat(body.path("error").path("message").asText()).contains(r.message());
        }
    }

    @Test
    void oneHttpClientIsBuiltWithTheFirstEngineAndSharedByTheNext() throws Exception {
        List<okhttp3.OkHttpClient> handed = new java.util.concurrent.CopyOnWriteArrayList<>();
        AdvancedProxyPlugin plugin = new AdvancedProxyPlugin((config, http) -> {
            handed.add(http);
            throw new IllegalStateException("no targets in this test");
        });
        plugin.shutdown(); // a server that never ran the plugin has nothing of it to stop
        TestRequest request = messages("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        for (String config : List.of(config("", ANTHROPIC), config("", ANTHROPIC, BEDROCK))) {
            assertThat(PluginTester.of(plugin).configJson(config).run(request).exit().orElseThrow().status()).isEqualTo(500);
        }
        assertThat(handed).hasSize(2);
        assertThat(handed.get(1)).isSameAs(handed.get(0));
        plugin.shutdown();
        assertThat(handed.get(0).dispatcher().executorService().isShutdown()).isTrue();
    }

    @Test
    void anErrorInTheAccessPhaseFailsClosedWithKongs500() throws Exception {
        ProcessRequestExchange exchange = new ProcessRequestExchange(Duration.ofSeconds(5), Duration.ofSeconds(5), System::nanoTime);
        Map<String, Object> published = new java.util.concurrent.ConcurrentHashMap<>();
        exchange.observe(new ProcessRequestExchange.Observer() {
            @Override
            public void published(String requestId, String key) {
            }

            @Override
            public void completed(String requestId, String key, Object value) {
                published.put(key, value);
            }
        });
        TestRun run = PluginTester.of(new AdvancedProxyPlugin((config, http) -> {
            throw new IllegalStateException("no credentials");
        })).configJson(config("", ANTHROPIC.replace("\"auth\"", "\"logging\":{\"log_statistics\":true},\"auth\""))).exchange(exchange)
                .run(messages("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
                        .requestId("req-500"));
        TestRun.Exit exit = run.exit().orElseThrow();
        assertThat(exit.status()).isEqualTo(500);
        assertThat(JSON.readTree(exit.body()).path("message").asText()).isEqualTo("An unexpected error occurred");
        assertThat(run.upstream().toString()).doesNotContain("sk-ant-secret");
        // The line says so, and had the block not come, java-file-log's fallback would still name the outcome.
        for (var expected : Map.of(AdvancedProxyPlugin.AI_KEY, "internal_error", AdvancedProxyPlugin.AI_PENDING_KEY, "abandoned").entrySet()) {
            JsonNode block = JSON.valueToTree(published.get(expected.getKey()));
            assertThat(block.path("proxy").path("meta").path("outcome").asText()).as(expected.getKey()).isEqualTo(expected.getValue());
            assertThat(block.path("redact_headers").toString()).contains("x-api-key");
        }
        assertThat(exchange.lookup("req-500", AdvancedProxyPlugin.AI_PENDING_KEY)).as("the fallback, dropped once the block is there").isEmpty();
    }
}
