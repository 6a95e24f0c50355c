package io.kongjava.pdk.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kongjava.pdk.internal.Json;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;

class KongSchemaTest {

    private static final List<Long> INT_RANGE = List.of((long) Integer.MIN_VALUE, (long) Integer.MAX_VALUE);

    @Test
    void fileLogShapedConfig() {
        Map<String, Object> schema = KongSchema.derive("java-file-log", FileLogLikeConfig.class);

        assertThat(Json.write(schema)).isEqualTo("""
                {"name":"java-file-log","fields":[{"config":{"type":"record","fields":[\
                {"path":{"type":"string","required":true}},\
                {"reopen":{"type":"boolean","required":true,"default":false}},\
                {"custom_fields_by_lua":{"type":"map","len_min":1,"keys":{"type":"string"},"values":{"type":"string"}}}\
                ]}}]}""");
    }

    @Test
    void aiProxyShapedConfig() {
        Map<String, Object> config = KongSchema.record(AiProxyLikeConfig.class);
        Map<String, Object> fields = fieldsByName(config);

        assertThat(fields.get("route_type")).isEqualTo(Map.of("type", "string", "required", true,
                "one_of", List.of("llm/v1/chat", "llm/v1/completions", "preserve")));
        assertThat(fields.get("response_streaming")).isEqualTo(Map.of("type", "string", "required", true, "default", "allow",
                "one_of", List.of("allow", "deny", "always")));
        assertThat(fields.get("max_request_body_size")).isEqualTo(Map.of("type", "integer", "required", true, "default", 8192L, "gt", 0L,
                "between", INT_RANGE));

        @SuppressWarnings("unchecked")
        Map<String, Object> auth = (Map<String, Object>) fields.get("auth");
        assertThat(auth).doesNotContainKey("required").containsEntry("type", "record");
        assertThat(auth.get("entity_checks")).isEqualTo(List.of(
                Map.of("mutually_required", List.of("header_name", "header_value")),
                Map.of("mutually_required", List.of("param_name", "param_value", "param_location"))));
        Map<String, Object> authFields = fieldsByName(auth);
        assertThat(authFields.get("header_value")).isEqualTo(Map.of("type", "string", "referenceable", true, "encrypted", true));
        assertThat(authFields.get("param_location")).isEqualTo(Map.of("type", "string", "one_of", List.of("query", "body")));

        @SuppressWarnings("unchecked")
        Map<String, Object> model = (Map<String, Object>) fields.get("model");
        assertThat(model).containsEntry("required", true);
        @SuppressWarnings("unchecked")
        Map<String, Object> options = (Map<String, Object>) fieldsByName(model).get("options");
        Map<String, Object> optionFields = fieldsByName(options);
        assertThat(optionFields.get("temperature")).isEqualTo(Map.of("type", "number", "between", List.of(0L, 5L)));
        assertThat(optionFields.get("top_k")).isEqualTo(Map.of("type", "integer", "between", List.of(0L, 500L)));
        assertThat(optionFields.get("input_cost")).isEqualTo(Map.of("type", "number", "gt", 0L));
        assertThat(optionFields.get("azure_api_version")).isEqualTo(Map.of("type", "string", "default", "2023-05-15"));

        @SuppressWarnings("unchecked")
        Map<String, Object> logging = (Map<String, Object>) fields.get("logging");
        assertThat(logging).containsEntry("required", true);
        assertThat(fieldsByName(logging).get("log_statistics")).isEqualTo(Map.of("type", "boolean", "required", true, "default", false));
    }

    @Test
    void fieldOrderFollowsTheRecord() {
        Map<String, Object> config = KongSchema.record(AiProxyLikeConfig.class);
        assertThat(fieldsByName(config).keySet()).containsExactly("route_type", "auth", "model", "logging",
                "response_streaming", "max_request_body_size", "model_name_header", "llm_format");
    }

