package io.kongjava.metrics;

import io.kongjava.pdk.exchange.ProcessRequestExchange;
import io.kongjava.server.PluginServer;
import io.kongjava.server.ServerObserver;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * What the plugin server loads when {@code --metrics-listen} or {@code --otlp-endpoint} is given: the
 * Prometheus endpoint at {@code http://HOST:PORT/metrics}, and the OTLP traces of the AI requests.
 */
public final class MetricsProvider implements ServerObserver.Provider {

    private static final System.Logger LOG = System.getLogger(MetricsProvider.class.getName());

    @Override
    public ServerObserver.Attached attach(PluginServer server, String metricsListen, String otlpEndpoint) throws IOException {
        return start(server, ProcessRequestExchange.shared(), metricsListen, otlpEndpoint == null ? null : AiTraces.toOtlp(otlpEndpoint));
    }

    /** Starts what is asked for ({@code metricsListen} or {@code traces} may be null) and observes {@code server} and {@code exchange}. */
    public static Running start(PluginServer server, ProcessRequestExchange exchange, String metricsListen, AiTraces traces) throws IOException {
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            PrometheusRegistry registry = new PrometheusRegistry();
            MetricsEndpoint endpoint = null;
            if (metricsListen != null) {
                InetSocketAddress address = parseListen(metricsListen);
                ServerMetrics serverMetrics = new ServerMetrics(registry, server);
                registry.register(new PluginCountersCollector());
                JvmMetrics.builder().register(registry);
                server.observe(serverMetrics);
                endpoint = MetricsEndpoint.start(address, registry);
                opened.add(endpoint);
            }
            Consumer<AiBlock> toTraces = traces == null ? block -> { } : traces;
            if (traces != null) {
                opened.add(traces);
            }
            AiMetrics ai = new AiMetrics(registry, toTraces);
            opened.add(exchange.observe(ai));
            return new Running(endpoint, registry, traces, opened);
        } catch (IOException | RuntimeException e) {
            new Running(null, null, null, opened).close();
            throw e;
        }
    }

    /** {@code HOST:PORT}, {@code [V6]:PORT} or a bare {@code PORT} (bound to 127.0.0.1); port 0 picks a free one. */
    static InetSocketAddress parseListen(String listen) {
        String value = listen.trim();
        int colon = value.lastIndexOf(':');
        String host = colon < 0 ? "127.0.0.1" : value.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        String port = colon < 0 ? value : value.substring(colon + 1);
        int number;
        try {
            number = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("metrics listen address must be HOST:PORT or PORT, got '" + listen + "'");
        }
        if (number < 0 || number > 65535 || host.isEmpty()) {
            throw new IllegalArgumentException("metrics listen address must be HOST:PORT with a port up to 65535, got '" + listen + "'");
        }
        return InetSocketAddress.createUnresolved(host, number);
    }

    /** The endpoint (null when only traces were asked for), and what stops it all. */
    public record Running(MetricsEndpoint endpoint, PrometheusRegistry registry, AiTraces traces, List<AutoCloseable> opened)
            implements ServerObserver.Attached {

        /** The endpoint's port: -1 without one, or while its port is still taken. */
        public int port() {
            return endpoint == null ? -1 : endpoint.port();
        }

        @Override
        public void stopServing() {
            if (endpoint != null) {
                endpoint.close();
            }
        }

        @Override
        public void close() {
            for (AutoCloseable closeable : opened.reversed()) {
                try {
                    closeable.close();
                } catch (Exception e) {
                    LOG.log(Level.WARNING, "could not stop " + closeable + ": " + e);
                }
            }
        }
    }
}
