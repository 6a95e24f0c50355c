package io.kongjava.gateway;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import okhttp3.Call;
import okhttp3.Connection;
import okhttp3.EventListener;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.internal.connection.RealConnection;

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
 *   <li>An HTTP/1.0 response ends its connection, as nginx treats it: the connection is not reused.</li>
 *   <li>When the tries run out: 502 after an error, 504 after a timeout, each with Kong's message.</li>
 * </ul>
 * Each attempt is recorded in Kong's {@code tries} log field; a failed one with {@code state} and {@code code}.
 */
final class UpstreamAttempts {

    /** nginx's non-idempotent methods (ngx_http_upstream: POST, LOCK, PATCH). */
    static final Set<String> NON_IDEMPOTENT = Set.of("POST", "LOCK", "PATCH");
    /** Free retries on stale keep-alive connections are bounded by the pool a request could meet. */
    private static final int MAX_STALE_CONNECTIONS = 64;

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

    /** What one attempt did, as nginx's upstream module tracks it; attached to the attempt's request as a tag. */
    static final class Trace extends EventListener {
        private volatile boolean connecting;
        private volatile boolean reused;
        private volatile boolean requestSent;

        @Override
        public void connectStart(Call call, InetSocketAddress address, Proxy proxy) {
            connecting = true;
        }

        @Override
        public void connectionAcquired(Call call, Connection connection) {
            reused = !connecting;
        }

        @Override
        public void requestHeadersStart(Call call) {
            requestSent = true;
        }
    }

    static final EventListener.Factory LISTENERS = call -> {
        Trace trace = call.request().tag(Trace.class);
        return trace == null ? EventListener.NONE : trace;
    };

    /**
     * nginx keeps an upstream connection only after an HTTP/1.1 response without {@code Connection: close};
     * OkHttp would reuse an HTTP/1.0 server's connection, which the server has closed (python's http.server).
     */
    static final Interceptor CLOSE_AFTER_HTTP_1_0 = chain -> {
        Response response = chain.proceed(chain.request());
        if (response.protocol() == Protocol.HTTP_1_0 && chain.connection() instanceof RealConnection connection) {
            connection.noNewExchanges();
        }
        return response;
    };

    private UpstreamAttempts() {
    }

    /**
     * Executes {@code request} with up to {@code retries} further tries; appends one entry per attempt to {@code tries}.
     *
     * @throws Failed when no try got a response header; its status is the one Kong answers with
     */
    static Response execute(OkHttpClient client, Request request, int retries, String host, int port,
                            List<Map<String, Object>> tries) throws Failed {
        int counted = 0;
        int stale = 0;
        while (true) {
            Trace trace = new Trace();
            Map<String, Object> attempt = new LinkedHashMap<>();
            attempt.put("ip", host);
            attempt.put("port", (long) port);
            attempt.put("balancer_start", System.currentTimeMillis());
            attempt.put("balancer_latency", 0L);
            tries.add(attempt);
            try {
                return client.newCall(request.newBuilder().tag(Trace.class, trace).build()).execute();
            } catch (IOException e) {
                // OkHttp reports its read and write timeouts as SocketTimeoutException, a subclass.
                boolean timeout = e instanceof InterruptedIOException;
                int status = timeout ? 504 : 502;
                attempt.put("state", "failed");
                attempt.put("code", (long) status);
                boolean retryable = !trace.requestSent || !NON_IDEMPOTENT.contains(request.method());
                if (trace.reused && !timeout && stale < MAX_STALE_CONNECTIONS) {
                    stale++;
                } else {
                    counted++;
                }
                if (!retryable || counted > retries) {
                    String why = !retryable ? "not retried: " + request.method() + " is not idempotent and was sent"
                            : "after " + (counted + stale) + " tr" + (counted + stale == 1 ? "y" : "ies");
                    throw new Failed(status, (timeout ? "upstream timed out" : "upstream connection failed") + " (" + e.getMessage()
                            + ") while proxying to " + host + ":" + port + ", " + why);
                }
            }
        }
    }
}
