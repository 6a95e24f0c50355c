package io.kongjava.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the server keeps of Kong's instances when Kong keeps starting them. */
class RegistryTest {

    final PluginCatalog.LoadedPlugin greeter = PluginCatalog.of(List.of(new GreeterPlugin())).find("test-greeter").orElseThrow();

    PluginInstance instance(Registry registry) {
        return new PluginInstance(registry.nextInstanceId(), greeter, null, Map.of());
    }

    @Test
    void pastTheBoundTheLeastRecentlyUsedIdleInstanceIsForgottenNotTheHeapFilled() {
        Registry registry = new Registry(Duration.ofMinutes(10));
        List<PluginInstance> started = new ArrayList<>();
        for (int i = 0; i < Registry.MAX_INSTANCES; i++) {
            PluginInstance instance = instance(registry);
            instance.lastUsedNanos = i; // started one after another, none used since
            registry.addInstance(instance);
            started.add(instance);
        }
        started.getFirst().activeEvents.incrementAndGet(); // the oldest has an event in flight: kept
        List<PluginInstance> evicted = new ArrayList<>();

        registry.addInstance(instance(registry), evicted::add);

        assertThat(registry.instances()).hasSize(Registry.MAX_INSTANCES);
        assertThat(evicted).containsExactly(started.get(1));
        assertThat(registry.instance(started.get(1).id)).as("Kong is told 'no plugin instance' and starts it again").isNull();
        assertThat(registry.instance(started.getFirst().id)).isNotNull();
    }
}
