package io.kongjava.pdk.filter;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** HTTP header fields in arrival order, names compared without case and kept lower case. Not thread-safe. */
public final class HttpFields {

    private final LinkedHashMap<String, List<String>> fields = new LinkedHashMap<>();

    public Optional<String> first(String name) {
        List<String> values = fields.get(key(name));
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.getFirst());
    }

    public List<String> all(String name) {
        return List.copyOf(fields.getOrDefault(key(name), List.of()));
    }

    public HttpFields set(String name, String value) {
        List<String> values = new ArrayList<>(1);
        values.add(value);
        fields.put(key(name), values);
        return this;
    }

    public HttpFields add(String name, String value) {
        fields.computeIfAbsent(key(name), k -> new ArrayList<>(1)).add(value);
        return this;
    }

    public HttpFields remove(String name) {
        fields.remove(key(name));
        return this;
    }

    public boolean contains(String name) {
        return fields.containsKey(key(name));
    }

    /** A copy: lower-case name to its values. */
    public Map<String, List<String>> toMap() {
        Map<String, List<String>> copy = new LinkedHashMap<>();
        fields.forEach((name, values) -> copy.put(name, List.copyOf(values)));
        return copy;
    }

    @Override
    public String toString() {
        return fields.toString();
    }

    private static String key(String name) {
        return name.toLowerCase(Locale.ROOT);
    }
}
