package io.kongjava.bench.plugin;

import io.kongjava.pdk.Kong;
import io.kongjava.pdk.KongPlugin;
import io.kongjava.pdk.PdkException;

/**
 * The benchmark's plugin: its access phase makes exactly {@code calls} PDK calls
 * ({@code kong.request.get_header}), nothing else. Its JS twin is {@code bench/js/bench-calls.js}.
 */
@KongPlugin.Info(name = "bench-calls", version = "0.1.0", priority = 0)
public final class PdkCallsPlugin implements KongPlugin<PdkCallsPlugin.Config> {

    public record Config(int calls) {
    }

    @Override
    public void access(Kong kong, Config config) throws PdkException {
        for (int i = 0; i < config.calls(); i++) {
            kong.request().getHeader("x-bench");
        }
    }
}
