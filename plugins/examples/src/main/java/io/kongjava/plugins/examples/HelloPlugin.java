package io.kongjava.plugins.examples;

import io.kongjava.pdk.Kong;
import io.kongjava.pdk.KongPlugin;
import io.kongjava.pdk.PdkException;
import java.util.Optional;

/**
 * The Java twin of Kong's js-hello example: greets the client in a response header, naming the host it
 * called, and tells which process served it.
 */
@KongPlugin.Info(name = "java-hello", version = "0.1.0", priority = 0)
public final class HelloPlugin implements KongPlugin<HelloPlugin.Config> {

    /** @param message the greeting; "hello" when unset */
    public record Config(Optional<String> message) {
    }

    @Override
    public void access(Kong kong, Config config) throws PdkException {
        Optional<String> host = kong.request().getHeader("host");
        if (host.isEmpty()) {
            kong.log().err("unable to get header for request");
            return;
        }
        String message = config.message().orElse("hello");
        kong.response().setHeader("x-hello-from-java", "Java says " + message + " to " + host.get());
        kong.response().setHeader("x-java-pid", String.valueOf(ProcessHandle.current().pid()));
    }
}
