package io.kongjava.pdk.request;

import io.kongjava.pdk.PdkException;

/** {@link Request#getRawBody(long)}: the body is larger than the limit the plugin gave, for the plugin to answer (413). */
public final class BodyTooLargeException extends PdkException {

    private final long size;
    private final long limit;
    private final boolean declared;

    public BodyTooLargeException(String method, long size, long limit, boolean declared) {
        super(method, "request body too big: " + (declared ? "Content-Length " : "") + size + " > " + limit + " bytes");
        this.size = size;
        this.limit = limit;
        this.declared = declared;
    }

    /** The body's size in bytes: the Content-Length it declared, or what was read. */
    public long size() {
        return size;
    }

    /** The limit the plugin asked for. */
    public long limit() {
        return limit;
    }

    /** Whether the body was refused on its Content-Length, before Kong sent it. */
    public boolean declared() {
        return declared;
    }
}
