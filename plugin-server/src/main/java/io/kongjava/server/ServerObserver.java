package io.kongjava.server;

import java.io.IOException;

/**
 * What the server tells a metrics module as it works. Called on the threads that serve Kong, so an
 * implementation must be quick and must not throw. Every method does nothing by default.
 */
public interface ServerObserver {

    ServerObserver NONE = new ServerObserver() {
    };

    /**
     * A plugin's phase ended after {@code nanos}. {@code outcome}: {@code ok}, {@code exit} (the plugin ended
     * the request), {@code error} (the phase threw), {@code timeout} (Kong or the plugin went silent) or
     * {@code connection_lost}.
     */
    default void eventEnded(String plugin, String phase, long nanos, String outcome) {
    }

    /** A PDK call of a plugin's phase got Kong's answer after {@code nanos} (the round trip through Kong). */
    default void pdkCall(String plugin, String phase, String method, long nanos) {
    }

    default void instanceStarted(String plugin) {
    }

    /** {@code reason}: {@code closed} (Kong's CloseInstance) or {@code expired} (idle too long). */
    default void instanceClosed(String plugin, String reason) {
    }

    /** An error answered to Kong or a connection dropped: {@code rpc_error}, {@code internal_error}, {@code protocol_error}. */
    default void error(String kind) {
    }

    /**
     * The metrics module, found with {@link java.util.ServiceLoader} when the command line asks for metrics.
     * It observes {@code server} (through {@link PluginServer#observe}) and returns what stops it.
     */
    interface Provider {
        Attached attach(PluginServer server, String metricsListen, String otlpEndpoint) throws IOException;
    }

    /** What a {@link Provider} started: {@link #close()} stops it all. */
    interface Attached extends AutoCloseable {

        Attached NOTHING = () -> { };

        /**
         * Gives up the listening port while the server drains, so that the server Kong starts next can take it; what
         * the draining requests still report goes on being collected (traces are still sent).
         */
        default void stopServing() {
        }
    }
}
