package io.kongjava.emulation;

import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * Kong's env vault: {@code {vault://env/anthropic-api-key}} reads the environment variable
 * ANTHROPIC_API_KEY (name upper-cased, {@code -} turned into {@code _}). Other vaults are not available
 * without Kong.
 */
public final class Vaults {

    private Vaults() {
    }

    public static boolean isReference(Object value) {
        return value instanceof String s && s.startsWith("{vault://") && s.endsWith("}");
    }

    /** The secret a reference names, or {@code null} when it cannot be resolved. */
    public static String resolve(String reference) {
        return resolve(reference, System::getenv);
    }

    /** As {@link #resolve(String)}, reading variables through {@code environment} (which may return null). */
    public static String resolve(String reference, UnaryOperator<String> environment) {
        if (!isReference(reference)) {
            return null;
        }
        String inner = reference.substring("{vault://".length(), reference.length() - 1);
        if (!inner.startsWith("env/")) {
            return null;
        }
        String name = inner.substring("env/".length());
        int slash = name.indexOf('/');
        if (slash >= 0) {
            name = name.substring(0, slash);
        }
        return environment.apply(name.toUpperCase(Locale.ROOT).replace('-', '_'));
    }
}
