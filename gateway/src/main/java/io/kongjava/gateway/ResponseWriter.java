package io.kongjava.gateway;

import com.sun.net.httpserver.HttpExchange;
import io.kongjava.catalogue.KongErrorPages;
import io.kongjava.catalogue.KongStatusTexts;
import io.kongjava.emulation.KongRequest;
import java.io.IOException;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What the gateway sends the client when it answers itself: Kong's error bodies (texts from Kong's one
 * status table), a plugin's {@code kong.response.exit}, a buffered upstream response with Kong's headers.
 * Every answer is recorded in the {@link KongRequest} for the log phase.
 */
final class ResponseWriter {

    /** What stands where Kong's answers say {@code kong/<version>}. */
    static final String SERVER = "kong-java-gateway";
    static final String VIA = "1.1 " + SERVER;


    private ResponseWriter() {
    }

    /** Kong's error answer; a null {@code message} is Kong's text for the status. */
    static void sendKongError(HttpExchange exchange, KongRequest state, int status, String message) throws IOException {
        sendKongError(exchange, state, status, message, Map.of());
    }

    /** As above, with headers of its own (426's {@code Upgrade}, for one), sent as given. */
    static void sendKongError(HttpExchange exchange, KongRequest state, int status, String message, Map<String, String> extra)
            throws IOException {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        // set on the answer itself: Upgrade is hop-by-hop, which the forwarding filter in write() leaves out
        extra.forEach((name, value) -> exchange.getResponseHeaders().set(name, value));
        // the page in the format the client's Accept asks for, as Kong's error handler answers
        String contentType = KongErrorPages.contentType(state.header("accept"));
        headers.put("content-type", List.of(contentType));
        // Kong's header_filter runs on its error pages too: latency headers as for a proxied answer once the request
        // went upstream (a 502 or 504), else the response latency
        if (!state.upstreamStatus.isEmpty()) {
            if (state.latencyProxy >= 0) {
                kongHeader(headers, state, "x-kong-upstream-latency", String.valueOf((long) state.latencyProxy));
            }
            kongHeader(headers, state, "x-kong-proxy-latency", String.valueOf((long) state.latencyKong));
            kongHeader(headers, state, "via", VIA);
        } else {
            kongHeader(headers, state, "x-kong-response-latency", String.valueOf((long) state.latencyKong));
        }
        kongHeader(headers, state, "x-kong-request-id", state.requestId);
        kongHeader(headers, state, "server", SERVER);
        state.responseSource = "error";
        String text = message == null ? KongStatusTexts.defaultMessage(status) : message;
        write(exchange, state, status, headers, KongErrorPages.body(contentType, text, state.requestId));
    }

    /** A redirect with no body, as {@code kong.response.exit(status)} with a Location header sends it. */
    static void sendRedirect(HttpExchange exchange, KongRequest state, int status, String location) throws IOException {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put("location", List.of(location));
        kongHeader(headers, state, "x-kong-request-id", state.requestId);
        kongHeader(headers, state, "server", SERVER);
        state.responseSource = "exit";
        write(exchange, state, status, headers, new byte[0]);
    }

    /** Kong's JSON error body: {@code {"message": ..., "request_id": ...}}, in Kong's template's layout. */
    static byte[] kongErrorBody(String message, String requestId) {
        return KongErrorPages.body(KongErrorPages.JSON, message, requestId);
    }

    /** The answer a plugin ended the request with. */
    static void sendExit(HttpExchange exchange, KongRequest state) throws IOException {
        // Kong's send() (kong/pdk/response.lua) writes the exit's headers last: they win over any set before
        Map<String, List<String>> headers = new LinkedHashMap<>(state.responseHeaders);
        state.exit.headers().forEach((name, values) -> {
            headers.keySet().removeIf(known -> known.equalsIgnoreCase(name));
            headers.put(name.toLowerCase(java.util.Locale.ROOT), values);
        });
        kongHeader(headers, state, "x-kong-response-latency", String.valueOf((long) state.latencyKong));
        kongHeader(headers, state, "x-kong-request-id", state.requestId);
        // Kong's runloop: its own Server on its own answers, or none when server_tokens is off; a plugin's Via equal
        // to the token keeps it from being set (then a plugin's own Server stays)
        if (!(state.kongHeaders.contains("via") && List.of(SERVER).equals(headers.get("via")))) {
            if (state.kongHeaders.contains("server")) {
                headers.put("server", List.of(SERVER));
            } else {
                headers.remove("server");
            }
        }
        state.responseSource = "exit";
        write(exchange, state, state.exit.status(), headers, state.exit.body());
    }

