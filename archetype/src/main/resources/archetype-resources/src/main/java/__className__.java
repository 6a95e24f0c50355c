package ${package};

import io.kongjava.pdk.Kong;
import io.kongjava.pdk.KongPlugin;
import io.kongjava.pdk.PdkException;
import java.util.Optional;

/** Greets the client in a response header, naming the host it called. */
@KongPlugin.Info(name = "${pluginName}", version = "0.1.0", priority = 1000)
public final class ${className} implements KongPlugin<${className}.Config> {

    /** @param message the greeting; "hello" when unset */
    public record Config(Optional<String> message) {
    }

    @Override
    public void access(Kong kong, Config config) throws PdkException {
        String host = kong.request().getHeader("host").orElse("unknown");
        kong.response().setHeader("x-greeting", config.message().orElse("hello") + " " + host);
    }
}
