package io.kongjava.gateway;

import io.kongjava.catalogue.KongSchemaRules;
import io.kongjava.catalogue.KongSchemaRules.KongType;
import io.kongjava.emulation.Vaults;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Kong's schema rules for plugin configs ({@link KongSchemaRules}, which the PDK binds configs with too), applied to the
 * schema a plugin server dumped: types, required, defaults, one_of, gt, between, len_min (1 for a string unless the
 * field says otherwise, as Kong), len_max, unknown fields; and vault references resolved where the schema marks a string {@code referenceable}, alone or as the
 * elements of an array or set or the values of a map, or inside the records of an array (Kong's {@code process_auto_fields}). Anywhere else a reference is
 * plain text.
 */
final class SchemaCheck {

    /** Resolves a vault reference found in a referenceable field; {@code path} names the field, as {@code auth.header_value}. */
    @FunctionalInterface
    interface References {
        String resolve(String path, String reference) throws ConfigException;

        /** Leaves references as written (for a plugin Kong will not run). */
        References KEEP = (path, reference) -> reference;
    }

    private SchemaCheck() {
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> apply(List<Object> fields, Map<String, Object> given, String prefix, List<String> errors,
                                     References references) throws ConfigException {
        Map<String, Object> out = new LinkedHashMap<>();
        List<String> known = new ArrayList<>();
        for (Object element : fields) {
            Map<String, Object> wrapper = (Map<String, Object>) element;
            String name = wrapper.keySet().iterator().next();
            Map<String, Object> field = (Map<String, Object>) wrapper.get(name);
            known.add(name);
            String path = prefix + name;
            Object value = given.get(name);
            if (value == null && given.containsKey(name) && Boolean.TRUE.equals(field.get("required"))) {
                // Kong reads a YAML null as ngx.null, which no default replaces (only a missing field gets one)
                errors.add(path + ": " + KongSchemaRules.REQUIRED_FIELD_MISSING);
                out.put(name, null);
                continue;
            }
            if (value == null && !given.containsKey(name) && field.containsKey("default")) {
                value = field.get("default");
            }
            String type = String.valueOf(field.get("type"));
            if (value == null && "record".equals(type) && Boolean.TRUE.equals(field.get("required"))) {
                value = new LinkedHashMap<>();
            }
            if (value == null) {
                if (Boolean.TRUE.equals(field.get("required"))) {
                    errors.add(path + ": " + KongSchemaRules.REQUIRED_FIELD_MISSING);
                }
                out.put(name, null);
                continue;
            }
            out.put(name, check(type, field, value, path, errors, references));
        }
        for (String key : given.keySet()) {
            if (!known.contains(key)) {
                errors.add(prefix + key + ": " + KongSchemaRules.UNKNOWN_FIELD);
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Object check(String type, Map<String, Object> field, Object value, String path, List<String> errors,
                                References references) throws ConfigException {
        KongType kongType = KongType.of(type).orElse(null);
        if (kongType == null) {
            return value; // json and other types: accepted as given
        }
        if (kongType == KongType.STRING && Boolean.TRUE.equals(field.get("referenceable")) && Vaults.isReference(value)) {
            // Kong accepts a reference in a referenceable field without the field's other checks.
            return references.resolve(path, (String) value);
        }
        if (!kongType.accepts(value)) {
            errors.add(path + ": " + kongType.mismatch());
            return value;
        }
        switch (kongType) {
            case STRING -> {
                String text = (String) value;
                int lenMin = field.get("len_min") instanceof Number n ? n.intValue() : KongSchemaRules.STRING_LEN_MIN;
                if (field.get("one_of") instanceof List<?> allowed && !allowed.contains(value)) {
                    errors.add(path + ": " + KongSchemaRules.notOneOf(allowed));
                } else if (text.length() < lenMin) {
                    errors.add(path + ": " + KongSchemaRules.tooShort(lenMin));
                } else if (field.get("len_max") instanceof Number max && text.length() > max.intValue()) {
                    errors.add(path + ": " + KongSchemaRules.tooLong(max.intValue()));
                }
            }
            case INTEGER, NUMBER -> {
                double number = ((Number) value).doubleValue();
                if (field.get("one_of") instanceof List<?> allowed && allowed.stream().noneMatch(
                        option -> option instanceof Number o && o.doubleValue() == number)) {
                    errors.add(path + ": " + KongSchemaRules.notOneOf(allowed));
                } else if (field.get("gt") instanceof Number gt && !(number > gt.doubleValue())) {
                    errors.add(path + ": " + KongSchemaRules.notGreaterThan(gt.doubleValue()));
                } else if (field.get("between") instanceof List<?> range && range.size() == 2
                        && range.get(0) instanceof Number low && range.get(1) instanceof Number high
                        && (number < low.doubleValue() || number > high.doubleValue())) {
                    errors.add(path + ": " + KongSchemaRules.notBetween(low.doubleValue(), high.doubleValue()));
                }
            }
            case RECORD -> {
                Map<String, Object> map = value instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
                return apply((List<Object>) field.getOrDefault("fields", List.of()), map, path + ".", errors, references);
            }
            case ARRAY, SET -> {
                // each element is a field of the elements' type: its checks apply (a string's len_min, a record's fields),
                // and a referenceable string is resolved
                if (field.get("elements") instanceof Map<?, ?> elements && elements.get("type") instanceof String elementType) {
                    List<?> list = (List<?>) value;
                    List<Object> checked = new ArrayList<>(list.size());
                    for (int i = 0; i < list.size(); i++) {
                        checked.add(check(elementType, (Map<String, Object>) elements, list.get(i), path + "[" + i + "]", errors, references));
                    }
                    return checked;
                }
            }
            case MAP -> {
                Map<?, ?> map = (Map<?, ?>) value;
                Map<Object, Object> checked = new LinkedHashMap<>();
                for (Map.Entry<?, ?> entry : map.entrySet()) {
                    String entryPath = path + "." + entry.getKey();
                    if (field.get("keys") instanceof Map<?, ?> keys && keys.get("type") instanceof String keyType) {
                        check(keyType, (Map<String, Object>) keys, entry.getKey(), entryPath, errors, References.KEEP);
                    }
                    Object v = entry.getValue();
                    checked.put(entry.getKey(), field.get("values") instanceof Map<?, ?> values && values.get("type") instanceof String valueType
                            ? check(valueType, (Map<String, Object>) values, v, entryPath, errors, references) : v);
                }
                return checked;
            }
            default -> {
                // boolean: the type is all Kong's dumped schema asks here
            }
        }
        return value;
    }

}
