package io.kongjava.http;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * A buffered stream for HTTP/1.1 on one connection, used by one thread at a time: unlike
 * {@link java.io.BufferedInputStream} it takes no lock per byte, and it reads a line from its buffer at once.
 */
public final class HttpInput extends InputStream {

    /** A line longer than the reader allows. */
    public static final class LineTooLong extends IOException {
        LineTooLong(int max) {
            super("a line over " + max + " bytes");
        }
    }

    /**
     * A CR that does not end its line. HTTP/1.1 allows either refusing the message or reading the CR as a space;
     * nginx refuses ("client sent invalid header line", "upstream sent invalid header"), and so do we: a CR that one
     * reader drops and another honours is how a request is smuggled past a proxy.
     */
    public static final class BareCarriageReturn extends IOException {
        BareCarriageReturn() {
            super("a CR that does not end its line");
        }
    }

    private final InputStream raw;
    private final byte[] buffer;
    private int position;
    private int limit;

    public HttpInput(InputStream raw, int size) {
        this.raw = raw;
        this.buffer = new byte[size];
    }

    /** Run before each read from the network while set; may throw to end the wait (a deadline over several reads). */
    @FunctionalInterface
    public interface BeforeRead {
        void check() throws IOException;
    }

    private BeforeRead beforeRead;

    /** Sets (or with null clears) what runs before each read from the network. */
    public void beforeEachRead(BeforeRead check) {
        this.beforeRead = check;
    }

    private boolean fill() throws IOException {
        if (beforeRead != null) {
            beforeRead.check();
        }
        int n = raw.read(buffer, 0, buffer.length);
        if (n <= 0) {
            return false;
        }
        position = 0;
        limit = n;
        return true;
    }

    /**
     * The next line without its CR LF (or bare LF), in ISO-8859-1; null at the end of the stream before any byte; a
     * last line without LF as it is.
     *
     * @throws LineTooLong when the line holds more than {@code max} bytes
     * @throws BareCarriageReturn when a CR stands anywhere but right before the LF
     */
    public String readLine(int max) throws IOException {
        byte[] collected = null;
        int length = 0;
        while (true) {
            if (position == limit && !fill()) {
                return collected == null ? null : finish(collected, length, false, max);
            }
            int end = position;
            while (end < limit && buffer[end] != '\n') {
                end++;
            }
            boolean found = end < limit;
            if (collected == null && found) { // the usual case: the whole line is in the buffer
                int stop = end;
                if (stop > position && buffer[stop - 1] == '\r') {
                    stop--;
                }
                if (stop - position > max) {
                    throw new LineTooLong(max);
                }
                if (indexOfCr(position, stop) >= 0) {
                    throw new BareCarriageReturn();
                }
                String line = new String(buffer, position, stop - position, StandardCharsets.ISO_8859_1);
                position = end + 1;
                return line;
            }
            if (collected == null) {
                collected = new byte[Math.min(max, 1024) + 2];
            }
            int n = end - position;
            if (length + n > max + 1) { // one byte more than max may be the CR before the LF
                throw new LineTooLong(max);
            }
            if (length + n > collected.length) {
                collected = java.util.Arrays.copyOf(collected, Math.min(max + 2, Math.max(length + n, collected.length * 2)));
            }
            System.arraycopy(buffer, position, collected, length, n);
            length += n;
            position = found ? end + 1 : end;
            if (found) {
                return finish(collected, length, true, max);
            }
        }
    }

    private static String finish(byte[] line, int length, boolean endedByLf, int max) throws IOException {
        if (endedByLf && length > 0 && line[length - 1] == '\r') {
            length--;
        }
        if (length > max) {
            throw new LineTooLong(max);
        }
        for (int i = 0; i < length; i++) {
            if (line[i] == '\r') {
                throw new BareCarriageReturn();
            }
        }
        return new String(line, 0, length, StandardCharsets.ISO_8859_1);
    }

    /**
     * Blocks until at least one byte is buffered (true) or the peer ended the stream (false), consuming nothing:
     * what arrives stays for the next read.
     */
    boolean awaitBytes() throws IOException {
        return position < limit || fill();
    }

    private int indexOfCr(int from, int to) {
        for (int i = from; i < to; i++) {
            if (buffer[i] == '\r') {
                return i;
            }
        }
        return -1;
    }

    /** Waits until the client has sent something (a next request); false when it closed the connection instead. */
    public boolean awaitData() throws IOException {
        return position < limit || fill();
    }

    @Override
    public int read() throws IOException {
        if (position == limit && !fill()) {
            return -1;
        }
        return buffer[position++] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (position == limit) {
            if (len >= buffer.length) {
                return raw.read(b, off, len); // a large read goes straight to the socket
            }
            if (!fill()) {
                return -1;
            }
        }
        int n = Math.min(len, limit - position);
        System.arraycopy(buffer, position, b, off, n);
        position += n;
        return n;
    }

    @Override
    public int available() throws IOException {
        return limit - position;
    }

    @Override
    public void close() throws IOException {
        raw.close();
    }
}