    record CollectionFields(
            List<String> tags,
            @Required Set<Integer> ports,
            @Default("[\"a\"]") List<String> withDefault,
            List<Level> levels,
            Map<String, List<Long>> nested,
            List<Upstream> upstreams,
            @OneOf({"GET", "POST"}) List<String> methods,
            @Between(min = 1, max = 65535) List<Integer> allowedPorts,
            @Match("^[%w-]+$") Map<String, String> labels) {
        enum Level { @KongName("INFO") INFO, WARN }

        record Upstream(String host, @Default("80") int port) {
        }
    }

    @Test
    void collectionsMapToArraysSetsAndMapsWithTheirElementRules() {
        Map<String, Object> fields = fieldsByName(KongSchema.record(CollectionFields.class));
        assertThat(fields.get("tags")).isEqualTo(Map.of("type", "array", "elements", Map.of("type", "string")));
        assertThat(fields.get("ports")).isEqualTo(Map.of("type", "set", "required", true, "elements", Map.of("type", "integer", "between", INT_RANGE)));
        assertThat(fields.get("with_default")).isEqualTo(Map.of("type", "array", "default", List.of("a"), "elements", Map.of("type", "string")));
        assertThat(fields.get("levels")).isEqualTo(Map.of("type", "array",
                "elements", Map.of("type", "string", "one_of", List.of("INFO", "warn"))));
        assertThat(fields.get("nested")).isEqualTo(Map.of("type", "map", "keys", Map.of("type", "string"),
                "values", Map.of("type", "array", "elements", Map.of("type", "integer"))));
        assertThat(fields.get("upstreams")).isEqualTo(Map.of("type", "array", "elements", Map.of("type", "record", "fields", List.of(
                Map.of("host", Map.of("type", "string", "required", true)),
                Map.of("port", Map.of("type", "integer", "required", true, "default", 80L, "between", INT_RANGE))))));
        assertThat(fields.get("methods")).isEqualTo(Map.of("type", "array",
                "elements", Map.of("type", "string", "one_of", List.of("GET", "POST"))));
        assertThat(fields.get("allowed_ports")).isEqualTo(Map.of("type", "array",
                "elements", Map.of("type", "integer", "between", List.of(1L, 65535L))));
        assertThat(fields.get("labels")).isEqualTo(Map.of("type", "map", "keys", Map.of("type", "string"),
                "values", Map.of("type", "string", "match", "^[%w-]+$")));
    }

    record Scalars(int a, long b, Integer c, double d, Float e, boolean f, Boolean g, String h, OptionalInt i,
                   Optional<Long> j, @KongName("X-Custom") String custom, @Description("The upstream URL to call.") Optional<String> url) {
    }

    @Test
    void primitivesAndStringsAreRequiredBoxesAndOptionalsAreNot() {
        Map<String, Object> fields = fieldsByName(KongSchema.record(Scalars.class));
        assertThat(fields.get("a")).isEqualTo(Map.of("type", "integer", "required", true, "between", INT_RANGE));
        assertThat(fields.get("b")).isEqualTo(Map.of("type", "integer", "required", true));
        assertThat(fields.get("c")).isEqualTo(Map.of("type", "integer", "between", INT_RANGE));
        assertThat(fields.get("d")).isEqualTo(Map.of("type", "number", "required", true));
        assertThat(fields.get("e")).isEqualTo(Map.of("type", "number"));
        assertThat(fields.get("f")).isEqualTo(Map.of("type", "boolean", "required", true));
        assertThat(fields.get("g")).isEqualTo(Map.of("type", "boolean"));
        assertThat(fields.get("h")).isEqualTo(Map.of("type", "string", "required", true));
        assertThat(fields.get("i")).isEqualTo(Map.of("type", "integer", "between", INT_RANGE));
        assertThat(fields.get("j")).isEqualTo(Map.of("type", "integer"));
        assertThat(fields.get("X-Custom")).isEqualTo(Map.of("type", "string", "required", true));
        assertThat(fields.get("url")).isEqualTo(Map.of("type", "string", "description", "The upstream URL to call."));
    }

