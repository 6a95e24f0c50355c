package io.kongjava.http;

/**
 * nginx's rules for a request's head as Kong sets them. {@code large_client_header_buffers} ({@code 4 8k}, nginx's
 * default, which Kong keeps): the request line must fit one buffer (else 414), each header line one buffer, and all of
 * them the buffers together (else 400). {@code underscores_in_headers}: Kong's nginx template turns it {@code on}
 * (kong/templates/nginx_kong.lua, every 3.x), so {@code x_api_key} reaches plugins and the upstream; with {@code off}
 * (nginx's own default, or kong.conf's {@code nginx_http_underscores_in_headers = off}) such a header is dropped, as any
 * other name of characters nginx does not take (its {@code ignore_invalid_headers}).
 */
public record HeaderLimits(int buffers, int bufferSize, boolean underscoresInHeaders) {
    /** What Kong's nginx.conf gives its proxy: nginx's buffers, underscores in names taken. */
    public static final HeaderLimits KONG_DEFAULT = new HeaderLimits(4, 8 * 1024, true);
    /** nginx without Kong's template: underscores in names dropped. */
    public static final HeaderLimits NGINX_DEFAULT = new HeaderLimits(4, 8 * 1024, false);
    /** For a server that takes what nginx already let through (the relay behind Kong). */
    public static final HeaderLimits BEHIND_NGINX = KONG_DEFAULT;

    /** Buffers as given, underscores taken as Kong takes them. */
    public HeaderLimits(int buffers, int bufferSize) {
        this(buffers, bufferSize, true);
    }

    /** The bytes of a request head, all buffers together. */
    public int total() {
        return buffers * bufferSize;
    }
}
