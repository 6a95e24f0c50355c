package io.kongjava.emulation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * Kong's env vault (kong/vaults/env, references parsed as kong/pdk/vault.lua does): {@code {vault://env/anthropic-api-key}}
 * reads the environment variable ANTHROPIC_API_KEY (upper-cased, {@code -} turned into {@code _}), after the vault's
 * prefix ({@code ?prefix=...} in the reference, else kong.conf's {@code vault_env_prefix}, seen as
 * KONG_VAULT_ENV_PREFIX); {@code {vault://env/creds/api-key}} reads CREDS as a JSON object and answers its
 * {@code api-key} member; version {@code #2} reads NAME_PREVIOUS. Other vaults are not available without Kong.
 */
public final class Vaults {

    private static final ObjectMapper JSON = new ObjectMapper();

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
        EnvReference env = envReference(reference, environment);
        if (env == null) {
            return null;
        }
        String value = environment.apply(env.variable());
        if (value == null || env.key() == null) {
            return value;
        }
        try {
            JsonNode member = JSON.readTree(value).get(env.key());
            return member != null && member.isTextual() ? member.asText() : null;
        } catch (IOException | RuntimeException notJson) {
            return null;
        }
    }

    /** The environment variable an env vault reference reads, or {@code null} for another reference. */
    public static String variable(String reference, UnaryOperator<String> environment) {
        EnvReference env = envReference(reference, environment);
        return env == null ? null : env.variable();
    }

    /** @param key the JSON member of the variable's value the reference names, or null for the whole value */
    private record EnvReference(String variable, String key) {
    }

    private static EnvReference envReference(String reference, UnaryOperator<String> environment) {
        if (!isReference(reference)) {
            return null;
        }
        String inner = reference.substring("{vault://".length(), reference.length() - 1);
        if (!inner.startsWith("env/")) {
            return null;
        }
        String rest = inner.substring("env/".length());
        Integer version = null;
        int hash = rest.indexOf('#');
        if (hash >= 0) {
            try {
                version = Integer.valueOf(rest.substring(hash + 1));
            } catch (NumberFormatException e) {
                return null;
            }
            rest = rest.substring(0, hash);
        }
        String prefix = environment.apply("KONG_VAULT_ENV_PREFIX");
        int question = rest.indexOf('?');
        if (question >= 0) {
            for (String pair : rest.substring(question + 1).split("&")) {
                if (pair.startsWith("prefix=")) {
                    prefix = unescape(pair.substring("prefix=".length()));
                }
            }
            rest = rest.substring(0, question);
        }
        List<String> parts = Arrays.stream(rest.split("/")).filter(p -> !p.isEmpty()).toList();
        if (parts.isEmpty()) {
            return null;
        }
        String resource;
        String key = null;
        if (parts.size() == 1 || rest.endsWith("/")) {
            resource = unescape(String.join("/", parts));
        } else {
            resource = unescape(String.join("/", parts.subList(0, parts.size() - 1)));
            key = unescape(parts.getLast());
        }
        String name = ((prefix == null ? "" : prefix) + resource).toUpperCase(Locale.ROOT).replace('-', '_');
        if (version != null && version == 2) {
            name += "_PREVIOUS";
        }
        return new EnvReference(name, key);
    }

    private static String unescape(String text) {
        return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
}
