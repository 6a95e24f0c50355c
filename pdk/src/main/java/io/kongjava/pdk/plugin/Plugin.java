package io.kongjava.pdk.plugin;

import io.kongjava.pdk.PdkException;

/** {@code kong.plugin}. Phases: rewrite, access, response, log. */
public interface Plugin {

    /** {@code kong.plugin.get_id()}: the UUID of the plugin entity (configuration) running. */
    String getId() throws PdkException;
}
