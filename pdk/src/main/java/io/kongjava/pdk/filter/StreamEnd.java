package io.kongjava.pdk.filter;

/** How a relayed exchange ended, as its filters are told in {@link ResponseFilter#onClose}. */
public sealed interface StreamEnd {

    /** The short name written to the log line ({@code relay.outcome}). */
    String outcome();

    /** The whole body went through. */
    record Completed(int status) implements StreamEnd {
        @Override
        public String outcome() {
            return "complete";
        }
    }

    /** The client (or Kong) went away; the upstream call was cancelled. */
    record ClientGone() implements StreamEnd {
        @Override
        public String outcome() {
            return "client_disconnected";
        }
    }

    /**
     * The upstream could not be reached, timed out, or broke off. {@code started} says whether the client had
     * already received part of the answer (otherwise it got Kong's 502 or 504).
     */
    record UpstreamFailed(boolean timeout, boolean started, String message) implements StreamEnd {
        @Override
        public String outcome() {
            return timeout ? "upstream_timeout" : started ? "upstream_broke_off" : "upstream_unreachable";
        }
    }

    /** A filter threw; {@code plugin} names it. */
    record FilterFailed(String plugin, String message) implements StreamEnd {
        @Override
        public String outcome() {
            return "filter_failed";
        }
    }

    /** Kong never sent the request on (a later plugin ended it, or sent it elsewhere). */
    record NotProxied() implements StreamEnd {
        @Override
        public String outcome() {
            return "not_proxied";
        }
    }

    /**
     * The filter could not join the relay (it was not ready, or Kong refused the calls that route the request
     * to it): the request was answered with Kong's 500 and nothing was sent upstream.
     */
    record NotAttached(String message) implements StreamEnd {
        @Override
        public String outcome() {
            return "not_attached";
        }
    }
}
