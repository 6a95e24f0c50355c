package io.kongjava.http;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * The gateway's upstream client: HTTP/1.1 over blocking sockets on the caller's (virtual) thread, with a
 * keep-alive pool per address. Chosen by measurement over OkHttp (bench/README.md): no lock shared by all
 * calls, no hand-off. It keeps an upstream connection as nginx does: only after an HTTP/1.1 answer without
 * {@code Connection: close} that was read to its end, within Kong's {@code upstream_keepalive_*} bounds
 * ({@link KeepAlive}). Before a plain connection is reused, it checks that the server
 * has not closed it meanwhile, as nginx notices a closed idle connection. One {@link #send} is one try;
 * {@link UpstreamAttempts} decides about the next. The connect, write and read timeouts are the Service's:
 * a blocking socket has no write timeout, so a body larger than what the socket buffers surely take is
 * written in pieces, each under a watchdog that closes the connection when the piece takes too long.
 */
public final class UpstreamClient implements AutoCloseable {

    /**
     * Kong's {@code upstream_keepalive_pool_size} (idle connections kept per address; 0: none kept),
     * {@code upstream_keepalive_max_requests} (requests one connection serves before it is closed; 0: no limit) and
     * {@code upstream_keepalive_idle_timeout} (zero: no limit).
     */
    public record KeepAlive(int poolSize, long maxRequests, java.time.Duration idleTimeout) {
        /** Kong's defaults: 512, 10,000 and 60 s. */
        public static final KeepAlive KONG_DEFAULTS = new KeepAlive(512, 10_000, java.time.Duration.ofSeconds(60));
    }

    private volatile KeepAlive keepAliveSettings = KeepAlive.KONG_DEFAULTS;
    private static final int MAX_RESPONSE_HEAD = 64 * 1024;
    /** Written without a watchdog: the socket's send buffer takes this much at once. */
    private static final int UNGUARDED_WRITE = 64 * 1024;
    private static final Pattern IP_ADDRESS = Pattern.compile("[0-9.]+|.*:.*");
    private static final Pattern STATUS = Pattern.compile("[0-9]{3}");
    private static final Pattern LENGTH = Pattern.compile("[0-9]{1,18}");
    private static final Pattern CHUNK_SIZE = Pattern.compile("[0-9a-fA-F]{1,15}");
    /** RFC 9110's token: what nginx takes for a header name. */
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+\\-.^_`|~0-9A-Za-z]+");

    public record Address(boolean tls, String host, int port) {
        // Written out: a record's generated equals and hashCode go through method handles, which the plugin
        // server's C1-only JIT does not inline, and the pool looks an address up twice a request.
        @Override
        public boolean equals(Object other) {
            return other instanceof Address that && tls == that.tls && port == that.port && java.util.Objects.equals(host, that.host);
        }

        @Override
        public int hashCode() {
            return (java.util.Objects.hashCode(host) * 31 + port) * 31 + (tls ? 1 : 0);
        }
    }

    /**
     * An answer head nginx refuses (a bad status line, header, Content-Length or Transfer-Encoding): a 502 that
     * proxy_next_upstream's default ({@code error timeout}) does not retry.
     */
    public static final class InvalidResponse extends IOException {
        InvalidResponse(String message) {
            super(message);
        }
    }

    /** Why one try failed, with what nginx's retry rules need to know. */
    public static final class AttemptFailed extends Exception {
        public final boolean requestSent;
        public final boolean reused;
        public final boolean timeout;
        /** The upstream answered with a head nginx refuses ({@link InvalidResponse}). */
        public final boolean invalidResponse;

        AttemptFailed(IOException cause, boolean requestSent, boolean reused) {
            super(cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage(), cause);
            this.requestSent = requestSent;
            this.reused = reused;
            this.timeout = cause instanceof InterruptedIOException;
            this.invalidResponse = cause instanceof InvalidResponse;
        }
    }

    /** An answer: its status, headers in order as received, and its body, read from the connection. */
    public static final class Response implements Closeable {
        public final int status;
        public final boolean http10;
        public final List<String[]> headers;
        public final InputStream body;
        private final Connection connection;
        private boolean done;

        Response(int status, boolean http10, List<String[]> headers, InputStream body, Connection connection) {
            this.status = status;
            this.http10 = http10;
            this.headers = headers;
            this.body = body;
            this.connection = connection;
        }

        public String header(String name) {
            for (String[] h : headers) {
                if (h[0].equalsIgnoreCase(name)) {
                    return h[1];
                }
            }
            return null;
        }

        /** After 101 Switching Protocols, the way to the upstream (its bytes back come in {@link #body}); null otherwise. */
        public OutputStream upgradedOutput() {
            return status == 101 ? connection.out : null;
        }

        /** Gives the connection back when the body was read to its end and it may carry another request. */
        @Override
        public void close() {
            if (done) {
                return;
            }
            done = true;
            connection.finish(body instanceof Bounded bounded && bounded.complete());
        }
    }

    /**
     * Ends one {@link #send} and the answer it returned from another thread (the client left): the connection is
     * closed, so a blocked connect, write or read fails at once, and it is never pooled. It closes the TCP channel
     * under TLS too, not the TLS socket, whose close would wait for the blocked reader's lock to send close_notify.
     */
    public static final class Cancellation {
        private volatile boolean cancelled;
        private volatile Closeable connection;

        public synchronized void cancel() {
            cancelled = true;
            closeQuietly(connection);
        }

        /** Lets the connection go back to the pool: false when cancelled, and then it must not. */
        synchronized boolean release() {
            connection = null;
            return !cancelled;
        }

        public boolean cancelled() {
            return cancelled;
        }

        synchronized void attach(Closeable current) throws IOException {
            connection = current;
            if (cancelled) {
                closeQuietly(current);
                throw new IOException("cancelled");
            }
        }

        private static void closeQuietly(Closeable closeable) {
            if (closeable != null) {
                try {
                    closeable.close();
                } catch (IOException e) {
                    // closing anyway
                }
            }
        }
    }

    private final SSLSocketFactory tls;
    private final boolean verifyHostname;
    private final java.util.concurrent.ScheduledExecutorService watchdog = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("upstream-write-timeout").factory());
    private final Map<Address, ConcurrentLinkedDeque<Connection>> idle = new ConcurrentHashMap<>();

    /** With the JVM's trust store, as the gateway runs it. */
    public UpstreamClient() {
        this((SSLSocketFactory) SSLSocketFactory.getDefault());
    }

    public UpstreamClient(SSLSocketFactory tls) {
        this(tls, true);
    }

    /**
     * With {@code tls} for https upstreams; {@code verifyHostname} false leaves the certificate's names
     * unchecked (Kong's {@code tls_verify} off, with a factory that trusts any certificate).
     */
    public UpstreamClient(SSLSocketFactory tls, boolean verifyHostname) {
        this.tls = tls;
        this.verifyHostname = verifyHostname;
    }

    private volatile int maxResponseHead = MAX_RESPONSE_HEAD;

    /**
     * Refuses (502, not retried) a response whose status line and headers take more than {@code bytes}: nginx's
     * {@code proxy_buffer_size}, one memory page unless set, answers such a response "upstream sent too big header".
     */
    public UpstreamClient withMaxResponseHead(int bytes) {
        this.maxResponseHead = bytes;
        return this;
    }

    /** Keeps connections within {@code settings} from now on. */
    public UpstreamClient withKeepAlive(KeepAlive settings) {
        this.keepAliveSettings = settings;
        return this;
    }

    /**
     * One try: {@code headers} as they go upstream (Host included), a body sent with its length.
     *
     * @throws AttemptFailed when no answer head came back
     */
    public Response send(Address address, String method, String target, List<String[]> headers, byte[] body,
                  int connectTimeoutMs, int writeTimeoutMs, int readTimeoutMs) throws AttemptFailed {
        return send(address, method, target, headers, body, connectTimeoutMs, writeTimeoutMs, readTimeoutMs, null);
    }

    /** As above; {@code cancellation}, when not null, can end the try and its answer from another thread. */
    public Response send(Address address, String method, String target, List<String[]> headers, byte[] body,
                         int connectTimeoutMs, int writeTimeoutMs, int readTimeoutMs, Cancellation cancellation) throws AttemptFailed {
        return send(address, method, target, headers, body, null, connectTimeoutMs, writeTimeoutMs, readTimeoutMs, cancellation);
    }

    /**
     * A body that goes upstream as it is read from the client (nginx's {@code proxy_request_buffering off}): with its
     * length when the client declared one ({@code length >= 0}), chunked otherwise. Once a byte of it has been read it
     * cannot be sent again: {@link #started()} says so, and a try that fails then cannot be retried.
     */
    public static final class StreamedBody {
        private final InputStream in;
        private final long length;
        private long read;
        private boolean started;

        public StreamedBody(InputStream in, long length) {
            this.in = in;
            this.length = length;
        }

        public boolean started() {
            return started;
        }

        /** The bytes read from the client so far. */
        public long bytesRead() {
            return read;
        }

        private int read(byte[] buffer) throws IOException {
            started = true;
            int n = in.read(buffer);
            if (n > 0) {
                read += n;
            }
            return n;
        }
    }

    /** As above, the body read from the client while it is sent. */
    public Response send(Address address, String method, String target, List<String[]> headers, StreamedBody body,
                         int connectTimeoutMs, int writeTimeoutMs, int readTimeoutMs, Cancellation cancellation) throws AttemptFailed {
        return send(address, method, target, headers, null, body, connectTimeoutMs, writeTimeoutMs, readTimeoutMs, cancellation);
    }

    private Response send(Address address, String method, String target, List<String[]> headers, byte[] body, StreamedBody streamed,
                          int connectTimeoutMs, int writeTimeoutMs, int readTimeoutMs, Cancellation cancellation) throws AttemptFailed {
        Connection connection = pooled(address);
        boolean reused = connection != null;
        boolean sent = false;
        try {
            if (connection == null) {
                connection = connect(address, connectTimeoutMs, cancellation);
            } else if (cancellation != null) {
                cancellation.attach(connection.channel);
            }
            if (cancellation != null) {
                connection.cancellation = cancellation;
            }
            connection.socket.setSoTimeout(readTimeoutMs);
            StringBuilder head = new StringBuilder(512).append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
            for (String[] h : headers) {
                head.append(h[0]).append(": ").append(h[1]).append("\r\n");
            }
            if (streamed != null) {
                head.append(streamed.length >= 0 ? "Content-Length: " + streamed.length : "Transfer-Encoding: chunked").append("\r\n");
            } else if (body.length > 0 || method.equals("POST") || method.equals("PUT") || method.equals("PATCH")) {
                head.append("Content-Length: ").append(body.length).append("\r\n");
            }
            head.append("\r\n");
            sent = true;
            connection.served++;
            connection.out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            if (streamed != null) {
                writeStreamed(connection, streamed, writeTimeoutMs);
            } else if (body.length <= UNGUARDED_WRITE) {
                connection.out.write(body);
                connection.out.flush();
            } else {
                writeGuarded(connection, body, writeTimeoutMs);
            }
            return connection.readResponse(method);
        } catch (IOException e) {
            if (connection != null) {
                connection.close();
            }
            throw new AttemptFailed(e, sent, reused);
        }
    }

    /** Each piece as it comes from the client, under the same write timeout as a buffered body's pieces. */
    private void writeStreamed(Connection connection, StreamedBody body, int writeTimeoutMs) throws IOException {
        connection.out.flush(); // the head goes at once, as nginx connects and sends it before the body has come
        byte[] buffer = new byte[16 * 1024];
        boolean chunked = body.length < 0;
        int n;
        while ((n = body.read(buffer)) > 0) {
            byte[] piece = chunked ? chunk(buffer, n) : java.util.Arrays.copyOf(buffer, n);
            writeGuarded(connection, piece, writeTimeoutMs);
        }
        if (chunked) {
            writeGuarded(connection, "0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), writeTimeoutMs);
        } else if (body.read != body.length) {
            throw new IOException("the client's body ended after " + body.read + " of " + body.length + " bytes");
        }
    }

    private static byte[] chunk(byte[] data, int length) {
        byte[] size = (Integer.toHexString(length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
        byte[] out = new byte[size.length + length + 2];
        System.arraycopy(size, 0, out, 0, size.length);
        System.arraycopy(data, 0, out, size.length, length);
        out[out.length - 2] = '\r';
        out[out.length - 1] = '\n';
        return out;
    }

    /** Kong's write_timeout is between two successive writes: each piece of the body gets that long. */
    private void writeGuarded(Connection connection, byte[] body, int writeTimeoutMs) throws IOException {
        connection.out.flush();
        java.util.concurrent.atomic.AtomicBoolean timedOut = new java.util.concurrent.atomic.AtomicBoolean();
        for (int offset = 0; offset < body.length; offset += UNGUARDED_WRITE) {
            java.util.concurrent.ScheduledFuture<?> alarm = watchdog.schedule(() -> {
                timedOut.set(true);
                connection.close();
            }, writeTimeoutMs, TimeUnit.MILLISECONDS);
            try {
                connection.out.write(body, offset, Math.min(UNGUARDED_WRITE, body.length - offset));
                connection.out.flush();
            } catch (IOException e) {
                if (timedOut.get()) {
                    throw new java.net.SocketTimeoutException("writing the request body timed out after " + writeTimeoutMs + " ms");
                }
                throw e;
            } finally {
                alarm.cancel(false);
            }
        }
    }

    private Connection pooled(Address address) {
        ConcurrentLinkedDeque<Connection> connections = idle.get(address);
        if (connections == null) {
            return null;
        }
        Connection c;
        while ((c = connections.pollFirst()) != null) {
            java.time.Duration idleTimeout = keepAliveSettings.idleTimeout();
            if ((idleTimeout.isZero() || System.nanoTime() - c.idleSince < idleTimeout.toNanos()) && c.peerStillOpen()) {
                return c;
            }
            c.close();
        }
        return null;
    }

    private Connection connect(Address address, int connectTimeoutMs, Cancellation cancellation) throws IOException {
        SocketChannel channel = SocketChannel.open();
        try {
            if (cancellation != null) {
                cancellation.attach(channel);
            }
            channel.socket().connect(new InetSocketAddress(address.host(), address.port()), connectTimeoutMs);
            channel.socket().setTcpNoDelay(true);
            Socket socket = channel.socket();
            if (address.tls()) {
                SSLSocket ssl = (SSLSocket) tls.createSocket(socket, address.host(), address.port(), true);
                SSLParameters parameters = ssl.getSSLParameters();
                if (verifyHostname) {
                    parameters.setEndpointIdentificationAlgorithm("HTTPS");
                }
                if (!IP_ADDRESS.matcher(address.host()).matches()) {
                    parameters.setServerNames(List.of(new SNIHostName(address.host())));
                }
                ssl.setSSLParameters(parameters);
                ssl.setSoTimeout(connectTimeoutMs);
                ssl.startHandshake();
                return new Connection(address, channel, ssl);
            }
            return new Connection(address, channel, socket);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    @Override
    public void close() {
        watchdog.shutdownNow();
        idle.values().forEach(connections -> connections.forEach(Connection::close));
        idle.clear();
    }

    /** A body that knows whether it was read to its end. */
    private interface Bounded {
        boolean complete();
    }

    private final class Connection {
        final Address address;
        /** The TCP connection under the socket (under TLS too), to look for a close without blocking. */
        final SocketChannel channel;
        final Socket socket;
        final HttpInput in;
        final OutputStream out;
        long idleSince;
        /** Requests sent on this connection: Kong's upstream_keepalive_max_requests closes it at its bound. */
        long served;
        boolean keepAlive;
        Cancellation cancellation;

        Connection(Address address, SocketChannel channel, Socket socket) throws IOException {
            this.address = address;
            this.channel = channel;
            this.socket = socket;
            this.in = new HttpInput(socket.getInputStream(), 16 * 1024);
            this.out = new BufferedOutputStream(socket.getOutputStream(), 16 * 1024);
        }

        /**
         * nginx drops an idle upstream connection when the server closes it; this looks before reuse. Any byte
         * on an idle connection means it cannot be used: a close, or under TLS a close_notify alert.
         */
        boolean peerStillOpen() {
            if (socket.isClosed() || socket.isInputShutdown()) {
                return false;
            }
            try {
                if (in.available() > 0) {
                    return false; // bytes nobody asked for: the connection is out of step
                }
                channel.configureBlocking(false);
                try {
                    return channel.read(ByteBuffer.allocate(1)) == 0;
                } finally {
                    channel.configureBlocking(true);
                }
            } catch (IOException e) {
                return false;
            }
        }

        Response readResponse(String method) throws IOException {
            while (true) {
                String statusLine = line();
                if (statusLine == null) {
                    throw new IOException("the upstream closed the connection without an answer");
                }
                String[] parts = statusLine.split(" ", 3);
                if (parts.length < 2 || !parts[0].startsWith("HTTP/1.") || !STATUS.matcher(parts[1]).matches()) {
                    throw new InvalidResponse("an invalid status line from the upstream: " + abbreviate(statusLine));
                }
                int status = Integer.parseInt(parts[1]);
                boolean http10 = parts[0].equals("HTTP/1.0");
                List<String[]> headers = new ArrayList<>();
                int limit = maxResponseHead;
                int size = statusLine.length() + 2;
                String header;
                while (!(header = line()).isEmpty()) {
                    size += header.length() + 2; // as nginx's buffer holds them, with their CR LF
                    int colon = header.indexOf(':');
                    if (size + 2 > limit) {
                        throw new InvalidResponse("upstream sent too big header (over " + limit + " bytes; nginx's proxy_buffer_size)");
                    }
                    if (colon <= 0 || !HEADER_NAME.matcher(header).region(0, colon).matches()) {
                        throw new InvalidResponse("an invalid header line from the upstream: " + abbreviate(header));
                    }
                    headers.add(new String[] {header.substring(0, colon), header.substring(colon + 1).strip()});
                }
                if (status >= 100 && status < 200 && status != 101) {
                    continue; // an interim answer (100 Continue, 103 Early Hints): the final one follows
                }
                String connection = value(headers, "connection");
                keepAlive = !http10 && (connection == null || !connection.toLowerCase(Locale.ROOT).contains("close"));
                String encoding = value(headers, "transfer-encoding");
                String length = framingLength(headers, encoding);
                InputStream body;
                if (method.equals("HEAD") || status == 204 || status == 304) {
                    body = new FixedBody(0);
                } else if (encoding != null) {
                    body = new ChunkedBody();
                } else if (length != null) {
                    body = new FixedBody(Long.parseLong(length));
                } else {
                    keepAlive = false; // the end of the connection ends the body
                    body = new UntilClose();
                }
                return new Response(status, http10, headers, body, this);
            }
        }

        /**
         * The answer's Content-Length, checked as nginx checks an upstream's: one valid value (repeats of it allowed),
         * not beside a Transfer-Encoding, which must be chunked; null when there is none.
         */
        private static String framingLength(List<String[]> headers, String encoding) throws InvalidResponse {
            String length = null;
            int encodings = 0;
            for (String[] header : headers) {
                if (header[0].equalsIgnoreCase("content-length")) {
                    if (!LENGTH.matcher(header[1]).matches() || (length != null && !length.equals(header[1]))) {
                        throw new InvalidResponse("an invalid Content-Length from the upstream: " + abbreviate(header[1]));
                    }
                    length = header[1];
                } else if (header[0].equalsIgnoreCase("transfer-encoding")) {
                    encodings++;
                }
            }
            if (encoding != null) {
                if (encodings > 1 || !encoding.equalsIgnoreCase("chunked")) {
                    throw new InvalidResponse("an unknown Transfer-Encoding from the upstream: " + abbreviate(encoding));
                }
                if (length != null) {
                    throw new InvalidResponse("both Content-Length and Transfer-Encoding from the upstream");
                }
            }
            return length;
        }

        void finish(boolean complete) {
            Cancellation releasing = cancellation;
            cancellation = null;
            KeepAlive bounds = keepAliveSettings;
            boolean mayServeMore = bounds.maxRequests() == 0 || served < bounds.maxRequests();
            if (complete && keepAlive && bounds.poolSize() > 0 && mayServeMore && (releasing == null || releasing.release())) {
                idleSince = System.nanoTime();
                ConcurrentLinkedDeque<Connection> connections = idle.computeIfAbsent(address, a -> new ConcurrentLinkedDeque<>());
                if (connections.size() < bounds.poolSize()) {
                    connections.addFirst(this);
                    return;
                }
            }
            close();
        }

        void close() {
            try {
                socket.close();
            } catch (IOException e) {
                // closing anyway
            }
        }

        private String line() throws IOException {
            try {
                return in.readLine(maxResponseHead);
            } catch (HttpInput.LineTooLong e) {
                throw new InvalidResponse("upstream sent too big header (a line over " + maxResponseHead + " bytes; nginx's proxy_buffer_size)");
            } catch (HttpInput.BareCarriageReturn e) {
                throw new InvalidResponse("a CR inside a line from the upstream"); // nginx: "upstream sent invalid header"
            }
        }

        private final class FixedBody extends FixedLengthBody implements Bounded {
            FixedBody(long length) {
                super(in, length, "the upstream");
            }
        }

        private final class ChunkedBody extends InputStream implements Bounded {
            private long chunk;
            private boolean ended;

            @Override
            public boolean complete() {
                return ended;
            }

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (ended) {
                    return -1;
                }
                if (chunk == 0) {
                    String size = line();
                    if (size == null) {
                        throw new IOException("the upstream closed the connection before the body's last chunk");
                    }
                    String hex = size.split(";", 2)[0].strip();
                    if (!CHUNK_SIZE.matcher(hex).matches()) {
                        throw new IOException("an invalid chunk size from the upstream");
                    }
                    chunk = Long.parseLong(hex, 16);
                    if (chunk == 0) {
                        String trailer;
                        do {
                            trailer = line();
                        } while (trailer != null && !trailer.isEmpty());
                        ended = trailer != null;
                        return -1;
                    }
                }
                int n = in.read(b, off, (int) Math.min(len, chunk));
                if (n < 0) {
                    throw new IOException("the upstream closed the connection in a chunk");
                }
                chunk -= n;
                if (chunk == 0 && line() == null) {
                    throw new IOException("the upstream closed the connection after a chunk");
                }
                return n;
            }
        }

        private final class UntilClose extends InputStream {
            @Override
            public int read() throws IOException {
                return in.read();
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return in.read(b, off, len);
            }
        }
    }

    private static String value(List<String[]> headers, String name) {
        for (String[] h : headers) {
            if (h[0].equalsIgnoreCase(name)) {
                return h[1];
            }
        }
        return null;
    }

    private static String abbreviate(String text) {
        return text.length() > 100 ? text.substring(0, 100) + "..." : text;
    }
}
