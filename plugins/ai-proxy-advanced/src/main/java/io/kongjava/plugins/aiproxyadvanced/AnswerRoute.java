package io.kongjava.plugins.aiproxyadvanced;

import io.kongjava.pdk.Kong;
import io.kongjava.pdk.PdkException;
import java.util.List;

/**
 * The seam between the plugin and whatever carries a streamed answer to the client through Kong. Kong gives
 * external plugins no body_filter, so the plugin cannot write the body itself from a phase; today
 * {@link LoopbackRoute} does it with a loopback listener Kong is pointed at. When the PDK gains a streaming
 * capability (#13), it replaces that one class.
 */
interface AnswerRoute {

    /** Work that answers one accepted request. */
    interface Job {
        /** Writes the answer (the only thing that talks to providers). */
        void answer(ClientSink client);

        /** Kong will never ask for the answer (the request ended elsewhere, the ticket expired). */
        void abandoned();
    }

    /** In the access phase: makes Kong take this request's answer from {@code job}. */
    void route(Kong kong, Job job) throws PdkException;

    /** Request headers the route added that no log line may show. */
    List<String> privateHeaders();

    /** Releases the route's resources when the plugin server stops. */
    void close();
}
