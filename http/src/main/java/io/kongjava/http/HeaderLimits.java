package io.kongjava.http;

/**
 * nginx's {@code large_client_header_buffers} (Kong keeps nginx's default, {@code 4 8k}): the request line
 * must fit one buffer (else 414), each header line one buffer, and all of them the buffers together (else 400).
 */
public record HeaderLimits(int buffers, int bufferSize) {
    public static final HeaderLimits NGINX_DEFAULT = new HeaderLimits(4, 8 * 1024);

    /** The bytes of a request head, all buffers together. */
    public int total() {
        return buffers * bufferSize;
    }
}
