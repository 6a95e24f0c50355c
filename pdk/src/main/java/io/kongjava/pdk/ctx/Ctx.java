package io.kongjava.pdk.ctx;

import io.kongjava.pdk.PdkException;
import java.util.Optional;

/**
 * {@code kong.ctx}: per-request context. Only {@code kong.ctx.shared} is reachable from an external plugin.
 */
public interface Ctx {

    /** {@code kong.ctx.shared}. */
    Shared shared();

    /**
     * {@code kong.ctx.shared}: a table shared by all plugins (Lua ones too) during one request.
     *
     * <p>Phases: every request phase; in the log timer it is a copy taken when the log phase began.
     * Values travel as MessagePack: {@code null}, booleans, numbers, strings, byte arrays, lists and maps
     * (as read back: {@link Long}/{@link Double}, {@link String}, {@code List}, {@code Map}; an empty map
     * reads back as an empty list). A value a Lua plugin stored that MessagePack cannot carry (a function)
     * makes Kong fail the call.
     */
    interface Shared {

        /** {@code kong.ctx.shared.get(key)}: the value, empty when unset. */
        Optional<Object> get(String key) throws PdkException;

        /** The value as text (str or bin), empty when unset or not text. */
        default Optional<String> getString(String key) throws PdkException {
            return get(key).map(io.kongjava.pdk.internal.Wire::text);
        }

        /** {@code kong.ctx.shared.set(key, value)}; {@code null} removes the key. */
        void set(String key, Object value) throws PdkException;
    }
}
