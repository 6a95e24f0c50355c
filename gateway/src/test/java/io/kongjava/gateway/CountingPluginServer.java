package io.kongjava.gateway;

import io.kongjava.kongclient.EventOutcome;
import io.kongjava.kongclient.PdkHandler;
import io.kongjava.kongclient.PluginServerClient;
import io.kongjava.protocol.KongCall;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** A plugin server with one plugin, {@code name}, whose every event returns at once; it counts the events it ran. */
final class CountingPluginServer implements PluginServerClient {

    final AtomicInteger events = new AtomicInteger();
    private final String name;

    CountingPluginServer(String name) {
        this.name = name;
    }

    @Override
    public Object call(KongCall call) {
        return Map.of("Name", name, "Id", 3L, "Config", Map.of());
    }

    @Override
    public EventOutcome handleEvent(long instanceId, String eventName, PdkHandler kong) {
        events.incrementAndGet();
        return new EventOutcome.Returned(0);
    }

    @Override
    public void close() {
    }
}
