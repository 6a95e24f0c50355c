package io.kongjava.emulation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Kong's env vault, as kong/vaults/env and the reference rules of kong/pdk/vault.lua resolve references. */
class VaultsTest {

    private static final Map<String, String> ENVIRONMENT = Map.of(
            "ANTHROPIC_API_KEY", "sk-current",
            "ANTHROPIC_API_KEY_PREVIOUS", "sk-previous",
            "PROD_ANTHROPIC_API_KEY", "sk-prod",
            "CREDS", "{\"api-key\":\"sk-from-json\",\"port\":8}");

    private static String resolve(String reference) {
        return Vaults.resolve(reference, ENVIRONMENT::get);
    }

    @Test
    void aNameIsUpperCasedWithUnderscoresForDashes() {
        assertThat(resolve("{vault://env/anthropic-api-key}")).isEqualTo("sk-current");
        assertThat(resolve("{vault://env/missing}")).isNull();
        assertThat(resolve("{vault://aws/anthropic-api-key}")).as("only the env vault without Kong").isNull();
    }

    @Test
    void aLastPathSegmentIsAKeyOfTheVariablesJsonObject() {
        assertThat(resolve("{vault://env/creds/api-key}")).isEqualTo("sk-from-json");
        assertThat(resolve("{vault://env/creds/port}")).as("not a string").isNull();
        assertThat(resolve("{vault://env/anthropic-api-key/x}")).as("not JSON").isNull();
    }

    @Test
    void version2IsThePreviousValueAndAPrefixComesFromTheReferenceOrKongConf() {
        assertThat(resolve("{vault://env/anthropic-api-key#2}")).isEqualTo("sk-previous");
        assertThat(resolve("{vault://env/anthropic-api-key?prefix=prod-}")).isEqualTo("sk-prod");
        Map<String, String> withConfPrefix = new java.util.HashMap<>(ENVIRONMENT);
        withConfPrefix.put("KONG_VAULT_ENV_PREFIX", "prod_");
        assertThat(Vaults.resolve("{vault://env/anthropic-api-key}", withConfPrefix::get)).isEqualTo("sk-prod");
    }
}
