package io.kongjava.pdk.testkit;

import io.kongjava.emulation.KongRequest;
import io.kongjava.emulation.WireText;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** A client request as Kong would receive it, and optionally the upstream's answer for the response phase. */
public final class TestRequest {

    private final String method;
    private final URI url;
    private final Map<String, List<String>> headers = new LinkedHashMap<>();
    private byte[] body = new byte[0];
    private String clientIp = "127.0.0.1";
    private String requestId;
    private KongRequest.UpstreamResponse upstreamResponse;
    private Map<String, Object> route;
    private Map<String, Object> service;
    private Map<String, Object> consumer;
    private Map<String, Object> credential;
    private final Map<String, Object> ctxShared = new LinkedHashMap<>();
    private List<String> trustedIps = List.of();
    private Integer clientBodyBufferSize;

    private TestRequest(String method, String url) {
        this.method = method;
        this.url = URI.create(url);
    }

    public static TestRequest get(String url) {
        return new TestRequest("GET", url);
    }

    public static TestRequest post(String url, String body) {
        return new TestRequest("POST", url).body(body);
    }

    public static TestRequest of(String method, String url) {
        return new TestRequest(method.toUpperCase(Locale.ROOT), url);
    }

    public TestRequest header(String name, String value) {
        headers.computeIfAbsent(name.toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(value);
        return this;
    }

    public TestRequest body(String text) {
        return body(text.getBytes(StandardCharsets.UTF_8));
    }

    public TestRequest body(byte[] bytes) {
        this.body = bytes.clone();
        return this;
    }

    public TestRequest clientIp(String ip) {
        this.clientIp = ip;
        return this;
    }

    /** Kong's request id ({@code request.id} in the log record); random when not given. */
    public TestRequest requestId(String id) {
        this.requestId = id;
        return this;
    }

    /** What the upstream answers, for plugins with a response phase (Kong buffers it for them). */
    public TestRequest upstreamResponse(int status, Map<String, List<String>> headers, String body) {
        Map<String, List<String>> named = new java.util.LinkedHashMap<>();
        WireText.wire(headers).forEach((name, values) -> named.put(name.toLowerCase(java.util.Locale.ROOT), values)); // as nginx keys them
        this.upstreamResponse = new KongRequest.UpstreamResponse(status, named, body.getBytes(StandardCharsets.UTF_8));
        return this;
    }

    public TestRequest route(Map<String, Object> route) {
        this.route = route;
        return this;
    }

    public TestRequest service(Map<String, Object> service) {
        this.service = service;
        return this;
    }

    /**
     * The consumer (and credential) an authentication plugin earlier in the request identified, as Kong's entities
     * ({@code id}, {@code username}, {@code custom_id}, ...): what {@code kong.client.get_consumer} answers.
     */
    public TestRequest consumer(Map<String, Object> consumer, Map<String, Object> credential) {
        this.consumer = consumer;
        this.credential = credential;
        return this;
    }

    /** A value another plugin put in {@code kong.ctx.shared} before this one ran. */
    public TestRequest ctxShared(String key, Object value) {
        ctxShared.put(key, value);
        return this;
    }

    /** kong.conf's {@code trusted_ips} (addresses or CIDRs): whose X-Forwarded-* and X-Real-IP headers count. */
    public TestRequest trustedIps(String... ranges) {
        this.trustedIps = List.of(ranges);
        return this;
    }

    /**
     * nginx's {@code client_body_buffer_size} (8 KiB by default): a larger body is kept in a file, which some PDK
     * calls read only when told its size may be read ({@code getBody()} gives nothing for it, as under Kong).
     */
    public TestRequest clientBodyBufferSize(int bytes) {
        this.clientBodyBufferSize = bytes;
        return this;
    }

    KongRequest toKongRequest() {
        KongRequest request = new KongRequest();
        request.method = method;
        request.scheme = url.getScheme() == null ? "http" : url.getScheme();
        request.host = url.getHost() == null ? "localhost" : url.getHost();
        request.port = url.getPort() > 0 ? url.getPort() : "https".equals(request.scheme) ? 443 : 80;
        request.path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : WireText.wire(url.getRawPath());
        request.rawQuery = url.getRawQuery() == null ? "" : WireText.wire(url.getRawQuery());
        // as they would come off the wire: a header value in UTF-8
        WireText.wire(headers).forEach(request.headers::put);
        if (!request.headers.containsKey("host")) {
            request.headers.put("host", List.of(request.host + (url.getPort() > 0 ? ":" + url.getPort() : "")));
        }
        request.body = body;
        request.clientIp = clientIp;
        if (requestId != null) {
            request.requestId = requestId;
        }
        request.route = route;
        request.service = service;
        request.upstreamResponse = upstreamResponse;
        request.requestSize = body.length;
        request.consumer = consumer;
        request.credential = credential;
        request.ctxShared.putAll(ctxShared);
        if (!trustedIps.isEmpty()) {
            request.trustedIps = io.kongjava.emulation.IpRanges.parse(trustedIps);
        }
        if (clientBodyBufferSize != null) {
            request.clientBodyBufferSize = clientBodyBufferSize;
        }
        return request;
    }
}
