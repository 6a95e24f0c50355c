package io.kongjava.gateway;

import io.kongjava.http.UpstreamClient;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Sends a request to the Service as Kong's balancer and nginx's upstream module do:
 * <ul>
 *   <li>A connection error or a timeout before the response header is tried again, up to the Service's
 *       {@code retries} more times (Kong's default 5; {@code kong.service.set_retries} changes it). nginx's
 *       {@code proxy_next_upstream} default is {@code error timeout}, and Kong does not change it.</li>
 *   <li>POST, PATCH and LOCK are not idempotent: once any of the request was sent they are not tried again
 *       (nginx without {@code non_idempotent}). Before that (connection refused, connect timeout) they are.</li>
 *   <li>A failure on a reused keep-alive connection costs no try: nginx gives the try back when a cached
 *       connection fails with an error, since the server may just have closed it.</li>
 *   <li>An HTTP/1.0 response ends its connection, as nginx treats it: the connection is not reused
 *       ({@link UpstreamClient}).</li>
 *   <li>When the tries run out: 502 after an error, 504 after a timeout, each with Kong's message.</li>
 * </ul>
 * Each attempt is recorded in Kong's {@code tries} log field; a failed one with {@code state} and {@code code}.
 */
final class UpstreamAttempts {

    /**
     * One entry of Kong's {@code balancer_data.tries} (kong.log.serialize's {@code tries}), as Kong's balancer phase
     * starts it: when, in ms and ns since the epoch, and where. Picking a target takes no time worth a millisecond here.
     */
    static Map<String, Object> newTry(String ip, int port) {
        java.time.Instant now = java.time.Instant.now();
        Map<String, Object> attempt = new LinkedHashMap<>();
        attempt.put("balancer_start", now.toEpochMilli());
        attempt.put("balancer_start_ns", now.getEpochSecond() * 1_000_000_000L + now.getNano());
        attempt.put("ip", ip);
        attempt.put("port", (long) port);
        attempt.put("balancer_latency", 0L);
        attempt.put("balancer_latency_ns", 0L);
        return attempt;
    }

    /** nginx's non-idempotent methods (ngx_http_upstream: POST, LOCK, PATCH). */
    static final Set<String> NON_IDEMPOTENT = Set.of("POST", "LOCK", "PATCH");
    /** Free retries on stale keep-alive connections are bounded by the pool a request could meet. */
    private static final int MAX_STALE_CONNECTIONS = 64;

    /** What goes upstream, the same on every try. */
    record Request(UpstreamClient.Address address, String method, String target, List<String[]> headers, byte[] body,
                   UpstreamClient.StreamedBody streamed, int connectTimeoutMs, int writeTimeoutMs, int readTimeoutMs) {

        Request(UpstreamClient.Address address, String method, String target, List<String[]> headers, byte[] body,
                int connectTimeoutMs, int writeTimeoutMs, int readTimeoutMs) {
            this(address, method, target, headers, body, null, connectTimeoutMs, writeTimeoutMs, readTimeoutMs);
        }
    }

    /** The upstream could not be reached or did not answer in time, after every try Kong would make. */
    static final class Failed extends Exception {
        private final int status;

        Failed(int status, String message) {
            super(message);
            this.status = status;
        }

        int status() {
            return status;
        }
    }

    private UpstreamAttempts() {
    }

    /**
     * Sends {@code request} with up to {@code retries} further tries; appends one entry per try to {@code tries}.
     *
     * @throws Failed when no try got a response head; its status is the one Kong answers with
     */
    static UpstreamClient.Response execute(UpstreamClient client, Request request, int retries, List<Map<String, Object>> tries,
                                           UpstreamClient.Cancellation cancellation) throws Failed {
        return execute(client, request, retries, tries, cancellation, null, null);
    }

    /** Told how each try went: what passive health checks count. */
    interface Outcomes {
        void failed(UpstreamClient.Address address, boolean timeout);

        void answered(UpstreamClient.Address address, int status);
    }

    /** Where a retry goes when the Service is an Upstream: the balancer's next target; null keeps the last address. */
    @FunctionalInterface
    interface NextAddress {
        UpstreamClient.Address get();
    }

    static UpstreamClient.Response execute(UpstreamClient client, Request request, int retries, List<Map<String, Object>> tries,
                                           UpstreamClient.Cancellation cancellation, NextAddress next, Outcomes outcomes) throws Failed {
        int counted = 0;
        int stale = 0;
        UpstreamClient.Address address = request.address();
        boolean moveOn = false;
        while (true) {
            if (moveOn && next != null) {
                // a counted failure moves on to another target; a stale keep-alive connection is retried where it was
                UpstreamClient.Address other = next.get();
                address = other != null ? other : address;
            }
            Map<String, Object> attempt = newTry(address.host(), address.port());
            tries.add(attempt);
            try {
                UpstreamClient.Response response = request.streamed() != null
                        ? client.send(address, request.method(), request.target(), request.headers(), request.streamed(),
                                request.connectTimeoutMs(), request.writeTimeoutMs(), request.readTimeoutMs(), cancellation)
                        : client.send(address, request.method(), request.target(), request.headers(), request.body(),
                                request.connectTimeoutMs(), request.writeTimeoutMs(), request.readTimeoutMs(), cancellation);
                if (outcomes != null) {
                    outcomes.answered(address, response.status);
                }
                return response;
            } catch (UpstreamClient.AttemptFailed e) {
                int status = e.timeout ? 504 : 502;
                if (outcomes != null && !(e.reused && !e.timeout)) {
                    outcomes.failed(address, e.timeout); // a stale keep-alive connection says nothing of the target's health
                }
                attempt.put("state", "failed");
                attempt.put("code", (long) status);
                // nginx: a body that went upstream as it came cannot be sent again once a byte of it is gone
                boolean bodyGone = request.streamed() != null && request.streamed().started();
                // proxy_next_upstream's default (error timeout) does not cover an invalid answer head
                boolean retryable = (!e.requestSent || !NON_IDEMPOTENT.contains(request.method())) && !bodyGone && !e.invalidResponse;
                if (e.reused && !e.timeout && !e.invalidResponse && stale < MAX_STALE_CONNECTIONS) {
                    stale++;
                    moveOn = false;
                } else {
                    counted++;
                    moveOn = true;
                }
                if (cancellation.cancelled()) {
                    throw new Failed(status, "the client left while proxying to " + address.host() + ":" + address.port());
                }
                if (!retryable || counted > retries) {
                    int total = counted + stale;
                    String why = bodyGone ? "not retried: its body went upstream as it came (request_buffering off)"
                            : e.invalidResponse ? "not retried: an invalid answer"
                            : !retryable ? "not retried: " + request.method() + " is not idempotent and was sent"
                            : "after " + total + " tr" + (total == 1 ? "y" : "ies");
                    throw new Failed(status, (e.timeout ? "upstream timed out" : e.invalidResponse ? "upstream sent an invalid answer"
                            : "upstream connection failed") + " (" + e.getMessage()
                            + ") while proxying to " + address.host() + ":" + address.port() + ", " + why);
                }
            }
        }
    }
}
