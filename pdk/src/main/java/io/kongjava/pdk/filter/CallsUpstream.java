package io.kongjava.pdk.filter;

import java.io.IOException;

/**
 * A {@link ResponseFilter} that also implements this makes the upstream call itself, in place of the relay's one
 * HTTP request to the Service: to choose among several upstreams, sign the request, retry elsewhere one that failed
 * before answering, or turn another protocol's answer into the one the client expects. What it writes to the
 * {@link UpstreamAnswer} is, for the route's filters and the client, the upstream's answer: it goes through every
 * filter's {@code onHeaders}, {@code onChunk} and {@code onEnd} as the Service's answer would, as it is written.
 *
 * <p>On a route with more than one such filter, the first in Kong's priority order calls the upstream; the others
 * only filter. Every filter's {@code onRequest} has run before {@link #callUpstream}, which runs on the relay's
 * thread for this exchange: a write blocks while the client reads slowly.
 */
public interface CallsUpstream {

    /**
     * Calls the upstream for {@code request} and writes its answer, {@link UpstreamAnswer#head} first, returning once
     * the body is complete. Throwing {@link IOException} says the upstream failed: before the head the client gets
     * Kong's 502 (504 for an {@link java.io.InterruptedIOException} or {@link java.net.SocketTimeoutException}),
     * after it the body ends there; any other exception counts as this plugin's filter failing. When a write throws
     * (the client left, or a later filter failed), stop and return or rethrow: the relay already knows why.
     */
    void callUpstream(UpstreamRequest request, UpstreamAnswer answer) throws IOException;
}
