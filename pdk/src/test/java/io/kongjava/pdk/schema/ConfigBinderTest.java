package io.kongjava.pdk.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kongjava.pdk.InvalidConfigException;
import io.kongjava.pdk.internal.Json;
import io.kongjava.pdk.schema.AiProxyLikeConfig.LlmFormat;
import io.kongjava.pdk.schema.AiProxyLikeConfig.Provider;
import io.kongjava.pdk.schema.AiProxyLikeConfig.ResponseStreaming;
import io.kongjava.pdk.schema.AiProxyLikeConfig.RouteType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ConfigBinderTest {

    @SuppressWarnings("unchecked")
    private static Map<String, Object> json(String text) {
        return (Map<String, Object>) Json.parse(text);
    }

    private static Map<String, String> errorsOf(Class<? extends Record> type, Map<String, Object> config) {
        try {
            ConfigBinder.bind(type, config);
        } catch (InvalidConfigException e) {
            return e.errors();
        }
        throw new AssertionError("expected InvalidConfigException");
    }

    @Test
    void bindsWhatKongSendsInStartInstance() throws InvalidConfigException {
        // As Kong 3.9 sends it: defaults applied, unset optional fields null, Kong's own keys mixed in.
        Map<String, Object> config = json("""
                {"route_type":"llm/v1/chat",
                 "auth":{"header_name":"x-api-key","header_value":"sk-ant-123","param_name":null,"param_value":null,
                         "param_location":null,"gcp_use_service_account":false,"allow_override":false},
                 "model":{"provider":"anthropic","name":"claude-sonnet-4","options":{"max_tokens":1024,
                          "input_cost":3.0,"output_cost":15,"temperature":null,"top_p":null,"top_k":null,
                          "anthropic_version":"2023-06-01","azure_api_version":"2023-05-15","upstream_url":null}},
                 "logging":{"log_statistics":true,"log_payloads":false},
                 "response_streaming":"allow","max_request_body_size":524288,"model_name_header":true,
                 "llm_format":"anthropic",
                 "route_id":"0f0e...","service_id":null,"consumer_id":null,"plugin_instance_name":null,
                 "__plugin_id":"5f7a","__ws_id":"ws","__key__":"plugins:java-ai-proxy::::ws","__seq__":3,
                 "$refs":{"auth":{"header_value":"{vault://env/anthropic-key}"}},
                 "some_future_kong_key":{"x":1}}""");

        AiProxyLikeConfig bound = ConfigBinder.bind(AiProxyLikeConfig.class, config);

        assertThat(bound.routeType()).isEqualTo(RouteType.CHAT);
        assertThat(bound.auth()).hasValueSatisfying(auth -> {
            assertThat(auth.headerName()).contains("x-api-key");
            assertThat(auth.headerValue()).contains("sk-ant-123");
            assertThat(auth.paramName()).isEmpty();
            assertThat(auth.allowOverride()).isFalse();
        });
        assertThat(bound.model().provider()).isEqualTo(Provider.ANTHROPIC);
        assertThat(bound.model().name()).contains("claude-sonnet-4");
        AiProxyLikeConfig.Options options = bound.model().options().orElseThrow();
        assertThat(options.maxTokens()).contains(1024);
        assertThat(options.inputCost()).contains(3.0);
        assertThat(options.outputCost()).contains(15.0);
        assertThat(options.temperature()).isEmpty();
        assertThat(options.anthropicVersion()).contains("2023-06-01");
        assertThat(bound.logging().logStatistics()).isTrue();
        assertThat(bound.responseStreaming()).isEqualTo(ResponseStreaming.ALLOW);
        assertThat(bound.maxRequestBodySize()).isEqualTo(524288);
        assertThat(bound.llmFormat()).isEqualTo(LlmFormat.ANTHROPIC);
    }

    @Test
    void appliesDefaultsAndExpandsMissingRequiredRecords() throws InvalidConfigException {
        AiProxyLikeConfig bound = ConfigBinder.bind(AiProxyLikeConfig.class,
                json("{\"route_type\":\"preserve\",\"model\":{\"provider\":\"openai\"}}"));

        assertThat(bound.auth()).isEmpty();
        assertThat(bound.model().options()).isEmpty();
        assertThat(bound.logging()).isEqualTo(new AiProxyLikeConfig.Logging(false, false));
        assertThat(bound.responseStreaming()).isEqualTo(ResponseStreaming.ALLOW);
        assertThat(bound.maxRequestBodySize()).isEqualTo(8192);
        assertThat(bound.modelNameHeader()).isTrue();
        assertThat(bound.llmFormat()).isEqualTo(LlmFormat.OPENAI);
    }

    @Test
    void reportsEveryProblemWithKongsWordingByDottedPath() {
        Map<String, Object> config = json("""
                {"route_type":"llm/v2/chat",
                 "auth":{"header_name":"x-api-key"},
                 "model":{"options":{"max_tokens":10.5,"temperature":7,"top_k":-1,"input_cost":0}},
                 "logging":{"log_statistics":"yes"},
                 "max_request_body_size":0}""");

        assertThat(errorsOf(AiProxyLikeConfig.class, config)).containsExactlyInAnyOrderEntriesOf(Map.of(
                "route_type", "expected one of: llm/v1/chat, llm/v1/completions, preserve",
                "auth.@entity", "all or none of these fields must be set: 'header_name', 'header_value'",
                "model.provider", "required field missing",
                "model.options.max_tokens", "expected an integer",
                "model.options.temperature", "value should be between 0 and 5",
                "model.options.top_k", "value should be between 0 and 500",
                "model.options.input_cost", "value must be greater than 0",
                "logging.log_statistics", "expected a boolean",
                "max_request_body_size", "value must be greater than 0"));
    }

    @Test
    void anExplicitNullForARequiredFieldIsMissingEvenWithADefaultAsInKong() throws InvalidConfigException {
        // Kong gives a default only to a missing field; null (ngx.null from YAML or JSON) stays, and a required field refuses it
        Map<String, Object> config = new java.util.HashMap<>(json("{\"path\":\"/tmp/x.log\"}"));
        config.put("reopen", null);
        assertThat(errorsOf(FileLogLikeConfig.class, config)).containsEntry("reopen", "required field missing");
        assertThat(ConfigBinder.bind(FileLogLikeConfig.class, json("{\"path\":\"/tmp/x.log\"}")).reopen()).as("missing: the default").isFalse();
    }

    @Test
    void theExceptionMessageListsTheErrors() {
        assertThatThrownBy(() -> ConfigBinder.bind(FileLogLikeConfig.class, Map.of()))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessage("invalid configuration: path: required field missing");
    }

    @Test
    void fileLogShapedConfig() throws InvalidConfigException {
        Map<String, Object> config = new HashMap<>();
        config.put("path", "/tmp/claude.json");
        config.put("custom_fields_by_lua", null);
        FileLogLikeConfig bound = ConfigBinder.bind(FileLogLikeConfig.class, config);
        assertThat(bound).isEqualTo(new FileLogLikeConfig("/tmp/claude.json", false, Map.of()));

        config.put("custom_fields_by_lua", List.of());
        assertThat(errorsOf(FileLogLikeConfig.class, config)).containsExactly(Map.entry("custom_fields_by_lua", "length must be at least 1"));

        config.put("custom_fields_by_lua", Map.of("a", "return 1"));
        assertThat(ConfigBinder.bind(FileLogLikeConfig.class, config).customFieldsByLua()).containsExactly(Map.entry("a", "return 1"));
    }

    record Numbers(int count, long big, Integer boxed, OptionalInt optional, double ratio, float f, short s) {
    }

    @Test
    void numbersArriveInAnyWidth() throws InvalidConfigException {
        Map<String, Object> config = new HashMap<>();
        config.put("count", 3.0);
        config.put("big", Long.MAX_VALUE);
        config.put("boxed", null);
        config.put("optional", 7L);
        config.put("ratio", 2L);
        config.put("f", 0.25);
        config.put("s", 12);
        assertThat(ConfigBinder.bind(Numbers.class, config)).isEqualTo(new Numbers(3, Long.MAX_VALUE, null, OptionalInt.of(7), 2.0, 0.25f, (short) 12));

        config.put("count", 3_000_000_000L);
        config.put("ratio", "2");
        config.put("s", 1e20);
        config.put("big", 1e20);
        assertThat(errorsOf(Numbers.class, config)).containsExactly(
                Map.entry("count", "value should be between -2147483648 and 2147483647"),
                Map.entry("big", "expected an integer"),
                Map.entry("ratio", "expected a number"),
                Map.entry("s", "value should be between -32768 and 32767"));
    }

    record Lists(List<String> tags, Set<String> unique, Map<String, Integer> weights, List<Item> items,
                 @OneOf({"GET", "POST"}) List<String> methods) {
        record Item(String name, @Default("1") int weight) {
        }
    }

    @Test
    void collectionsBindReadOnlyAndAbsentOnesAreEmpty() throws InvalidConfigException {
        Lists empty = ConfigBinder.bind(Lists.class, Map.of());
        assertThat(empty.tags()).isEmpty();
        assertThat(empty.unique()).isEmpty();
        assertThat(empty.weights()).isEmpty();

        Lists bound = ConfigBinder.bind(Lists.class, json("""
                {"tags":["a","b"],"unique":["x","x","y"],"weights":{"a":1,"b":2.0},
                 "items":[{"name":"one"},{"name":"two","weight":5}],"methods":["GET"]}"""));
        assertThat(bound.tags()).containsExactly("a", "b");
        assertThat(bound.unique()).containsExactly("x", "y");
        assertThat(bound.weights()).containsExactly(Map.entry("a", 1), Map.entry("b", 2));
        assertThat(bound.items()).containsExactly(new Lists.Item("one", 1), new Lists.Item("two", 5));
        assertThatThrownBy(() -> bound.tags().add("c")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void collectionElementsAreValidatedWithNumberedPaths() {
        assertThat(errorsOf(Lists.class, json("""
                {"tags":["a",1],"weights":{"a":"heavy"},"items":[{"weight":2}],"methods":["GET","PUT"],"unique":"x"}""")))
                .containsExactlyInAnyOrderEntriesOf(Map.of(
                        "tags.2", "expected a string",
                        "unique", "expected a set",
                        "weights.a", "expected an integer",
                        "items.1.name", "required field missing",
                        "methods.2", "expected one of: GET, POST"));
    }

    @Test
    void emptyLuaTablesArriveAsArraysForMapsAndRecordsAndAsObjectsForArrays() throws InvalidConfigException {
        Lists bound = ConfigBinder.bind(Lists.class, json("{\"weights\":[],\"tags\":{},\"unique\":{}}"));
        assertThat(bound.weights()).isEmpty();
        assertThat(bound.tags()).isEmpty();
        assertThat(bound.unique()).isEmpty();
        assertThat(errorsOf(Lists.class, json("{\"tags\":{\"a\":\"b\"}}"))).containsExactly(Map.entry("tags", "expected an array"));

        AiProxyLikeConfig config = ConfigBinder.bind(AiProxyLikeConfig.class,
                json("{\"route_type\":\"preserve\",\"model\":{\"provider\":\"openai\",\"options\":[]},\"logging\":[]}"));
        assertThat(config.model().options()).hasValueSatisfying(o -> assertThat(o.maxTokens()).isEmpty());
    }

    record Patterns(@Match("^[^*&%%\\`%s][^*&%%\\`]*[^*&%%\\`%s]$") String path, @LenMin(3) Optional<String> code) {
    }

    @Test
    void matchUsesLuaPatterns() throws InvalidConfigException {
        assertThat(ConfigBinder.bind(Patterns.class, Map.of("path", "/tmp/log.txt")).path()).isEqualTo("/tmp/log.txt");
        assertThat(ConfigBinder.bind(Patterns.class, Map.of("path", "/o vo.loga")).path()).isEqualTo("/o vo.loga");
        for (String bad : List.of("/ovo*", "/ovo`", "test&thing", "test%thing", "test\\thing", " /ovo", "/ovo  ")) {
            assertThat(errorsOf(Patterns.class, Map.of("path", bad))).containsExactly(Map.entry("path", "invalid value: " + bad));
        }
        assertThat(errorsOf(Patterns.class, Map.of("path", "/a", "code", "ab"))).containsExactly(Map.entry("code", "length must be at least 3"));
    }

    @EntityCheck(kind = EntityCheck.Kind.AT_LEAST_ONE_OF, fields = {"a", "b"})
    @EntityCheck(kind = EntityCheck.Kind.ONLY_ONE_OF, fields = {"c", "d"})
    @EntityCheck(kind = EntityCheck.Kind.MUTUALLY_EXCLUSIVE, fields = {"a", "nested.x"})
    record Checks(Optional<String> a, List<String> b, Optional<String> c, @Default("on") Optional<String> d, Optional<Nested> nested) {
        record Nested(Optional<String> x) {
        }
    }

    @Test
    void entityChecksFollowKongsNonEmptyRule() throws InvalidConfigException {
        // an empty string is refused (Kong's default len_min 1) and counts as unset in the entity check
        assertThat(errorsOf(Checks.class, json("{\"a\":\"\",\"b\":[],\"c\":\"x\"}"))).containsOnly(
                Map.entry("a", "length must be at least 1"),
                Map.entry("@entity", "at least one of these fields must be non-empty: 'a', 'b'"));
        assertThat(errorsOf(Checks.class, json("{\"b\":[\"1\"],\"c\":\"x\",\"d\":\"y\"}"))).containsExactly(
                Map.entry("@entity", "exactly one of these fields must be non-empty: 'c', 'd'"));
        assertThat(errorsOf(Checks.class, json("{\"a\":\"1\",\"nested\":{\"x\":\"2\"},\"d\":null}"))).containsExactly(
                Map.entry("@entity", "only one or none of these fields must be set: 'a', 'nested.x'"));
        Checks ok = ConfigBinder.bind(Checks.class, json("{\"a\":\"1\"}"));
        assertThat(ok.d()).contains("on");
    }

    record Named(String name, @LenMin(0) String note) {
    }

    @Test
    void anEmptyStringIsRefusedUnlessTheFieldAllowsItAsKongDoes() {
        assertThat(errorsOf(Named.class, json("{\"name\":\"\",\"note\":\"\"}")))
                .containsExactly(Map.entry("name", "length must be at least 1"));
    }

    record Validating(int min, int max) {
        Validating {
            if (min > max) {
                throw new IllegalArgumentException("min must not exceed max");
            }
        }
    }

    @Test
    void aRecordsOwnValidationBecomesAnEntityError() {
        assertThat(errorsOf(Validating.class, Map.of("min", 5L, "max", 1L)))
                .containsExactly(Map.entry("@entity", "min must not exceed max"));
    }

    @Test
    void nonMapConfigIsReportedNotThrownAsClassCast() {
        assertThat(errorsOf(AiProxyLikeConfig.class, json("{\"route_type\":\"preserve\",\"model\":\"openai\"}")))
                .containsEntry("model", "expected a record");
        List<Object> notAList = new ArrayList<>();
        notAList.add(null);
        assertThat(errorsOf(Lists.class, Map.of("tags", notAList))).containsExactly(Map.entry("tags.1", "expected a string"));
    }

    @Test
    void toKongIsTheInverseOfBind() throws InvalidConfigException {
        Map<String, Object> kong = json("""
                {"route_type":"llm/v1/chat","auth":null,
                 "model":{"provider":"anthropic","name":null,"options":{"max_tokens":1024,"input_cost":3.0,"output_cost":null,
                          "temperature":null,"top_p":null,"top_k":null,"anthropic_version":"2023-06-01",
                          "azure_api_version":"2023-05-15","upstream_url":null}},
                 "logging":{"log_statistics":true,"log_payloads":false},
                 "response_streaming":"allow","max_request_body_size":8192,"model_name_header":true,"llm_format":"anthropic"}""");
        AiProxyLikeConfig bound = ConfigBinder.bind(AiProxyLikeConfig.class, kong);

        Map<String, Object> back = ConfigBinder.toKong(bound);

        assertThat(back).isEqualTo(kong);
        assertThat(ConfigBinder.bind(AiProxyLikeConfig.class, back)).isEqualTo(bound);
        Lists lists = new Lists(List.of("a"), Set.of("x"), Map.of("w", 2), List.of(new Lists.Item("i", 3)), List.of("GET"));
        assertThat(ConfigBinder.bind(Lists.class, ConfigBinder.toKong(lists))).isEqualTo(lists);
    }

    @Test
    void nullConfigIsAnEmptyOne() {
        assertThatThrownBy(() -> ConfigBinder.bind(FileLogLikeConfig.class, null)).isInstanceOf(InvalidConfigException.class);
    }
}
