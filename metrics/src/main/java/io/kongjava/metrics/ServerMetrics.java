package io.kongjava.metrics;

import io.kongjava.server.PluginServer;
import io.kongjava.server.ServerObserver;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;

/** The plugin server's own health: events and PDK calls per plugin and phase, instances, errors, connections. */
final class ServerMetrics implements ServerObserver {

    /** From 100 µs (a PDK round trip on a quiet machine) to a minute (Kong's own read timeout). */
    static final double[] SECOND_BUCKETS = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
            1, 2.5, 5, 10, 30, 60};

    static final java.util.List<String> ERROR_KINDS = java.util.List.of("plugin_exception", "event_timeout", "connection_lost",
            "rpc_error", "internal_error", "protocol_error");

    private final Counter events;
    private final Histogram eventDuration;
    private final Histogram pdkCalls;
    private final Counter instanceStarts;
    private final Counter instanceCloses;
    private final Counter errors;

    ServerMetrics(PrometheusRegistry registry, PluginServer server) {
        events = Counter.builder().name("kong_java_events").help("Phases run for Kong, by plugin, phase and outcome")
                .labelNames("plugin", "phase", "outcome").register(registry);
        eventDuration = Histogram.builder().name("kong_java_event_duration_seconds").unit(Unit.SECONDS)
                .help("Time from Kong's HandleEvent to the phase's end, PDK round trips included")
                .labelNames("plugin", "phase").classicOnly().classicUpperBounds(SECOND_BUCKETS).register(registry);
        pdkCalls = Histogram.builder().name("kong_java_pdk_call_duration_seconds").unit(Unit.SECONDS)
                .help("Round trip of a PDK call through Kong, by plugin, phase and PDK method")
                .labelNames("plugin", "phase", "method").classicOnly().classicUpperBounds(SECOND_BUCKETS).register(registry);
        instanceStarts = Counter.builder().name("kong_java_instance_starts").help("Plugin instances Kong started")
                .labelNames("plugin").register(registry);
        instanceCloses = Counter.builder().name("kong_java_instance_closes")
                .help("Plugin instances closed by Kong (closed) or forgotten when idle (expired)")
                .labelNames("plugin", "reason").register(registry);
        errors = Counter.builder().name("kong_java_errors")
                .help("Errors by kind: a phase that threw or timed out, a lost connection, an error answered to Kong")
                .labelNames("kind").register(registry);
        // Every kind from 0, so that rate() and alerts see the first error.
        for (String kind : ERROR_KINDS) {
            errors.initLabelValues(kind);
        }
        GaugeWithCallback.builder().name("kong_java_instances").help("Plugin instances alive, by plugin")
                .labelNames("plugin")
                .callback(callback -> server.instancesByPlugin().forEach((plugin, count) -> callback.call(count, plugin)))
                .register(registry);
        GaugeWithCallback.builder().name("kong_java_events_in_flight").help("Phases running now")
                .callback(callback -> callback.call(server.eventsInFlight())).register(registry);
        GaugeWithCallback.builder().name("kong_java_connections").help("Kong's connections to this server open now")
                .callback(callback -> callback.call(server.connectionCount())).register(registry);
    }

    @Override
    public void eventEnded(String plugin, String phase, long nanos, String outcome) {
        events.labelValues(plugin, phase, outcome).inc();
        eventDuration.labelValues(plugin, phase).observe(nanos / 1e9);
        switch (outcome) {
            case "error" -> errors.labelValues("plugin_exception").inc();
            case "timeout" -> errors.labelValues("event_timeout").inc();
            case "connection_lost" -> errors.labelValues("connection_lost").inc();
            default -> { }
        }
    }

    @Override
    public void pdkCall(String plugin, String phase, String method, long nanos) {
        pdkCalls.labelValues(plugin, phase, method).observe(nanos / 1e9);
    }

    @Override
    public void instanceStarted(String plugin) {
        instanceStarts.labelValues(plugin).inc();
    }

    @Override
    public void instanceClosed(String plugin, String reason) {
        instanceCloses.labelValues(plugin, reason).inc();
    }

    @Override
    public void error(String kind) {
        errors.labelValues(kind).inc();
    }
}
