package io.kongjava.server;

import io.kongjava.catalogue.PdkFunction;
import io.kongjava.pdk.PdkException;
import java.lang.System.Logger.Level;
import java.util.List;

/**
 * What the server does when a plugin's phase throws. Kong proxies the request anyway when an external plugin errors
 * (it fails open: an auth plugin's bug lets the request through unauthenticated), and it writes the plugin server's own
 * output into error.log at info, under the default log_level notice: nobody sees it. A Lua plugin's error ends the
 * request with Kong's 500 instead. So the server does what a Lua plugin's error does: it writes the failure into Kong's
 * error.log with {@code kong.log.err} and, in rewrite, access and response, ends the request with
 * {@code kong.response.error(500)}: a plugin that redacts the buffered answer must not let it through because it failed.
 */
final class PhaseFailure {

    private static final System.Logger LOG = System.getLogger(PhaseFailure.class.getName());

    private PhaseFailure() {
    }

    /** Whether a failure in {@code phase} ends the request (the phases in which Kong lets a plugin answer it). */
    static boolean endsTheRequest(String phase) {
        return "rewrite".equals(phase) || "access".equals(phase) || "response".equals(phase);
    }

    /** The answer to Kong's pending call that ends the request with Kong's 500: {@code kong.response.error(500)}. */
    static io.kongjava.protocol.EventReply endRequest(long eventId) {
        return new io.kongjava.protocol.EventReply.PdkCall(eventId, PdkFunction.RESPONSE_ERROR.kongName(), List.of(500L));
    }

    /** Reports {@code failure} to Kong through the event, and ends the request in rewrite, access and response; the event may be gone. */
    static void answer(EventBridge event, String plugin, String phase, Throwable failure) {
        if (event.ended()) {
            return;
        }
        String line = "plugin " + plugin + " failed in " + phase + ": " + failure;
        try {
            event.call(PdkFunction.LOG_ERR.kongName(), List.of(line));
            if (endsTheRequest(phase)) {
                event.callTerminal(PdkFunction.RESPONSE_ERROR.kongName(), List.of(500L));
            }
        } catch (PdkException | RuntimeException e) {
            LOG.log(Level.DEBUG, () -> "could not report the failure of " + plugin + " in " + phase + " to Kong: " + e);
        }
    }
}
