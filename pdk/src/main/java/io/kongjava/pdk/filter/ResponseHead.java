package io.kongjava.pdk.filter;

/** The response's status and headers before they are sent; a filter may change both in onHeaders. */
public final class ResponseHead {

    private int status;
    private final HttpFields headers;

    public ResponseHead(int status, HttpFields headers) {
        this.status = status;
        this.headers = headers;
    }

    public int status() {
        return status;
    }

    public void setStatus(int status) {
        if (status < 100 || status > 999) {
            throw new IllegalArgumentException("not an HTTP status: " + status);
        }
        this.status = status;
    }

    public HttpFields headers() {
        return headers;
    }
}
