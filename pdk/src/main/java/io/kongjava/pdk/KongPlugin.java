package io.kongjava.pdk;

/**
 * A Kong plugin written in Java.
 *
 * <p>One object serves every instance of the plugin: Kong starts an instance per plugin entity (and per
 * nginx worker), and each phase call receives that instance's validated configuration. A plugin is found
 * by {@link java.util.ServiceLoader} (list the class in
 * {@code META-INF/services/io.kongjava.pdk.KongPlugin}) and needs a public no-argument constructor.
 *
 * <p>The phases Kong runs for the plugin are the phase methods the class overrides; Kong lets external
 * plugins have only these six. Each phase method runs on a thread of its own, which may block, and calls
 * the PDK through {@code kong} synchronously: every call is one round trip to Kong.
 *
 * <p>The configuration is a record. Kong's schema for the plugin (what Kong validates an Admin API or
 * decK config against) is derived from that record: see {@link io.kongjava.pdk.schema}.
 *
 * @param <C> the configuration record
 */
public interface KongPlugin<C extends Record> {

    /** The plugin's name as used in Kong's {@code plugins} setting; lower case, e.g. {@code java-file-log}. */
    String name();

    /** The plugin's version in Kong's {@code x.y.z} form. */
    String version();

    /** Kong's execution order among all plugins: higher runs first in each phase. */
    int priority();

    /** The configuration record type. */
    Class<C> configType();

    /**
     * Checks rules that a schema cannot express (Kong's entity checks and custom validators). Called once
     * per instance, when Kong starts it; a failure is reported to Kong as the instance's start error.
     */
    default void validate(C config) throws InvalidConfigException {
    }

    default void certificate(Kong kong, C config) throws PdkException {
    }

    default void rewrite(Kong kong, C config) throws PdkException {
    }

    default void access(Kong kong, C config) throws PdkException {
    }

    /**
     * Kong runs this after reading the whole upstream response. Declaring it makes Kong buffer every
     * response on routes where the plugin is configured, so streamed responses (SSE) stop streaming.
     */
    default void response(Kong kong, C config) throws PdkException {
    }

    default void preread(Kong kong, C config) throws PdkException {
    }

    /**
     * Kong runs external log handlers after the response was sent, in a timer, on a snapshot of the
     * request: only the calls answered from that snapshot work here (see {@link Phase#LOG}).
     */
    default void log(Kong kong, C config) throws PdkException {
    }

    /**
     * Called once, in the background, when the plugin server starts, before or while Kong sends its first
     * requests: a plugin may run its own PDK-free code paths here (parsing, rendering) so that those
     * requests do not run them cold. It must have no effect outside the plugin: no files, no network.
     */
    default void warmUp() {
    }

    /** Called once when the plugin server stops. */
    default void shutdown() {
    }
}
