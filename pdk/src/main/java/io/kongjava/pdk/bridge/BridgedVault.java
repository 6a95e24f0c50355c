package io.kongjava.pdk.bridge;

import static io.kongjava.pdk.bridge.Calls.isTable;
import static io.kongjava.pdk.bridge.Calls.required;

import io.kongjava.catalogue.PdkFunction;
import io.kongjava.pdk.PdkException;
import io.kongjava.pdk.internal.Wire;
import io.kongjava.pdk.vault.Vault;
import java.util.Map;
import java.util.Optional;

/** {@code kong.vault} over a {@link Bridge}: one Kong PDK function per method, named from the catalogue. */
record BridgedVault(Calls calls) implements Vault {

    @Override public Optional<String> get(String reference) throws PdkException { return calls.optionalText(PdkFunction.VAULT_GET, required(reference, "reference")); }
    @Override public boolean isReference(String value) throws PdkException { return calls.bool(PdkFunction.VAULT_IS_REFERENCE, required(value, "value")); }

    @Override
    public Optional<Map<String, Object>> parseReference(String reference) throws PdkException {
        Object v = calls.call(PdkFunction.VAULT_PARSE_REFERENCE, required(reference, "reference"));
        if (v == null || !isTable(v)) {
            return Optional.empty();
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) Wire.freeze(Wire.map(v));
        return Optional.ofNullable(m);
    }

    @Override
    public Map<String, Object> update(Map<String, Object> options) throws PdkException {
        return calls.map(PdkFunction.VAULT_UPDATE, required(options, "options"));
    }
}
