package io.kongjava.pdk;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A Kong plugin written in Java.
 *
 * <pre>{@code
 * @KongPlugin.Info(name = "java-hello", version = "1.0.0", priority = 1000)
 * public final class HelloPlugin implements KongPlugin<HelloPlugin.Config> {
 *     public record Config(Optional<String> message) {}
 *
 *     @Override
 *     public void access(Kong kong, Config config) throws PdkException { ... }
 * }
 * }</pre>
 *
 * <p>One object serves every instance of the plugin: Kong starts an instance per plugin entity (and per
 * nginx worker), and each phase call receives that instance's validated configuration. The class carries
 * {@link Info} (Kong's name, {@code VERSION} and {@code PRIORITY}), names its configuration record as the
 * type argument of {@code KongPlugin}, and needs a public no-argument constructor. The annotation
 * processor of {@code kong-java-pdk-processor} checks all three at compile time and writes the
 * {@code META-INF/services/io.kongjava.pdk.KongPlugin} entry through which the plugin server finds it.
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

    /** What Kong knows a plugin by: the fields of a Lua plugin's handler table and of its name. */
    @Documented
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.TYPE)
    @interface Info {

        /**
         * The plugin's name as used in Kong's {@code plugins} setting: lower-case letters, digits,
         * {@code -} and {@code _}, e.g. {@code java-file-log}.
         */
        String name();

        /** Kong's {@code VERSION}, in {@code x.y.z} form. */
        String version();

        /** Kong's {@code PRIORITY}: the execution order among all plugins, higher runs first in each phase. */
        int priority();
    }

    /**
     * Checks rules that a schema cannot express (Kong's entity checks and custom validators). Called once
     * per instance, when Kong starts it; a failure is reported to Kong as the instance's start error.
     */
    default void validate(C config) throws InvalidConfigException {
    }

    default void certificate(Kong kong, C config) throws PdkException {
    }

    /**
     * Runs before routing, so Kong runs it only for a plugin configured globally (on no Route, Service or Consumer);
     * a plugin on a Route or Service starts at {@link #access}.
     */
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
