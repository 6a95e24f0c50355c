package io.kongjava.emulation;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Kong's {@code kong.log.serialize()} for the http subsystem: the log record every logging plugin writes,
 * with the values plugins registered through {@code kong.log.set_serialize_value} applied in call order.
 */
public final class LogSerializer {

    private static final int MAX_HEADERS = LuaValues.DEFAULT_MAX_ARGS;

    private LogSerializer() {
    }

    public static Map<String, Object> serialize(KongRequest r) {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("id", r.requestId);
        request.put("uri", WireText.text(r.pathWithQuery()));
        request.put("url", r.scheme + "://" + r.host + ":" + r.port + WireText.text(r.pathWithQuery()));
        request.put("querystring", querystring(r.rawQuery));
        request.put("method", r.method);
        Map<String, List<String>> sentHeaders = new LinkedHashMap<>(r.headers);
        r.upstream.headers.forEach((name, values) -> {
            if (values.isEmpty()) {
                sentHeaders.remove(name);
            } else {
                sentHeaders.put(name, values);
            }
        });
        Map<String, Object> requestHeaders = headers(sentHeaders);
        for (String secret : List.of("authorization", "proxy-authorization")) {
            if (requestHeaders.containsKey(secret)) {
                requestHeaders.put(secret, "REDACTED");
            }
        }
        request.put("headers", requestHeaders);
        request.put("size", r.requestSize);

        Map<String, Object> response = new LinkedHashMap<>();
        response.put("status", (long) r.responseStatus);
        response.put("headers", headers(r.responseHeaders));
        response.put("size", r.responseSize);

        Map<String, Object> latencies = new LinkedHashMap<>();
        // whole milliseconds, as Kong's are (differences of ngx.now() * 1000, and $request_time's millisecond resolution)
        latencies.put("kong", (long) r.latencyKong);
        latencies.put("proxy", (long) r.latencyProxy);
        latencies.put("request", (long) r.latencyRequest);
        latencies.put("receive", (long) r.latencyReceive);

        Map<String, Object> record = new LinkedHashMap<>();
        record.put("request", request);
        record.put("upstream_uri", WireText.text(upstreamUri(r)));
        record.put("upstream_status", r.upstreamStatus);
        record.put("response", response);
        record.put("latencies", latencies);
        if (!r.tries.isEmpty()) {
            record.put("tries", new ArrayList<>(r.tries));
        }
        if (r.route != null) {
            record.put("route", r.route);
        }
        if (r.service != null) {
            record.put("service", r.service);
        }
        if (r.consumer != null) {
            record.put("consumer", r.consumer);
        }
        if (r.credential != null && r.consumer != null) {
            record.put("authenticated_entity", Map.of("id", r.credential.getOrDefault("id", ""), "consumer_id", r.consumer.getOrDefault("id", "")));
        }
        record.put("client_ip", r.clientIp);
        record.put("started_at", r.startedAtMillis);
        record.put("source", "exit".equals(r.responseSource) || "error".equals(r.responseSource) ? "kong" : "upstream");
        record.put("workspace", "00000000-0000-4000-8000-000000000000");
        record.put("workspace_name", "default");
        for (KongRequest.SerializeValue value : r.serializeValues) {
            apply(record, value);
        }
        return record;
    }

    /**
     * Kong's rule: $upstream_uri as the request left it, with the query added when the router's access.after did not
     * add it (a request that ended in rewrite or access).
     */
    private static String upstreamUri(KongRequest r) {
        String uri = r.upstreamUri;
        if (uri.isEmpty() || uri.contains("?")) {
            return uri;
        }
        String args = r.upstream.rawQuery != null ? r.upstream.rawQuery : r.rawQuery;
        return args.isEmpty() ? uri : uri + "?" + args;
    }

    private static Map<String, Object> querystring(String raw) {
        Map<String, Object> out = new LinkedHashMap<>();
        LuaValues.parseQuery(raw, LuaValues.DEFAULT_MAX_ARGS).forEach((k, v) -> out.put(k, v.isEmpty() ? (Object) true : v.size() == 1 ? v.getFirst() : v));
        return out;
    }

    private static Map<String, Object> headers(Map<String, List<String>> headers) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> entry : headers.entrySet()) {
            if (out.size() == MAX_HEADERS) {
                break;
            }
            List<String> values = entry.getValue();
            if (!values.isEmpty()) {
                out.put(entry.getKey().toLowerCase(Locale.ROOT), values.size() == 1 ? WireText.text(values.getFirst())
                        : WireText.text(values));
            }
        }
        return out;
    }

    /** Kong's rules: dotted keys nest ({@code \.} is a literal dot); modes set, add (if absent), replace (if present). */
    @SuppressWarnings("unchecked")
    static void apply(Map<String, Object> record, KongRequest.SerializeValue value) {
        List<String> parts = splitKey(value.key());
        Map<String, Object> node = record;
        for (int i = 0; i < parts.size() - 1; i++) {
            Object child = node.get(parts.get(i));
            if (child == null) {
                if ("replace".equals(value.mode())) {
                    return;
                }
                child = new LinkedHashMap<String, Object>();
                node.put(parts.get(i), child);
            }
            if (!(child instanceof Map<?, ?>)) {
                throw new IllegalArgumentException("The key '" + value.key() + "' could not be used as a serialize value. Subkey '"
                        + parts.get(i) + "' is not a table. It's " + child);
            }
            node = (Map<String, Object>) child;
        }
        String last = parts.getLast();
        switch (value.mode()) {
            case "add" -> {
                if (!node.containsKey(last)) {
                    node.put(last, value.value());
                }
            }
            case "replace" -> {
                if (node.containsKey(last)) {
                    put(node, last, value.value());
                }
            }
            default -> put(node, last, value.value());
        }
    }

    private static void put(Map<String, Object> node, String key, Object value) {
        if (value == null) {
            node.remove(key);
        } else {
            node.put(key, value);
        }
    }

    private static List<String> splitKey(String key) {
        List<String> parts = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c == '\\' && i + 1 < key.length() && key.charAt(i + 1) == '.') {
                current.append('.');
                i++;
            } else if (c == '.') {
                parts.add(current.toString());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        parts.add(current.toString());
        return parts;
    }
}
