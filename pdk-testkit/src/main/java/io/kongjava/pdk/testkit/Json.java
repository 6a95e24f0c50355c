package io.kongjava.pdk.testkit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kongjava.pdk.InvalidConfigException;
import java.util.Map;

final class Json {

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(DeserializationFeature.USE_LONG_FOR_INTS);

    private Json() {
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> parseObject(String json) throws InvalidConfigException {
        try {
            Object value = MAPPER.readValue(json, Object.class);
            if (value instanceof Map<?, ?> map) {
                return (Map<String, Object>) map;
            }
        } catch (JsonProcessingException e) {
            throw new InvalidConfigException("@config", "not valid JSON: " + e.getOriginalMessage());
        }
        throw new InvalidConfigException("@config", "expected a JSON object");
    }
}
