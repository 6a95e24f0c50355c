package io.kongjava.pdk.schema;

import io.kongjava.pdk.InvalidConfigException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Binds the configuration Kong sends in {@code plugin.StartInstance} (its JSON text, decoded to
 * {@link Map}/{@link java.util.List}/{@link String}/{@link Long}/{@link Double}/{@link Boolean}/null) to
 * the plugin's config record.
 *
 * <p>Kong has already validated the configuration against the schema derived by {@link KongSchema}; the
 * binder checks the same rules again (required fields, types, {@code one_of}, {@code between}, lengths,
 * patterns, entity checks) because the config may come from elsewhere (tests, an older schema) and a
 * plugin must never see a record that breaks its declared rules. It also:
 * <ul>
 *   <li>ignores keys it does not know, including Kong's own ({@code route_id}, {@code service_id},
 *       {@code consumer_id}, {@code plugin_instance_name}, {@code __plugin_id}, {@code __ws_id},
 *       {@code __key__}, {@code __seq__}, {@code $refs});</li>
 *   <li>treats {@code null} as absent and applies defaults;</li>
 *   <li>accepts integers sent as whole doubles, and {@code []} for an empty map or record (Kong encodes
 *       empty Lua tables as arrays).</li>
 * </ul>
 * Absent optional values become {@code Optional.empty()}, {@code null} (boxed types) or empty collections.
 */
public final class ConfigBinder {

    private ConfigBinder() {
    }

    /**
     * @throws InvalidConfigException with every problem found, keyed by dotted Kong field path
     *         ({@code model.options.max_tokens}; array elements are numbered from 1; record-level checks
     *         use {@code @entity})
     * @throws IllegalArgumentException if {@code recordType} cannot be a Kong config (a programming error)
     */
    public static <C extends Record> C bind(Class<C> recordType, Map<String, ?> kongConfig) throws InvalidConfigException {
        ConfigModel.RecordShape shape = ConfigModel.record(recordType);
        Map<String, String> errors = new LinkedHashMap<>();
        Object bound = Binding.bindRecord(shape, kongConfig == null ? Map.of() : kongConfig, "", errors);
        if (!errors.isEmpty() || bound == Binding.INVALID) {
            if (errors.isEmpty()) {
                errors.put("@entity", "invalid configuration");
            }
            throw new InvalidConfigException(errors);
        }
        return recordType.cast(bound);
    }

    /**
     * The configuration as Kong would send it for {@code config}: Kong field names, enums by their Kong
     * names, absent values as {@code null} (a key with a null value), integers as {@link Long}, numbers as
     * {@link Double}. {@code bind(type, toKong(config))} gives back an equal record. Meant for tests and
     * tools that start from a record (e.g. a test kit's StartInstance).
     */
    public static Map<String, Object> toKong(Record config) {
        ConfigModel.RecordShape shape = ConfigModel.record(config.getClass());
        @SuppressWarnings("unchecked")
        Map<String, Object> map = (Map<String, Object>) Binding.unbind(shape, config);
        return map;
    }
}