    @Test
    void snakeCaseNames() {
        assertThat(ConfigModel.snakeCase("maxLineBytes")).isEqualTo("max_line_bytes");
        assertThat(ConfigModel.snakeCase("path")).isEqualTo("path");
        assertThat(ConfigModel.snakeCase("httpURLTimeout")).isEqualTo("http_url_timeout");
        assertThat(ConfigModel.snakeCase("llama2Format")).isEqualTo("llama2_format");
        assertThat(ConfigModel.snakeCase("top_k")).isEqualTo("top_k");
    }

    record FractionalBetween(@Between(min = 0.5, max = 1) double x) {
    }

    record ShortDescription(@Description("short") String x) {
    }

    record ObjectField(Object x) {
    }

    record IntKeys(Map<Integer, String> x) {
    }

    record BadDefault(@Default("not json") int x) {
    }

    record DefaultBreaksOwnRule(@Default("7") @Between(min = 0, max = 5) int x) {
    }

    record OptionalInList(List<Optional<String>> x) {
    }

    record Recursive(Optional<Recursive> child) {
    }

    @EntityCheck(kind = EntityCheck.Kind.AT_LEAST_ONE_OF, fields = {"a", "nope"})
    record UnknownCheckField(Optional<String> a) {
    }

    record Widths(int count, short port, @Between(min = 1, max = 10) int small, long big) {
    }

    record BetweenBeyondItsType(@Between(min = 0, max = 3_000_000_000L) int count) {
    }

    @Test
    void integerFieldsDumpWhatTheirJavaTypeHoldsSoKongRefusesTheRestAtConfigTime() {
        Map<String, Object> fields = fieldsByName(KongSchema.record(Widths.class));

        assertThat(fields.get("count")).isEqualTo(Map.of("type", "integer", "required", true, "between", INT_RANGE));
        assertThat(fields.get("port")).isEqualTo(Map.of("type", "integer", "required", true, "between", List.of(-32768L, 32767L)));
        assertThat(fields.get("small")).isEqualTo(Map.of("type", "integer", "required", true, "between", List.of(1L, 10L)));
        assertThat(fields.get("big")).isEqualTo(Map.of("type", "integer", "required", true));
        assertThatThrownBy(() -> KongSchema.record(BetweenBeyondItsType.class)).hasMessageContaining("BetweenBeyondItsType.count")
                .hasMessageContaining("goes beyond what its Java type holds");
    }

    @Test
    void schemasKongWouldRejectAreProgrammingErrorsWithClearMessages() {
        assertThatThrownBy(() -> KongSchema.record(FractionalBetween.class)).hasMessageContaining("FractionalBetween.x").hasMessageContaining("whole numbers");
        assertThatThrownBy(() -> KongSchema.record(ShortDescription.class)).hasMessageContaining("10 to 500");
        assertThatThrownBy(() -> KongSchema.record(ObjectField.class)).hasMessageContaining("has no Kong schema type");
        assertThatThrownBy(() -> KongSchema.record(IntKeys.class)).hasMessageContaining("map keys must be String");
        assertThatThrownBy(() -> KongSchema.record(BadDefault.class)).hasMessageContaining("is not JSON");
        assertThatThrownBy(() -> KongSchema.record(DefaultBreaksOwnRule.class)).hasMessageContaining("value should be between 0 and 5");
        assertThatThrownBy(() -> KongSchema.record(OptionalInList.class)).hasMessageContaining("Optional is only allowed");
        assertThatThrownBy(() -> KongSchema.record(Recursive.class)).hasMessageContaining("contains itself");
        assertThatThrownBy(() -> KongSchema.record(UnknownCheckField.class)).hasMessageContaining("unknown field 'nope'");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> fieldsByName(Map<String, Object> record) {
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        for (Object entry : (List<Object>) record.get("fields")) {
            ((Map<String, Object>) entry).forEach(out::put);
        }
        return out;
    }
}
