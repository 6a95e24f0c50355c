package io.kongjava.pdk.filter;

import java.net.URI;
import java.util.Objects;

/**
 * The request the relay is about to send upstream: Kong's request to the Service, as Kong would have sent it
 * (method, path and query after the route's rules, headers), to the Service's URL or the one a filter set.
 */
public final class UpstreamRequest {

    private final String method;
    private URI url;
    private final HttpFields headers;
    private byte[] body;

    public UpstreamRequest(String method, URI url, HttpFields headers, byte[] body) {
        this.method = Objects.requireNonNull(method);
        this.url = url;
        this.headers = Objects.requireNonNull(headers);
        this.body = Objects.requireNonNull(body);
    }

    public String method() {
        return method;
    }

    /** Absolute http(s) URL with path and query; null only when the route has no Service and no filter set one. */
    public URI url() {
        return url;
    }

    public void setUrl(URI url) {
        if (url == null || url.getHost() == null || !("http".equals(url.getScheme()) || "https".equals(url.getScheme()))) {
            throw new IllegalArgumentException("an upstream URL is an absolute http or https URL, not " + url);
        }
        this.url = url;
    }

    /** The headers to send; Host is set from the URL unless present here. */
    public HttpFields headers() {
        return headers;
    }

    public byte[] body() {
        return body;
    }

    public void setBody(byte[] body) {
        this.body = Objects.requireNonNull(body);
    }
}
