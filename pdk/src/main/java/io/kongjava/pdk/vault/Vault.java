package io.kongjava.pdk.vault;

import io.kongjava.pdk.PdkException;
import java.util.Map;
import java.util.Optional;

/** {@code kong.vault}: secret references such as {@code {vault://env/my-secret}}. Phases: all. */
public interface Vault {

    /** {@code kong.vault.get(reference)}: the secret; empty when it cannot be resolved (may do network I/O). */
    Optional<String> get(String reference) throws PdkException;

    /** {@code kong.vault.is_reference(value)}. */
    boolean isReference(String value) throws PdkException;

    /**
     * {@code kong.vault.parse_reference(reference)}: {@code name}, {@code resource}, {@code key},
     * {@code version}, {@code config}...; empty when the text is not a valid reference.
     */
    Optional<Map<String, Object>> parseReference(String reference) throws PdkException;

    /**
     * {@code kong.vault.update(options)}: resolves every referenceable field of a table that has a
     * {@code $refs} entry and returns the updated table.
     */
    Map<String, Object> update(Map<String, Object> options) throws PdkException;
}
