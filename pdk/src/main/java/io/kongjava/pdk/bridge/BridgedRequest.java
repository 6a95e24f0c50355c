package io.kongjava.pdk.bridge;

import static io.kongjava.pdk.bridge.Calls.required;

import io.kongjava.catalogue.PdkFunction;
import io.kongjava.pdk.PdkException;
import io.kongjava.pdk.internal.Wire;
import io.kongjava.pdk.request.Request;
import io.kongjava.pdk.request.UriCaptures;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** {@code kong.request} over a {@link Bridge}: one Kong PDK function per method, named from the catalogue. */
record BridgedRequest(Calls calls) implements Request {

    @Override public String getScheme() throws PdkException { return calls.text(PdkFunction.REQUEST_GET_SCHEME); }
    @Override public String getHost() throws PdkException { return calls.text(PdkFunction.REQUEST_GET_HOST); }
    @Override public int getPort() throws PdkException { return calls.intValue(PdkFunction.REQUEST_GET_PORT); }
    @Override public String getForwardedScheme() throws PdkException { return calls.text(PdkFunction.REQUEST_GET_FORWARDED_SCHEME); }
    @Override public String getForwardedHost() throws PdkException { return calls.text(PdkFunction.REQUEST_GET_FORWARDED_HOST); }
    @Override public int getForwardedPort() throws PdkException { return calls.intValue(PdkFunction.REQUEST_GET_FORWARDED_PORT); }
    @Override public String getForwardedPath() throws PdkException { return calls.text(PdkFunction.REQUEST_GET_FORWARDED_PATH); }
    @Override public Optional<String> getForwardedPrefix() throws PdkException { return calls.optionalText(PdkFunction.REQUEST_GET_FORWARDED_PREFIX); }
    @Override public double getHttpVersion() throws PdkException { return calls.number(PdkFunction.REQUEST_GET_HTTP_VERSION); }
    @Override public String getMethod() throws PdkException { return calls.text(PdkFunction.REQUEST_GET_METHOD); }
    @Override public String getPath() throws PdkException { return calls.text(PdkFunction.REQUEST_GET_PATH); }
    @Override public String getRawPath() throws PdkException { return calls.text(PdkFunction.REQUEST_GET_RAW_PATH); }
    @Override public String getPathWithQuery() throws PdkException { return calls.text(PdkFunction.REQUEST_GET_PATH_WITH_QUERY); }
    @Override public String getRawQuery() throws PdkException { return calls.text(PdkFunction.REQUEST_GET_RAW_QUERY); }

    @Override
    public Optional<String> getQueryArg(String name) throws PdkException {
        PdkFunction method = PdkFunction.REQUEST_GET_QUERY_ARG;
        Object v = calls.call(method, required(name, "name"));
        if (v == null || Boolean.FALSE.equals(v)) {
            return Optional.empty();
        }
        if (Boolean.TRUE.equals(v)) {
            return Optional.of("");
        }
        String s = Wire.textLenient(v);
        if (s != null) {
            return Optional.of(s);
        }
        List<Object> list = Wire.list(v);
        if (list != null) {
            for (Object o : list) {
                if (Boolean.TRUE.equals(o)) {
                    return Optional.of("");
                }
                String t = Wire.textLenient(o);
                if (t != null) {
                    return Optional.of(t);
                }
            }
            return Optional.empty();
        }
        throw Calls.unexpected(method, v);
    }

    @Override public Map<String, List<String>> getQuery() throws PdkException { return calls.multimap(PdkFunction.REQUEST_GET_QUERY); }
    @Override public Map<String, List<String>> getQuery(int maxArgs) throws PdkException { return calls.multimap(PdkFunction.REQUEST_GET_QUERY, PdkFunction.REQUEST_GET_QUERY.checked(1, maxArgs)); }
    @Override public Optional<String> getHeader(String name) throws PdkException { return calls.firstText(PdkFunction.REQUEST_GET_HEADER, required(name, "name")); }
    @Override public Map<String, List<String>> getHeaders() throws PdkException { return calls.headers(PdkFunction.REQUEST_GET_HEADERS); }
    @Override public Map<String, List<String>> getHeaders(int maxHeaders) throws PdkException { return calls.headers(PdkFunction.REQUEST_GET_HEADERS, PdkFunction.REQUEST_GET_HEADERS.checked(1, maxHeaders)); }
    @Override public byte[] getRawBody() throws PdkException { return getRawBody(0); }

