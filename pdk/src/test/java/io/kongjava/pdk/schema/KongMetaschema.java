package io.kongjava.pdk.schema;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The checks Kong's plugin metaschema (kong/db/schema/metaschema.lua, MetaSubSchema) makes on a plugin
 * schema, restated for tests: known attributes only, attributes only on the types that allow them,
 * required nested definitions, integer {@code between}, description length, entity checks by name.
 */
final class KongMetaschema {

    private static final Set<String> TYPES = Set.of("array", "set", "string", "number", "boolean", "integer",
            "foreign", "map", "record", "function", "json");

    private static final Set<String> ATTRIBUTES = Set.of("type", "required", "reference", "description", "examples",
            "auto", "unique", "unique_across_ws", "on_delete", "default", "abstract", "generate_admin_api", "immutable",
            "err", "encrypted", "referenceable", "json_schema", "between", "eq", "ne", "gt", "len_eq", "len_min",
            "len_max", "match", "not_match", "match_all", "match_none", "match_any", "starts_with", "one_of",
            "not_one_of", "contains", "is_regex", "timestamp", "uuid", "custom_validator", "mutually_exclusive_subsets",
            "elements", "keys", "values", "fields", "entity_checks", "shorthand_fields");

    private static final Map<String, Set<String>> ATTRIBUTE_TYPES = Map.of(
            "between", Set.of("integer", "number"),
            "len_eq", Set.of("array", "set", "string", "map"),
            "match", Set.of("string"),
            "one_of", Set.of("string", "number", "integer"),
            "contains", Set.of("array", "set"),
            "is_regex", Set.of("string"),
            "uuid", Set.of("string"));

    private static final Set<String> ENTITY_CHECKS = Set.of("at_least_one_of", "conditional_at_least_one_of",
            "only_one_of", "distinct", "conditional", "custom_entity_check", "mutually_required", "mutually_exclusive",
            "mutually_exclusive_sets");

    private KongMetaschema() {
    }

    static List<String> check(Map<String, Object> pluginSchema) {
        List<String> errors = new ArrayList<>();
        if (!(pluginSchema.get("name") instanceof String)) {
            errors.add("name: required string");
        }
        checkFields("", pluginSchema.get("fields"), errors);
        for (String key : pluginSchema.keySet()) {
            if (!Set.of("name", "fields", "entity_checks").contains(key)) {
                errors.add(key + ": unknown top-level key");
            }
        }
        return errors;
    }

    private static void checkFields(String path, Object fields, List<String> errors) {
        if (!(fields instanceof List<?> list)) {
            errors.add(path + "fields: must be an array");
            return;
        }
        for (Object item : list) {
            if (!(item instanceof Map<?, ?> m) || m.size() != 1) {
                errors.add(path + "fields: each entry must be a one-key map");
                continue;
            }
            Map.Entry<?, ?> e = m.entrySet().iterator().next();
            if (!(e.getValue() instanceof Map<?, ?> def)) {
                errors.add(path + e.getKey() + ": must be a table");
                continue;
            }
            checkField(path + e.getKey(), def, errors);
        }
    }

    private static void checkField(String path, Map<?, ?> def, List<String> errors) {
        Object type = def.get("type");
        if (!(type instanceof String t) || !TYPES.contains(t)) {
            errors.add(path + ": bad type " + type);
            return;
        }
        for (Object key : def.keySet()) {
            if (!ATTRIBUTES.contains(key)) {
                errors.add(path + ": unknown attribute " + key);
            }
            Set<String> allowed = ATTRIBUTE_TYPES.get(key);
            if (allowed != null && !allowed.contains(t)) {
                errors.add(path + ": field of type '" + t + "' cannot have attribute '" + key + "'");
            }
        }
        switch (t) {
            case "array", "set" -> require(def, path, errors, "elements");
            case "map" -> require(def, path, errors, "keys", "values");
            case "record" -> require(def, path, errors, "fields");
            default -> {
            }
        }
        if (def.containsKey("between")) {
            if (!(def.get("between") instanceof List<?> b) || b.size() != 2 || !b.stream().allMatch(v -> v instanceof Long)) {
                errors.add(path + ": between must be two integers");
            }
        }
        if (def.containsKey("gt") && !(def.get("gt") instanceof Number)) {
            errors.add(path + ": gt must be a number");
        }
        for (String k : List.of("len_min", "len_max", "len_eq")) {
            if (def.containsKey(k) && !(def.get(k) instanceof Long || def.get(k) instanceof Integer)) {
                errors.add(path + ": " + k + " must be an integer");
            }
        }
        for (String k : List.of("required", "referenceable", "encrypted")) {
            if (def.containsKey(k) && !(def.get(k) instanceof Boolean)) {
                errors.add(path + ": " + k + " must be a boolean");
            }
        }
        if (def.containsKey("description")) {
            if (!(def.get("description") instanceof String d) || d.length() < 10 || d.length() > 500) {
                errors.add(path + ": description must have 10 to 500 characters");
            }
        }
        if (def.containsKey("one_of") && !(def.get("one_of") instanceof List<?>)) {
            errors.add(path + ": one_of must be an array");
        }
        if (def.containsKey("default")) {
            checkDefault(path, t, def.get("default"), errors);
        }
        for (String nested : List.of("elements", "keys", "values")) {
            if (def.containsKey(nested)) {
                if (def.get(nested) instanceof Map<?, ?> n) {
                    checkField(path + "." + nested, n, errors);
                } else {
                    errors.add(path + ": '" + nested + "' must be a table");
                }
            }
        }
        if (def.containsKey("fields")) {
            checkFields(path + ".", def.get("fields"), errors);
        }
        if (def.containsKey("entity_checks")) {
            if (!(def.get("entity_checks") instanceof List<?> checks)) {
                errors.add(path + ": entity_checks must be an array");
            } else {
                for (Object c : checks) {
                    if (!(c instanceof Map<?, ?> cm) || cm.size() != 1 || !ENTITY_CHECKS.contains(cm.keySet().iterator().next())) {
                        errors.add(path + ": bad entity check " + c);
                    }
                }
            }
        }
    }

    private static void checkDefault(String path, String type, Object value, List<String> errors) {
        boolean ok = switch (type) {
            case "string" -> value instanceof String;
            case "integer" -> value instanceof Long;
            case "number" -> value instanceof Number;
            case "boolean" -> value instanceof Boolean;
            case "array", "set" -> value instanceof List<?>;
            case "map", "record" -> value instanceof Map<?, ?>;
            default -> true;
        };
        if (!ok) {
            errors.add(path + ": default does not match type " + type);
        }
    }

    private static void require(Map<?, ?> def, String path, List<String> errors, String... attributes) {
        for (String a : attributes) {
            if (!def.containsKey(a)) {
                errors.add(path + ": field of type '" + def.get("type") + "' must declare '" + a + "'");
            }
        }
    }
}
