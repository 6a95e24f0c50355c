package io.kongjava.it;

import io.kongjava.pdk.Kong;
import io.kongjava.pdk.KongPlugin;
import io.kongjava.pdk.filter.FiltersResponse;
import io.kongjava.pdk.filter.ResponseFilter;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * A test plugin, packed into a jar of its own by {@link ResponseFilterFailureHarnessTest}: its response filter
 * passes the body on until a chunk holds the configured marker, and then throws.
 */
@KongPlugin.Info(name = "it-failing-filter", version = "1.0.0", priority = 5000)
public final class FailingFilterPlugin implements KongPlugin<FailingFilterPlugin.Config>, FiltersResponse<FailingFilterPlugin.Config> {

    public record Config(String marker) {
    }

    @Override
    public Optional<ResponseFilter> responseFilter(Kong kong, Config config) {
        return Optional.of(new ResponseFilter() {
            @Override
            public byte[] onChunk(byte[] chunk) {
                if (new String(chunk, StandardCharsets.UTF_8).contains(config.marker())) {
                    throw new IllegalStateException("the filter met its marker");
                }
                return chunk;
            }
        });
    }
}