    @Override
    public byte[] getRawBody(long maxAllowedFileSize) throws PdkException {
        long max = PdkFunction.REQUEST_GET_RAW_BODY.checked(1, maxAllowedFileSize);
        if (max > 0) {
            // a body that says it is too big is refused before Kong sends it over the socket (Kong's own
            // client_max_body_size is unlimited by default)
            Optional<String> length = calls.firstText(PdkFunction.REQUEST_GET_HEADER, "Content-Length");
            long declared = length.map(BridgedRequest::declaredLength).orElse(-1L);
            if (declared > max) {
                throw new io.kongjava.pdk.request.BodyTooLargeException(PdkFunction.REQUEST_GET_RAW_BODY.kongName(), declared, max, true);
            }
        }
        // 0: no limit. Kong's nil for a spooled body over a limit would kill the phase unanswered, so the limit is applied here.
        byte[] body = calls.bytes(PdkFunction.REQUEST_GET_RAW_BODY, 0L);
        if (max > 0 && body.length > max) {
            throw new io.kongjava.pdk.request.BodyTooLargeException(PdkFunction.REQUEST_GET_RAW_BODY.kongName(), body.length, max, false);
        }
        return body;
    }

    private static long declaredLength(String header) {
        try {
            return Long.parseLong(header.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    @Override public Optional<Object> getBody() throws PdkException { return calls.value(PdkFunction.REQUEST_GET_BODY); }
    @Override public Optional<Object> getBody(String mimetype) throws PdkException { return calls.value(PdkFunction.REQUEST_GET_BODY, mimetype); }

    @Override
    public Optional<Object> getBody(String mimetype, int maxArgs, long maxAllowedFileSize) throws PdkException {
        // Kong reads a nil mimetype as "use Content-Type", but a nil before max_args would be lost
        // in Args, so the Content-Type is looked up first (Kong answers nil without one too).
        String type = mimetype;
        if (type == null) {
            Optional<String> contentType = calls.firstText(PdkFunction.REQUEST_GET_HEADER, "Content-Type");
            if (contentType.isEmpty()) {
                return Optional.empty();
            }
            type = contentType.get();
        }
        return calls.value(PdkFunction.REQUEST_GET_BODY, type, maxArgs, maxAllowedFileSize);
    }

    @Override
    public long getStartTime() throws PdkException {
        return Math.round(calls.number(PdkFunction.REQUEST_GET_START_TIME));
    }

    @Override
    public UriCaptures getUriCaptures() throws PdkException {
        Map<String, Object> m = calls.map(PdkFunction.REQUEST_GET_URI_CAPTURES);
        List<String> unnamed = new ArrayList<>();
        Object raw = m.get("unnamed");
        if (raw instanceof Map<?, ?> byIndex && !byIndex.isEmpty()) {
            // Kong's table has the whole match at index 0 (atc-router's context turns capture names "0", "1", ...
            // into numbers), so MessagePack carries it as a map {0: whole, 1: group, ...}, not as an array
            java.util.TreeMap<Long, Object> ordered = new java.util.TreeMap<>();
            byIndex.forEach((key, value) -> {
                Long index = Wire.integer(key);
                if (index != null && index >= 0 && index < 1000) {
                    ordered.put(index, value);
                }
            });
            for (long i = 0; !ordered.isEmpty() && i <= ordered.lastKey(); i++) {
                String s = Wire.textLenient(ordered.get(i) instanceof Boolean ? null : ordered.get(i));
                unnamed.add(s == null ? "" : s);
            }
        } else {
            List<Object> rawUnnamed = Wire.list(raw);
            if (rawUnnamed != null) {
                for (Object o : rawUnnamed) {
                    String s = Wire.textLenient(o instanceof Boolean ? null : o);
                    unnamed.add(s == null ? "" : s);
                }
            }
        }
        Map<String, String> named = new LinkedHashMap<>();
        Map<String, Object> rawNamed = Wire.map(m.get("named"));
        if (rawNamed != null) {
            rawNamed.forEach((k, v) -> {
                String s = Wire.textLenient(v instanceof Boolean ? null : v);
                named.put(k, s == null ? "" : s);
            });
        }
        return new UriCaptures(unnamed, named);
    }
}
