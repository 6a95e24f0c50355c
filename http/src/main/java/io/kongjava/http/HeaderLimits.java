package io.kongjava.http;

/**
 * nginx's rules for a request's head, which Kong keeps at nginx's defaults. {@code large_client_header_buffers}
 * ({@code 4 8k}): the request line must fit one buffer (else 414), each header line one buffer, and all of them the
 * buffers together (else 400). {@code underscores_in_headers} ({@code off}): a header whose name has an underscore is
 * dropped, as any other name of characters nginx does not take (its {@code ignore_invalid_headers}), so neither a
 * plugin nor the upstream sees {@code x_api_key}.
 */
public record HeaderLimits(int buffers, int bufferSize, boolean underscoresInHeaders) {
    public static final HeaderLimits NGINX_DEFAULT = new HeaderLimits(4, 8 * 1024, false);
    /** For a server that takes what nginx already let through (the relay behind Kong, which may allow underscores). */
    public static final HeaderLimits BEHIND_NGINX = new HeaderLimits(4, 8 * 1024, true);

    public HeaderLimits(int buffers, int bufferSize) {
        this(buffers, bufferSize, false);
    }

    /** The bytes of a request head, all buffers together. */
    public int total() {
        return buffers * bufferSize;
    }
}
