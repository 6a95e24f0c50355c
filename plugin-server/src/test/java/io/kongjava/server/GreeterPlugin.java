package io.kongjava.server;

import io.kongjava.pdk.InvalidConfigException;
import io.kongjava.pdk.Kong;
import io.kongjava.pdk.KongPlugin;
import io.kongjava.pdk.PdkException;
import io.kongjava.pdk.schema.Default;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;

/** A small plugin exercising what the server must carry: typed steps, exit, failures, the log phase. */
@KongPlugin.Info(name = "test-greeter", version = "1.2.3", priority = 1000)
public final class GreeterPlugin implements KongPlugin<GreeterPlugin.Config> {

    public record Config(@Default("hello") String greeting, @Default("0") int extraCalls,
                         Optional<String> denyHeader, @Default("false") boolean fail, @Default("false") boolean tellPluginId,
                         @Default("0") int sleepMs) {
    }

    /** What the plugin observed, for assertions. */
    static final LinkedBlockingQueue<String> OBSERVED = new LinkedBlockingQueue<>();

    @Override
    public void validate(Config config) throws InvalidConfigException {
        if (config.greeting().isBlank()) {
            throw new InvalidConfigException("greeting", "must not be blank");
        }
    }

    @Override
    public void access(Kong kong, Config config) throws PdkException {
        if (config.sleepMs() > 0) {
            try {
                Thread.sleep(config.sleepMs()); // a plugin that holds Kong's call
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (config.fail()) {
            throw new IllegalStateException("plugin bug on purpose");
        }
        if (config.tellPluginId()) {
            kong.response().setHeader("x-plugin-id", kong.plugin().getId());
        }
        if (config.denyHeader().isPresent() && kong.request().getHeader(config.denyHeader().get()).isPresent()) {
            kong.response().exit(403, "denied", Map.of("x-denied", List.of("yes")));
            try {
                kong.request().getMethod();
                OBSERVED.add("call after exit succeeded");
            } catch (PdkException e) {
                OBSERVED.add("after exit: " + e.getMessage());
            }
            return;
        }
        Map<String, List<String>> headers = kong.request().getHeaders();
        String name = headers.getOrDefault("x-name", List.of("world")).getFirst();
        for (int i = 0; i < config.extraCalls(); i++) {
            kong.request().getHeader("x-name");
        }
        kong.response().setHeader("x-greeting", config.greeting() + " " + name);
    }

    @Override
    public void log(Kong kong, Config config) throws PdkException {
        if (config.fail()) {
            throw new IllegalStateException("log bug on purpose");
        }
        OBSERVED.add("log: " + kong.log().serialize());
    }
}
