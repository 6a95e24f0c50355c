package io.kongjava.pdk.log;

import io.kongjava.pdk.PdkException;

/**
 * {@code kong.log}: Kong's error log (each line prefixed by Kong with the plugin's name) and the log
 * record that logging plugins serialize.
 *
 * <p>Phases: the log levels in every phase; {@code set_serialize_value} in rewrite, access and response
 * (in the log timer it affects nobody: every logging plugin serialized already); {@code serialize} in log
 * only. Messages are sent preformatted (Kong would {@code tostring} and concatenate arguments).
 */
public interface Log {

    /** {@code kong.log.emerg}. */
    void emerg(String message) throws PdkException;

    /** {@code kong.log.alert}. */
    void alert(String message) throws PdkException;

    /** {@code kong.log.crit}. */
    void crit(String message) throws PdkException;

    /** {@code kong.log.err}. */
    void err(String message) throws PdkException;

    /** {@code kong.log.warn}. */
    void warn(String message) throws PdkException;

    /** {@code kong.log.notice}. */
    void notice(String message) throws PdkException;

    /** {@code kong.log.info} (invisible at Kong's default {@code log_level = notice}). */
    void info(String message) throws PdkException;

    /** {@code kong.log.debug}. */
    void debug(String message) throws PdkException;

    /** {@code kong.log.deprecation}: a deprecation warning, shown once per message. */
    void deprecation(String message) throws PdkException;

    /**
     * {@code kong.log.set_serialize_value(key, value)}: adds or overrides a field of the log record every
     * logging plugin serializes for this request; a dotted key ({@code ai.my_plugin.x}) addresses a
     * nested field. {@code value} travels as MessagePack (numbers, strings, booleans, lists, maps).
     */
    default void setSerializeValue(String key, Object value) throws PdkException {
        setSerializeValue(key, value, SerializeMode.SET);
    }

    /** {@code kong.log.set_serialize_value(key, value, {mode = mode})}. */
    void setSerializeValue(String key, Object value, SerializeMode mode) throws PdkException;

    /**
     * {@code kong.log.serialize()}: the request's log record, as the JSON text Kong sends (log phase
     * only). It carries request, response, latencies, route, service, consumer, client_ip, started_at,
     * plus values set with {@link #setSerializeValue}.
     */
    String serialize() throws PdkException;
}
