package io.kongjava.relay;

import io.kongjava.pdk.entity.Service;
import io.kongjava.pdk.filter.ResponseFilter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One request admitted to the relay: the route's Service as Kong's router found it, and the filters of
 * every plugin on the route that asked for one, in the order Kong ran their access phases (its priority
 * order), which is the order they see the response in.
 */
final class RelayRoute {

    /** A plugin's filter for this request. */
    record Stage(String plugin, ResponseFilter filter) {
    }

    final String requestId;
    final Optional<Service> service;
    final long expiresAtNanos;
    final List<Stage> stages = new CopyOnWriteArrayList<>();
    /** The {@code relay} block of the log line, completed when the exchange ends. */
    final CompletableFuture<Map<String, Object>> logBlock = new CompletableFuture<>();

    RelayRoute(String requestId, Optional<Service> service, long expiresAtNanos) {
        this.requestId = requestId;
        this.service = service;
        this.expiresAtNanos = expiresAtNanos;
    }

    /** The plugins of the filters, in order; a loop rather than a stream, which C1 alone compiles poorly. */
    List<String> plugins() {
        List<String> plugins = new java.util.ArrayList<>(stages.size());
        for (Stage stage : stages) {
            plugins.add(stage.plugin());
        }
        return java.util.Collections.unmodifiableList(plugins);
    }

    /** The Service's timeouts in milliseconds, or Kong's defaults (60 s each) when the route has none. */
    long connectMillis() {
        return service.map(Service::connectTimeout).orElse(60_000L);
    }

    long writeMillis() {
        return service.map(Service::writeTimeout).orElse(60_000L);
    }

    /**
     * Kong applies the read timeout between itself and the relay too; the relay's is cut a little so that a
     * silent upstream is given up here first, and the client gets the relay's 504 with a log line that says so.
     */
    long readMillis() {
        long read = service.map(Service::readTimeout).orElse(60_000L);
        return Math.max(1, read - Math.min(1_000, read / 10));
    }
}
