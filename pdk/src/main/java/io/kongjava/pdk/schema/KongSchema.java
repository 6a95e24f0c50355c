package io.kongjava.pdk.schema;

import io.kongjava.pdk.schema.ConfigModel.CollectionShape;
import io.kongjava.pdk.schema.ConfigModel.Constraints;
import io.kongjava.pdk.schema.ConfigModel.EnumShape;
import io.kongjava.pdk.schema.ConfigModel.Field;
import io.kongjava.pdk.schema.ConfigModel.MapShape;
import io.kongjava.pdk.schema.ConfigModel.RecordShape;
import io.kongjava.pdk.schema.ConfigModel.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Derives Kong's plugin schema from a plugin's config record: the {@code Schema} object of the dump,
 * which Kong validates with its plugin metaschema and then uses verbatim to validate Admin API and
 * declarative configurations.
 *
 * <p>Mapping: {@code String} → string; {@code int/long/short/byte} (and boxes, {@code BigInteger}) →
 * integer; {@code double/float} (and boxes, {@code BigDecimal}) → number; {@code boolean} → boolean;
 * enums → string with {@code one_of} (constant names in lower case, or {@link KongName});
 * {@code List/Collection} → array; {@code Set} → set; {@code Map<String, V>} → map; records → record.
 * Field names are the component names in snake_case unless {@link KongName} says otherwise.
 *
 * <p>Required: primitives, {@code String}, enums and records are required ({@code required = true}, still
 * with their {@link Default} if any: Kong fills defaults before checking); {@code Optional*}, boxed types,
 * collections and maps are optional unless annotated {@link Required} (absent collections bind empty).
 */
public final class KongSchema {

    private KongSchema() {
    }

    /** {@code {"name": NAME, "fields": [{"config": {"type": "record", "fields": [...]}}]}}. */
    public static Map<String, Object> derive(String pluginName, Class<? extends Record> configType) {
        Map<String, Object> schema = new LinkedHashMap<>();
        schema.put("name", pluginName);
        schema.put("fields", List.of(Map.of("config", record(configType))));
        return Collections.unmodifiableMap(schema);
    }

    /** The Kong field definition of a record type: {@code {"type": "record", "fields": [...]}}. */
    public static Map<String, Object> record(Class<? extends Record> type) {
        return shape(ConfigModel.record(type), null);
    }

    private static Map<String, Object> field(Field field) {
        Map<String, Object> def = new LinkedHashMap<>();
        def.put("type", field.shape().kongType().kongName());
        if (field.required()) {
            def.put("required", true);
        }
        if (field.hasDefault()) {
            def.put("default", field.defaultValue());
        }
        Constraints c = field.constraints();
        boolean aggregate = field.shape() instanceof CollectionShape || field.shape() instanceof MapShape;
        if (!aggregate) {
            valueConstraints(def, field.shape(), c);
        }
        if (c.lenMin() != null) {
            def.put("len_min", c.lenMin());
        }
        if (c.lenMax() != null) {
            def.put("len_max", c.lenMax());
        }
        if (c.encrypted()) {
            def.put("encrypted", true);
        }
        if (c.description() != null) {
            def.put("description", c.description());
        }
        def.putAll(shape(field.shape(), c));
        def.remove("type");
        Map<String, Object> ordered = new LinkedHashMap<>();
        ordered.put("type", field.shape().kongType().kongName());
        ordered.putAll(def);
        return Collections.unmodifiableMap(ordered);
    }

    /** one_of/between/gt/match/referenceable, which Kong puts on the value itself (elements for arrays). */
    private static void valueConstraints(Map<String, Object> def, Shape shape, Constraints c) {
        if (shape instanceof EnumShape e) {
            def.put("one_of", List.copyOf(e.constantsByKongName().keySet()));
        } else if (c.oneOf() != null) {
            def.put("one_of", c.oneOf());
        }
        if (c.gt() != null) {
            def.put("gt", ConfigModel.integralOrDouble(c.gt()));
        }
        if (c.between() != null) {
            def.put("between", List.of(ConfigModel.integralOrDouble(c.between()[0]), ConfigModel.integralOrDouble(c.between()[1])));
        }
        if (c.match() != null) {
            def.put("match", c.match());
            if (c.matchError() != null) {
                def.put("err", c.matchError());
            }
        }
        if (c.referenceable()) {
            def.put("referenceable", true);
        }
    }

    /** The type-specific part: elements, keys/values, fields (+ entity_checks). */
    private static Map<String, Object> shape(Shape shape, Constraints fieldConstraints) {
        Map<String, Object> def = new LinkedHashMap<>();
        def.put("type", shape.kongType().kongName());
        switch (shape) {
            case CollectionShape c -> def.put("elements", element(c.elements(), fieldConstraints));
            case MapShape m -> {
                def.put("keys", Map.of("type", "string"));
                def.put("values", element(m.values(), fieldConstraints));
            }
            case RecordShape r -> {
                List<Object> fields = new ArrayList<>();
                for (Field f : r.fields()) {
                    fields.add(Map.of(f.kongName(), field(f)));
                }
                def.put("fields", Collections.unmodifiableList(fields));
                if (!r.checks().isEmpty()) {
                    List<Object> checks = new ArrayList<>();
                    for (EntityCheck check : r.checks()) {
                        checks.add(Map.of(check.kind().kongName(), List.of(check.fields())));
                    }
                    def.put("entity_checks", Collections.unmodifiableList(checks));
                }
            }
            default -> {
            }
        }
        return def;
    }

    private static Map<String, Object> element(Shape shape, Constraints fieldConstraints) {
        Map<String, Object> def = new LinkedHashMap<>();
        def.put("type", shape.kongType().kongName());
        // Array elements and map values are always present: Kong rejects nulls inside them.
        if (fieldConstraints != null) {
            valueConstraints(def, shape, fieldConstraints);
        } else if (shape instanceof EnumShape) {
            valueConstraints(def, shape, new Constraints(null, null, null, null, null, null, null, null, false, false, null));
        }
        Map<String, Object> rest = shape(shape, null);
        rest.remove("type");
        def.putAll(rest);
        return Collections.unmodifiableMap(def);
    }
}
