package io.kongjava.gateway;

import io.kongjava.http.UpstreamClient;
import io.kongjava.http.VirtualThreadHttpServer;
import com.sun.net.httpserver.HttpExchange;
import io.kongjava.catalogue.HopByHopHeaders;
import io.kongjava.emulation.KongRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Kong's proxying to the Service: the upstream request from the client's and what plugins changed, Kong's
 * forwarding headers, retries, and the response streamed chunk by chunk, or buffered when a plugin has a
 * response phase or asked for buffering, as Kong does.
 */
final class UpstreamProxy implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(UpstreamProxy.class.getName());
    /**
     * Not forwarded either way: Kong's hop-by-hop set, {@code host} (set for the upstream below) and {@code expect}
     * (the gateway answers {@code 100-continue} itself, as nginx does).
     */
    static final Set<String> NOT_FORWARDED = HopByHopHeaders.and("host", "expect");

    /** Runs the plugins' response phases on a buffered response. */
    @FunctionalInterface
    interface ResponsePhases {
        void run();
    }

    private final UpstreamClient upstreamClient = new UpstreamClient();
    /** Whether the front server is ours, which sends a HEAD answer's Content-Length without a body. */
    private final java.util.function.BooleanSupplier frontKeepsHeadLength;

    UpstreamProxy(java.util.function.BooleanSupplier frontKeepsHeadLength) {
        this.frontKeepsHeadLength = frontKeepsHeadLength;
    }

    void proxy(HttpExchange exchange, KongRequest state, DeclarativeConfig.Route route, DeclarativeConfig.Service service,
               boolean buffered, ResponsePhases responsePhases, long startNanos) throws IOException {
        KongRequest.Upstream up = state.upstream;
        String scheme = up.scheme != null && (up.targetHost != null || !"http".equals(up.scheme)) ? up.scheme : service.protocol();
        String host = up.targetHost != null ? up.targetHost : service.host();
        int port = up.targetHost != null ? up.targetPort : service.port();
        String path = up.path != null ? up.path : Router.upstreamPath(route.stripPath(), service.path(), state.path, state.strippedPrefix);
        String query = up.rawQuery != null ? up.rawQuery : state.rawQuery;
        state.upstreamUri = query.isEmpty() ? path : path + "?" + query;

        List<String[]> headers = upstreamHeaders(state, route, scheme, host, port);
        byte[] body = up.body != null ? up.body : state.body;
        String method = up.method != null ? up.method : state.method;

        long sentNanos = System.nanoTime();
        // As nginx (proxy_ignore_client_abort off): a client that closes while the upstream has not answered, or
        // pauses, ends the upstream call, which a relay behind the gateway notices in turn.
        UpstreamClient.Cancellation cancellation = new UpstreamClient.Cancellation();
        VirtualThreadHttpServer.watchClient(exchange, cancellation::cancel);
        UpstreamClient.Response response;
        try {
            UpstreamAttempts.Request request = new UpstreamAttempts.Request(new UpstreamClient.Address("https".equals(scheme), host, port),
                    method, state.upstreamUri, headers, body, up.connectTimeoutMs, up.writeTimeoutMs, up.readTimeoutMs);
            response = UpstreamAttempts.execute(upstreamClient, request, up.retries, state.tries, cancellation);
        } catch (UpstreamAttempts.Failed failed) {
            state.upstreamStatus = String.valueOf(failed.status());
            if (cancellation.cancelled()) {
                LOG.log(Level.INFO, "the client closed the connection while waiting for " + host + ":" + port + "; the upstream call was cancelled");
                state.responseStatus = 499; // nginx's status for a client that closed the request; nothing is sent
                return;
            }
            LOG.log(Level.ERROR, failed.getMessage());
            ResponseWriter.sendKongError(exchange, state, failed.status(), null);
            return;
        }
        try (response) {
            state.latencyProxy = millisSince(sentNanos);
            int code = response.status;
            state.upstreamStatus = String.valueOf(code);
            Map<String, List<String>> responseHeaders = new LinkedHashMap<>();
            for (String[] header : response.headers) {
                String lower = header[0].toLowerCase(Locale.ROOT);
                if (!NOT_FORWARDED.contains(lower) || "content-length".equals(lower)) {
                    responseHeaders.computeIfAbsent(lower, k -> new ArrayList<>()).add(header[1]);
                }
            }
            if (response.header("transfer-encoding") != null) {
                responseHeaders.remove("content-length"); // RFC 9112: the chunked coding wins; the length is not the body's
            }
            if (buffered) {
                byte[] bytes = response.body.readAllBytes();
                state.latencyProxy = millisSince(sentNanos);
                state.upstreamResponse = new KongRequest.UpstreamResponse(code, responseHeaders, bytes);
                state.responseStatus = code;
                state.responseHeaders.putAll(ResponseWriter.mergeHeaders(responseHeaders, state.responseHeaders));
                responsePhases.run();
                if (state.exit != null) {
                    ResponseWriter.sendExit(exchange, state);
                    return;
                }
                responseHeaders.remove("content-length");
                ResponseWriter.sendBuffered(exchange, state, state.responseStatus,
                        ResponseWriter.mergeHeaders(responseHeaders, state.responseHeaders), bytes, startNanos, sentNanos);
                return;
            }
            stream(exchange, state, response, responseHeaders, startNanos, sentNanos);
        }
    }

    /** The client's headers without hop-by-hop ones, what plugins set, and the headers Kong's template adds. */
    private static List<String[]> upstreamHeaders(KongRequest state, DeclarativeConfig.Route route, String scheme, String host, int port) {
        Map<String, List<String>> outgoing = new LinkedHashMap<>();
        state.headers.forEach((name, values) -> {
            if (!NOT_FORWARDED.contains(name)) {
                outgoing.put(name, values);
            }
        });
        state.upstream.headers.forEach((name, values) -> {
            if (!NOT_FORWARDED.contains(name)) {
                outgoing.put(name, values);
            }
        });
        String hostHeader = route.preserveHost() && state.header("host") != null ? state.header("host")
                : port == ("https".equals(scheme) ? 443 : 80) ? host : (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        outgoing.put("host", List.of(hostHeader));
        outgoing.put("connection", List.of("keep-alive")); // Kong's template: proxy_set_header Connection $upstream_connection
        outgoing.put("x-forwarded-for", List.of(state.clientIp));
        outgoing.put("x-forwarded-proto", List.of(state.scheme));
        outgoing.put("x-forwarded-host", List.of(state.host));
        outgoing.put("x-forwarded-port", List.of(String.valueOf(state.port)));
        outgoing.put("x-forwarded-path", List.of(state.path));
        outgoing.put("x-real-ip", List.of(state.clientIp));
        outgoing.put("x-kong-request-id", List.of(state.requestId));
        List<String[]> headers = new ArrayList<>();
        outgoing.forEach((name, values) -> values.forEach(v -> headers.add(new String[] {name, v.replace("\r", "").replace("\n", "")})));
        return headers;
    }

    /** The upstream response passed on as it arrives. */
    private void stream(HttpExchange exchange, KongRequest state, UpstreamClient.Response response, Map<String, List<String>> responseHeaders,
                        long startNanos, long sentNanos) throws IOException {
        int code = response.status;
        state.responseStatus = code;
        Map<String, List<String>> merged = ResponseWriter.mergeHeaders(responseHeaders, state.responseHeaders);
        List<String> lengthHeader = merged.remove("content-length");
        String contentLength = lengthHeader == null || lengthHeader.isEmpty() ? null : lengthHeader.getFirst();
        ResponseWriter.addKongHeaders(merged, state, startNanos, sentNanos);
        merged.forEach((name, values) -> values.forEach(v -> exchange.getResponseHeaders().add(name, v)));
        state.responseHeaders.clear();
        state.responseHeaders.putAll(merged);
        long length = contentLength == null ? 0 : Long.parseLong(contentLength);
        boolean noBody = "HEAD".equals(state.method) || code == 204 || code == 304;
        // A HEAD answer keeps the upstream's Content-Length, as nginx passes it (the front sends no body for HEAD).
        boolean headWithLength = "HEAD".equals(state.method) && length > 0 && frontKeepsHeadLength.getAsBoolean();
        exchange.sendResponseHeaders(code, headWithLength ? length : noBody ? -1 : length == 0 && contentLength != null ? -1 : length);
        long receiveStart = System.nanoTime();
        if (!noBody) {
            try (InputStream in = response.body; OutputStream out = exchange.getResponseBody()) {
                byte[] buffer = new byte[16 * 1024];
                int n;
                while ((n = in.read(buffer)) > 0) {
                    out.write(buffer, 0, n);
                    out.flush();
                    state.responseSize += n;
                }
            } catch (IOException e) {
                // the client went away or the upstream broke mid-body: stop, and let the log phase record it
                LOG.log(Level.DEBUG, () -> "streaming ended early: " + e.getMessage());
            }
        }
        state.latencyReceive = millisSince(receiveStart);
    }

    static double millisSince(long startNanos) {
        return Math.round((System.nanoTime() - startNanos) / 10_000.0) / 100.0;
    }

    @Override
    public void close() {
        upstreamClient.close();
    }
}
