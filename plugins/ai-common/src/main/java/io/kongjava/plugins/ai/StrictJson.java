package io.kongjava.plugins.ai;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;

/**
 * Reads a request body the way the most literal upstream parser could: a key given twice (at any depth) or
 * anything after the top-level value is refused, so the body a plugin checked (the model pin, the prompts) is
 * the body the provider reads. {@code {"model":"<other>","model":"<pinned>"}} would otherwise reach a parser
 * that keeps the first key with the other model.
 */
public final class StrictJson {

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private StrictJson() {
    }

    /** A key given twice in the same object. */
    public static final class DuplicateKeyException extends IOException {
        private final String key;

        DuplicateKeyException(String key, Throwable cause) {
            super("duplicate key: " + key, cause);
            this.key = key;
        }

        /** The key, or {@code ?} when Jackson's message did not name it. */
        public String key() {
            return key;
        }
    }

    /**
     * Parses {@code body} as one JSON value.
     *
     * @throws DuplicateKeyException when an object repeats a key
     * @throws IOException           when the body is not one JSON value
     */
    public static JsonNode read(byte[] body) throws IOException {
        try {
            return MAPPER.readTree(body);
        } catch (StreamReadException e) {
            String message = String.valueOf(e.getOriginalMessage());
            if (message.startsWith("Duplicate field")) {
                throw new DuplicateKeyException(quotedName(message), e);
            }
            throw e;
        }
    }

    private static String quotedName(String message) {
        int open = message.indexOf('\'');
        int close = message.indexOf('\'', open + 1);
        return open >= 0 && close > open ? message.substring(open + 1, close) : "?";
    }
}
