package io.kongjava.metrics;

import com.sun.net.httpserver.HttpHandler;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The Prometheus endpoint, {@code GET /metrics} (other paths 404). A port still held by another server does not stop
 * this one: during {@code kong reload} the old plugin server drains its streams for up to two minutes while Kong
 * starts the new one on the same flags, and the plugins matter more than their metrics. The endpoint then binds as
 * soon as the port is free. Each connection gets a virtual thread, so clients that connect and send nothing cannot
 * starve the scrapes.
 */
final class MetricsEndpoint implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(MetricsEndpoint.class.getName());
    static final Duration RETRY = Duration.ofSeconds(1);

    private final InetSocketAddress address;
    private final PrometheusRegistry registry;
    private final ExecutorService connections = Executors.newVirtualThreadPerTaskExecutor();
    private HTTPServer http;
    private Thread retrying;
    private boolean closed;

    private MetricsEndpoint(InetSocketAddress address, PrometheusRegistry registry) {
        this.address = address;
        this.registry = registry;
    }

    /** Serves {@code registry} at {@code address}; when the port is taken, keeps trying every second in the background. */
    static MetricsEndpoint start(InetSocketAddress address, PrometheusRegistry registry) throws IOException {
        MetricsEndpoint endpoint = new MetricsEndpoint(address, registry);
        try {
            endpoint.bind();
        } catch (BindException taken) {
            LOG.log(Level.WARNING, "metrics: " + endpoint.where() + " is in use (" + taken.getMessage() + "; another plugin"
                    + " server still draining after a reload?); the plugins are served, the metrics from when it is free");
            endpoint.retryInBackground();
        }
        return endpoint;
    }

    /** The bound port, or -1 while the port is still taken. */
    synchronized int port() {
        return http == null ? -1 : http.getPort();
    }

    private synchronized void bind() throws IOException {
        if (closed) {
            return;
        }
        HttpHandler notFound = exchange -> {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
        };
        http = HTTPServer.builder().hostname(address.getHostString()).port(address.getPort()).registry(registry)
                .executorService(connections).defaultHandler(notFound).buildAndStart();
        LOG.log(Level.INFO, "Prometheus metrics on http://" + address.getHostString() + ":" + http.getPort() + "/metrics");
    }

    private void retryInBackground() {
        retrying = Thread.ofPlatform().daemon().name("metrics-bind").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(RETRY);
                    bind();
                    return;
                } catch (BindException stillTaken) {
                    // the other server still drains
                } catch (InterruptedException stop) {
                    return;
                } catch (IOException e) {
                    LOG.log(Level.ERROR, "metrics: cannot serve on " + where() + ": " + e.getMessage());
                    return;
                }
            }
        });
    }

    private String where() {
        return address.getHostString() + ":" + address.getPort();
    }

    @Override
    public void close() {
        Thread waiting;
        synchronized (this) {
            closed = true;
            waiting = retrying;
            if (http != null) {
                http.close();
                http = null;
            }
        }
        if (waiting != null) {
            waiting.interrupt();
        }
        connections.shutdownNow();
    }
}
