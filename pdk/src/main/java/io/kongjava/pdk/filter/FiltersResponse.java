package io.kongjava.pdk.filter;

import io.kongjava.pdk.Kong;
import io.kongjava.pdk.PdkException;
import java.util.Optional;

/**
 * A plugin that also implements this sees the upstream's response as it streams, which Kong's external
 * plugins otherwise cannot (Kong gives them no header_filter or body_filter, and its {@code response}
 * phase buffers the whole answer).
 *
 * <p>Right after the plugin's access phase (Kong runs it for such a plugin even when the class does not
 * override {@code access}), the server asks for this request's filter. When one is returned, the request's
 * upstream goes through the plugin server's loopback relay, which calls the route's Service itself and
 * passes the answer through every filter of the route, in Kong's priority order, in one pass. Kong's own
 * balancer is bypassed for such requests.
 *
 * @param <C> the plugin's configuration record
 */
public interface FiltersResponse<C extends Record> {

    /**
     * The header Kong carries the request's one-time relay ticket in, from the access phase to the relay;
     * loggers leave it out of their lines.
     */
    String RELAY_TICKET_HEADER = "x-kong-java-relay-ticket";

    /**
     * This request's filter, or empty to leave the response alone. Called in the access phase, with Kong at
     * hand, after {@code access} and only when it did not end the request; the filter object is used for this
     * one request only, so it may keep state.
     */
    Optional<ResponseFilter> responseFilter(Kong kong, C config) throws PdkException;
}