    /** A buffered upstream response, with Kong's latency headers. */
    static void sendBuffered(HttpExchange exchange, KongRequest state, int status, Map<String, List<String>> headers, byte[] body,
                             long startNanos, long sentNanos) throws IOException {
        Map<String, List<String>> all = new LinkedHashMap<>(headers);
        addKongHeaders(all, state, startNanos, sentNanos);
        write(exchange, state, status, all, body);
    }

    /** The headers Kong adds to a proxied response (kong/runloop/handler.lua, header_filter). */
    static void addKongHeaders(Map<String, List<String>> headers, KongRequest state, long startNanos, long sentNanos) {
        kongHeader(headers, state, "x-kong-upstream-latency", String.valueOf((long) state.latencyProxy));
        kongHeader(headers, state, "x-kong-proxy-latency", String.valueOf(TimeUnit.NANOSECONDS.toMillis(sentNanos - startNanos)));
        // Kong's runloop: its entry after the upstream's Via, and its Server when the upstream sent none
        List<String> upstreamVia = headers.get("via");
        kongHeader(headers, state, "via", upstreamVia == null || upstreamVia.isEmpty() ? VIA : String.join(", ", upstreamVia) + ", " + VIA);
        if (!headers.containsKey("server")) {
            kongHeader(headers, state, "server", SERVER);
        }
        kongHeader(headers, state, "x-kong-upstream-status", state.upstreamStatus);
        kongHeader(headers, state, "x-kong-request-id", state.requestId);
    }

    /** One of Kong's own headers, when kong.conf's {@code headers} lets Kong add it. */
    private static void kongHeader(Map<String, List<String>> headers, KongRequest state, String name, String value) {
        if (state.kongHeaders.contains(name) && value != null && !value.isEmpty()) {
            headers.put(name, List.of(value));
        }
    }

    /** {@code upstream} with what plugins set on top; a plugin's empty list removes the header. */
    static Map<String, List<String>> mergeHeaders(Map<String, List<String>> upstream, Map<String, List<String>> fromPlugins) {
        Map<String, List<String>> merged = new LinkedHashMap<>(upstream);
        fromPlugins.forEach((name, values) -> {
            if (values.isEmpty()) {
                merged.remove(name);
            } else {
                merged.put(name, values);
            }
        });
        return merged;
    }

    private static void write(HttpExchange exchange, KongRequest state, int status, Map<String, List<String>> headers, byte[] body)
            throws IOException {
        state.responseStatus = status;
        state.responseHeaders.clear();
        state.responseHeaders.putAll(headers);
        headers.forEach((name, values) -> {
            if (!UpstreamProxy.NOT_FORWARDED.contains(name)) {
                values.forEach(v -> exchange.getResponseHeaders().add(name, v));
            }
        });
        boolean noBody = body.length == 0 || "HEAD".equals(state.method);
        exchange.sendResponseHeaders(status, noBody ? -1 : body.length);
        if (!noBody) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
        state.responseSize = headSize(status, headers) + (noBody ? 0 : body.length);
    }

    /**
     * The bytes of a response head as the front server writes it (status line, header lines, the blank line), for
     * the log's {@code response.size}, which Kong takes from nginx's {@code $bytes_sent}: head and body together.
     * The front's own Date, Content-Length or Transfer-Encoding and Connection lines are counted at their usual size.
     */
    static long headSize(int status, Map<String, List<String>> headers) {
        long size = "HTTP/1.1 200 OK\r\n".length();
        for (Map.Entry<String, List<String>> header : headers.entrySet()) {
            if (UpstreamProxy.NOT_FORWARDED.contains(header.getKey())) {
                continue;
            }
            for (String value : header.getValue()) {
                size += header.getKey().length() + 2 + value.length() + 2;
            }
        }
        return size + "Date: Thu, 01 Jan 1970 00:00:00 GMT\r\n".length() + "Content-Length: 0\r\n".length() + 2;
    }
}
