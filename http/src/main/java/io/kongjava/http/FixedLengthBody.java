package io.kongjava.http;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Exactly {@code length} bytes of a connection: an HTTP body framed by Content-Length, from the client (the
 * front server) or from the upstream (the upstream client). The peer closing the connection sooner is an error.
 */
public class FixedLengthBody extends InputStream {

    private final InputStream in;
    private final String peer;
    private long remaining;

    /** {@code peer} names who sends the body in the error, as {@code "the client"}. */
    public FixedLengthBody(InputStream in, long length, String peer) {
        this.in = in;
        this.remaining = length;
        this.peer = peer;
    }

    /** Whether the body was read to its end. */
    public boolean complete() {
        return remaining == 0;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (remaining == 0) {
            return -1;
        }
        int n = in.read(b, off, (int) Math.min(len, remaining));
        if (n < 0) {
            throw new IOException(peer + " closed the connection " + remaining + " bytes before the end of the body");
        }
        remaining -= n;
        return n;
    }
    @Override
    public long skip(long n) throws IOException {
        long skipped = 0;
        byte[] buffer = remaining == 0 ? null : new byte[(int) Math.min(8192, remaining)];
        while (skipped < n && remaining > 0) {
            int r = read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
            if (r < 0) {
                break;
            }
            skipped += r;
        }
        return skipped;
    }

    /** Allocates the body's size once, not in 16 KB steps as InputStream's would. */
    @Override
    public byte[] readNBytes(int len) throws IOException {
        byte[] body = new byte[(int) Math.min(len, remaining)];
        int read = readNBytes(body, 0, body.length);
        return read == body.length ? body : Arrays.copyOf(body, read);
    }
}
