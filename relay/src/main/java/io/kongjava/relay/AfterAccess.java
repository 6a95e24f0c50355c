package io.kongjava.relay;

import io.kongjava.pdk.Kong;
import io.kongjava.pdk.KongPlugin;
import io.kongjava.pdk.PdkException;
import io.kongjava.pdk.filter.FiltersResponse;
import io.kongjava.pdk.filter.ResponseFilter;
import io.kongjava.pdk.filter.StreamEnd;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;

/**
 * What the plugin server (and the test kit) do right after a plugin's access phase: when the plugin filters
 * the response and has a filter for this request, the request joins the relay.
 */
public final class AfterAccess {

    private static final System.Logger LOG = System.getLogger(AfterAccess.class.getName());
    private static final Map<String, List<String>> JSON = Map.of("Content-Type", List.of("application/json; charset=utf-8"));

    /** Where the relay comes from; the process's shared one outside tests. */
    @FunctionalInterface
    public interface RelaySource {
        ResponseRelay get() throws IOException;
    }

    private AfterAccess() {
    }

    /** Kong's body for an error inside a plugin, with the request id when Kong can still tell it. */
    static String internalError(Kong kong) {
        String requestId;
        try {
            requestId = kong.nginx().getVar("kong_request_id").orElse("");
        } catch (PdkException | RuntimeException e) {
            requestId = "";
        }
        return "{\"message\":\"An unexpected error occurred\""
                + (requestId.matches("[A-Za-z0-9_-]+") ? ",\"request_id\":\"" + requestId + "\"" : "") + "}";
    }

    /**
     * Attaches {@code plugin}'s filter for this request, if it has one. Fails closed: Kong would proxy the
     * request unfiltered when the phase errors, so a filter that cannot be attached ends the request with
     * Kong's 500; only when Kong cannot take that exit either does the error propagate.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static void filter(KongPlugin<?> plugin, String name, Kong kong, Record config, RelaySource relays) throws PdkException {
        if (!(plugin instanceof FiltersResponse filtering)) {
            return;
        }
        ResponseFilter attaching = null;
        try {
            Optional<ResponseFilter> filter = filtering.responseFilter(kong, config);
            if (filter != null && filter.isPresent()) {
                attaching = filter.get();
                relays.get().attach(kong, name, attaching);
            }
        } catch (PdkException | IOException | RuntimeException | ServiceConfigurationError | LinkageError e) {
            // Errors too: a relay whose HTTP server cannot be created (a bad HttpServerProvider) throws one, and a
            // phase that fails with it would have Kong proxy the request unfiltered.
            LOG.log(Level.ERROR, "plugin " + name + ": the response filter could not be attached, request refused with 500: " + e);
            if (attaching != null) {
                closeQuietly(attaching, new StreamEnd.NotAttached(String.valueOf(e)), name);
            }
            kong.response().exit(500, internalError(kong), JSON);
        }
    }

    private static void closeQuietly(ResponseFilter filter, StreamEnd end, String name) {
        try {
            filter.onClose(end);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "plugin " + name + ": its filter failed in onClose: " + e);
        }
    }
}
