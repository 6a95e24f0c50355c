package io.kongjava.pdk.metrics;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;

/**
 * Counters a plugin keeps itself (java-file-log's lines written and lost), named here so that the plugin
 * server's metrics endpoint can export them without knowing the plugin's classes, which live in another
 * class loader. A counter is read when the endpoint is scraped.
 */
public final class PluginCounters {

    /** One counter: a Prometheus-style name (without {@code _total}), its help text, its labels and its reader. */
    public record Counter(String name, String help, Map<String, String> labels, LongSupplier value) {
        public Counter {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
            help = help == null ? "" : help;
            labels = Map.copyOf(labels);
        }
    }

    private static final List<Counter> COUNTERS = new CopyOnWriteArrayList<>();

    private PluginCounters() {
    }

    public static void register(String name, String help, Map<String, String> labels, LongSupplier value) {
        COUNTERS.add(new Counter(name, help, labels, value));
    }

    public static List<Counter> all() {
        return List.copyOf(COUNTERS);
    }
}
