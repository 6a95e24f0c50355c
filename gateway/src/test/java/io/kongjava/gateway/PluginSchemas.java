package io.kongjava.gateway;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;

/** Plugin schemas as plugin servers dump them ({@code Schema} of the query command's JSON), for tests. */
final class PluginSchemas {

    private PluginSchemas() {
    }

    /** {@code greeter}: two fields with defaults and an {@code auth} record whose header_value is referenceable. */
    static final String GREETER = """
            {"name": "greeter", "fields": [{"config": {"type": "record", "fields": [
              {"greeting": {"type": "string", "default": "hello"}},
              {"times": {"type": "integer", "default": 1, "between": [1, 10]}},
              {"ratio": {"type": "number", "gt": 0}},
              {"note": {"type": "string", "len_min": 0, "len_max": 5}},
              {"auth": {"type": "record", "required": true, "fields": [
                {"header_name": {"type": "string", "default": "x-api-key"}},
                {"header_value": {"type": "string", "referenceable": true}}]}}
            ]}}]}
            """;

    /** {@code java-file-log}: a required field, and a required one with a default. */
    static final String FILE_LOG = """
            {"name": "java-file-log", "fields": [{"config": {"type": "record", "fields": [
              {"path": {"type": "string", "required": true}},
              {"reopen": {"type": "boolean", "required": true, "default": false}}
            ]}}]}
            """;

    /**
     * {@code secrets}: collections of strings, referenceable or not. As for Kong and the PDK's {@code @Referenceable},
     * {@code referenceable} sits on the elements of an array or set and on the values of a map.
     */
    static final String SECRETS = """
            {"name": "secrets", "fields": [{"config": {"type": "record", "fields": [
              {"tokens": {"type": "array", "elements": {"type": "string", "referenceable": true}}},
              {"keys": {"type": "set", "elements": {"type": "string", "referenceable": true}}},
              {"headers": {"type": "map", "keys": {"type": "string"}, "values": {"type": "string", "referenceable": true}}},
              {"labels": {"type": "array", "elements": {"type": "string"}}}
            ]}}]}
            """;

    /** {@code balanced}: an array of records (ai-proxy-advanced's targets[]) whose auth.header_value is referenceable. */
    static final String BALANCED = """
            {"name": "balanced", "fields": [{"config": {"type": "record", "fields": [
              {"targets": {"type": "array", "elements": {"type": "record", "fields": [
                {"name": {"type": "string"}},
                {"auth": {"type": "record", "fields": [{"header_value": {"type": "string", "referenceable": true}}]}}]}}}
            ]}}]}
            """;

    /** A plugin whose config has one string field, {@code level}: where it was configured. */
    static Map<String, Object> withLevel(String name) {
        return parse("""
                {"name": "%s", "fields": [{"config": {"type": "record", "fields": [
                  {"level": {"type": "string"}}
                ]}}]}
                """.formatted(name));
    }

    static Map<String, Object> parse(String json) {
        try {
            return new ObjectMapper().readValue(json, new TypeReference<Map<String, Object>>() { });
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** The schemas of greeter and java-file-log, by plugin name. */
    static Map<String, Map<String, Object>> both() {
        Map<String, Map<String, Object>> schemas = new LinkedHashMap<>();
        schemas.put("greeter", parse(GREETER));
        schemas.put("java-file-log", parse(FILE_LOG));
        return schemas;
    }
}
