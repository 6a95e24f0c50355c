package io.kongjava.gateway;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Kong's schema rules for plugin configs, applied to the schema a plugin server dumped: types, required, defaults, one_of, unknown fields. */
final class SchemaCheck {

    private SchemaCheck() {
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> apply(List<Object> fields, Map<String, Object> given, String prefix, List<String> errors) {
        Map<String, Object> out = new LinkedHashMap<>();
        List<String> known = new ArrayList<>();
        for (Object element : fields) {
            Map<String, Object> wrapper = (Map<String, Object>) element;
            String name = wrapper.keySet().iterator().next();
            Map<String, Object> field = (Map<String, Object>) wrapper.get(name);
            known.add(name);
            String path = prefix + name;
            Object value = given.get(name);
            if (value == null && field.containsKey("default")) {
                value = field.get("default");
            }
            String type = String.valueOf(field.get("type"));
            if (value == null && "record".equals(type) && Boolean.TRUE.equals(field.get("required"))) {
                value = new LinkedHashMap<>();
            }
            if (value == null) {
                if (Boolean.TRUE.equals(field.get("required"))) {
                    errors.add(path + ": required field missing");
                }
                out.put(name, null);
                continue;
            }
            out.put(name, check(type, field, value, path, errors));
        }
        for (String key : given.keySet()) {
            if (!known.contains(key)) {
                errors.add(prefix + key + ": unknown field");
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Object check(String type, Map<String, Object> field, Object value, String path, List<String> errors) {
        switch (type) {
            case "string" -> {
                if (!(value instanceof String)) {
                    errors.add(path + ": expected a string");
                } else if (field.get("one_of") instanceof List<?> allowed && !allowed.contains(value)) {
                    errors.add(path + ": expected one of: " + String.join(", ", allowed.stream().map(String::valueOf).toList()));
                }
            }
            case "integer" -> {
                if (!(value instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
                    errors.add(path + ": expected an integer");
                }
            }
            case "number" -> {
                if (!(value instanceof Number)) {
                    errors.add(path + ": expected a number");
                }
            }
            case "boolean" -> {
                if (!(value instanceof Boolean)) {
                    errors.add(path + ": expected a boolean");
                }
            }
            case "record" -> {
                if (!(value instanceof Map<?, ?> map)) {
                    errors.add(path + ": expected a record");
                } else {
                    return apply((List<Object>) field.getOrDefault("fields", List.of()), (Map<String, Object>) map, path + ".", errors);
                }
            }
            case "array", "set" -> {
                if (!(value instanceof List<?>)) {
                    errors.add(path + ": expected an array");
                }
            }
            case "map" -> {
                if (!(value instanceof Map<?, ?>) && !(value instanceof List<?> l && l.isEmpty())) {
                    errors.add(path + ": expected a map");
                }
            }
            default -> {
                // json and other types: accepted as given
            }
        }
        return value;
    }
}
