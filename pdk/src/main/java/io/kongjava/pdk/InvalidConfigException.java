package io.kongjava.pdk;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A plugin configuration that Kong's rules reject. Errors are keyed by field path in Kong's style
 * ({@code model.options.anthropic_version}, or {@code @entity} for record-level checks) with Kong's wording
 * ({@code required field missing}, {@code expected one of: a, b}).
 */
public class InvalidConfigException extends Exception {

    private final Map<String, String> errors;

    public InvalidConfigException(Map<String, String> errors) {
        super(describe(errors));
        this.errors = Collections.unmodifiableMap(new LinkedHashMap<>(errors));
    }

    public InvalidConfigException(String field, String message) {
        this(Map.of(field, message));
    }

    /** Field path to message, in the order found. */
    public Map<String, String> errors() {
        return errors;
    }

    private static String describe(Map<String, String> errors) {
        return "invalid configuration: " + errors.entrySet().stream()
                .map(e -> e.getKey() + ": " + e.getValue())
                .collect(Collectors.joining("; "));
    }
}
