package io.kongjava.metrics;

import io.kongjava.pdk.metrics.PluginCounters;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.LinkedHashMap;
import java.util.Map;

/** The counters plugins registered in {@link PluginCounters} (java-file-log's lines written and lost), read at each scrape. */
final class PluginCountersCollector implements MultiCollector {

    @Override
    public MetricSnapshots collect() {
        Map<String, String> help = new LinkedHashMap<>();
        Map<String, Map<Labels, Double>> values = new LinkedHashMap<>();
        for (PluginCounters.Counter counter : PluginCounters.all()) {
            help.putIfAbsent(counter.name(), counter.help());
            Labels labels = Labels.EMPTY;
            for (var label : new java.util.TreeMap<>(counter.labels()).entrySet()) {
                labels = labels.add(label.getKey(), label.getValue());
            }
            values.computeIfAbsent(counter.name(), name -> new LinkedHashMap<>())
                    .merge(labels, (double) counter.value().getAsLong(), Double::sum);
        }
        MetricSnapshots.Builder snapshots = MetricSnapshots.builder();
        values.forEach((name, points) -> {
            CounterSnapshot.Builder snapshot = CounterSnapshot.builder().name(name).help(help.get(name));
            points.forEach((labels, value) -> snapshot.dataPoint(
                    CounterSnapshot.CounterDataPointSnapshot.builder().labels(labels).value(value).build()));
            snapshots.metricSnapshot(snapshot.build());
        });
        return snapshots.build();
    }
}
