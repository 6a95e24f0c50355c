package io.kongjava.http;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The local gateway's front server and the response relay's listener: HTTP/1.1 over blocking sockets, a thread
 * per connection ({@link PlatformFirstThreads}: platform threads, virtual ones past a limit), each request handed
 * to an {@link HttpHandler} as an {@link HttpExchange} (the JDK server's API, so the gateway runs on either).
 * Chosen by measurement over the JDK's HttpServer (bench/README.md): a request costs no selector hand-off and no
 * thread switch. It reads request heads within nginx's
 * {@code large_client_header_buffers} and answers the rest itself as nginx does (414, 400), decodes chunked
 * request bodies, answers {@code Expect: 100-continue}, keeps HTTP/1.1 connections alive (HTTP/1.0 only when
 * asked), and writes a body of unknown length chunked. A handler can ask to be told when the client
 * leaves while it works on the answer ({@link #watchClient}), which the JDK's server cannot tell until a write.
 */
public final class BlockingHttpServer implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(BlockingHttpServer.class.getName());
    /** nginx's keepalive_timeout and client_header_timeout / client_body_timeout defaults (75 s; 60 s). */
    private static final int IDLE_TIMEOUT_MS = 75_000;
    private static final int READ_TIMEOUT_MS = 60_000;
    /** nginx's client_header_timeout (Kong keeps its 60 s default): the whole request head, once its first byte came. */
    static volatile long headerTimeoutNanos = java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
    /** An unread request body up to this size is drained to keep the connection; a larger one closes it. */
    private static final long DRAIN_LIMIT = 64 * 1024;
    private static final Set<String> NO_BODY_STATUS = Set.of("204", "304");
    /** RFC 9110's IMF-fixdate, as nginx writes it: a two-digit day (Java's RFC_1123_DATE_TIME writes "3 Dec"). */
    private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", java.util.Locale.US);
    private static final Pattern METHOD = Pattern.compile("[A-Z]+");
    private static final Pattern HTTP_1X = Pattern.compile("HTTP/1\\.[0-9]{1,3}");
    private static final Pattern LATER_HTTP = Pattern.compile("HTTP/[2-9]\\.[0-9]{1,3}");
    private static final Pattern LENGTH = Pattern.compile("[0-9]{1,18}");
    /** How long an exchange runs before its client's side is watched: a client that leaves is noticed within about twice that. */
    private static final long WATCH_AFTER_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final DeferredWatches WATCHES = new DeferredWatches();
    private static final Pattern CHUNK_SIZE = Pattern.compile("[0-9a-fA-F]{1,15}");

    /** The answer to a request refused before it reaches the handler, from its status and message. */
    @FunctionalInterface
    public interface Refusal {
        RefusalAnswer answer(int status, String message);
    }

    /** A refusal's JSON body and headers of its own (beside Date, Content-Type, Content-Length and Connection). */
    public record RefusalAnswer(byte[] body, Map<String, String> headers) {
        public RefusalAnswer(byte[] body) {
            this(body, Map.of());
        }
    }

    private final ServerSocket listener;
    private final HeaderLimits limits;
    private final HttpHandler handler;
    private final Refusal refusal;
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    /** Each connection's way to its client, timed (nginx's send_timeout). */
    private final Map<Socket, SendTimeout> writers = new ConcurrentHashMap<>();
    /** nginx's send_timeout (Kong keeps its 60 s): a write to the client that does not complete in this long closes the connection. */
    static volatile long sendTimeoutNanos = TimeUnit.SECONDS.toNanos(60);

    /** The socket's output, noting when a write started: Java has no write timeout of its own. */
    private static final class SendTimeout extends java.io.FilterOutputStream {
        private final Socket socket;
        private volatile long writingSince;

        SendTimeout(Socket socket) throws IOException {
            super(socket.getOutputStream());
            this.socket = socket;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            writingSince = System.nanoTime();
            try {
                out.write(b, off, len);
            } finally {
                writingSince = 0;
            }
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        boolean stalled(long now, long limit) {
            long since = writingSince;
            return since != 0 && now - since > limit;
        }
    }

    /** Closes every connection whose client has not taken a write for send_timeout: a client that stopped reading. */
    private void closeStalledWrites() {
        while (!closed) {
            try {
                Thread.sleep(Math.max(10, Math.min(1000, TimeUnit.NANOSECONDS.toMillis(sendTimeoutNanos) / 4)));
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            long limit = sendTimeoutNanos;
            writers.forEach((socket, writer) -> {
                if (writer.stalled(now, limit)) {
                    LOG.log(Level.INFO, "client " + socket.getRemoteSocketAddress() + " took no data for send_timeout: connection closed");
                    try {
                        socket.close();
                    } catch (IOException e) {
                        // closing anyway
                    }
                }
            });
        }
    }

    /** Connections waiting for their next request (nginx's idle keep-alive ones). */
    private final Set<Socket> idle = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.atomic.LongAdder accepted = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder requests = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.AtomicInteger reading = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger writing = new java.util.concurrent.atomic.AtomicInteger();

    /**
     * nginx's stub_status figures ({@code kong.nginx.get_statistics}): connections open, reading a request head,
     * serving a request, waiting for a next one; connections accepted (all handled) and requests served, since start.
     */
    public record Statistics(long active, long reading, long writing, long waiting, long accepted, long handled, long requests) {
    }

    public Statistics statistics() {
        long active = connections.size();
        long readingNow = reading.get();
        long writingNow = writing.get();
        long total = accepted.sum();
        return new Statistics(active, readingNow, writingNow, Math.max(0, active - readingNow - writingNow), total, total, requests.sum());
    }
    private final PlatformFirstThreads threads = new PlatformFirstThreads("http-connection", PlatformFirstThreads.DEFAULT_LIMIT);
    private volatile boolean closed;
    private volatile boolean stopping;

    public BlockingHttpServer(InetSocketAddress address, int backlog, HeaderLimits limits, HttpHandler handler, Refusal refusal)
            throws IOException {
        this.limits = limits;
        this.handler = handler;
        this.refusal = refusal;
        listener = new ServerSocket();
        listener.setReuseAddress(true);
        listener.bind(address, backlog);
        Thread.ofPlatform().name("http-accept").daemon().start(this::accept);
        Thread.ofPlatform().name("http-send-timeout").daemon().start(this::closeStalledWrites);
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) listener.getLocalSocketAddress();
    }

    private void accept() {
        while (!closed && !stopping) {
            try {
                Socket socket = listener.accept();
                socket.setTcpNoDelay(true); // a streamed answer's small writes must not wait for a delayed ACK
                connections.add(socket);
                accepted.increment();
                threads.execute(() -> serve(socket));
            } catch (IOException e) {
                if (!closed && !stopping) {
                    LOG.log(Level.ERROR, "accept failed: " + e.getMessage());
                }
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            HttpInput in = new HttpInput(socket.getInputStream(), 16 * 1024);
            SendTimeout watched = new SendTimeout(socket);
            writers.put(socket, watched);
            OutputStream out = new BufferedOutputStream(watched, 16 * 1024);
            // asked once per connection: the socket's own address is a system call each time it is asked
            InetSocketAddress local = (InetSocketAddress) socket.getLocalSocketAddress();
            boolean keepAlive = true;
            boolean first = true;
            while (keepAlive && !closed && !stopping) {
                // a new connection's first request within client_header_timeout (60 s), later ones within keepalive_timeout
                socket.setSoTimeout(first ? (int) TimeUnit.NANOSECONDS.toMillis(headerTimeoutNanos) : IDLE_TIMEOUT_MS);
                first = false;
                idle.add(socket);
                boolean more;
                try {
                    more = in.awaitData();
                } finally {
                    idle.remove(socket);
                }
                if (!more || stopping) {
                    return; // the client closed between requests, or the server is stopping (nginx closes idle ones)
                }
                Head head;
                reading.incrementAndGet();
                // nginx's client_header_timeout bounds the whole head, not each read: a client sending it a byte at a time
                // must not hold the connection for ever. A head that came in one read never gets here.
                long headDeadline = System.nanoTime() + headerTimeoutNanos;
                in.beforeEachRead(() -> {
                    long left = headDeadline - System.nanoTime();
                    if (left <= 0) {
                        throw new SocketTimeoutException("client_header_timeout");
                    }
                    socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
                });
                try {
                    head = Head.read(in, limits);
                } catch (Refused refused) {
                    refuse(out, refused.status, refused.getMessage());
                    return;
                } finally {
                    in.beforeEachRead(null);
                    reading.decrementAndGet();
                }
                if (head == null) {
                    return; // the client closed between requests
                }
                requests.increment();
                writing.incrementAndGet();
                try {
                    socket.setSoTimeout(READ_TIMEOUT_MS);
                    Exchange exchange = new Exchange(socket, local, in, out, head);
                    if (exchange.refusal != null) {
                        refuse(out, exchange.refusal.status, exchange.refusal.getMessage());
                        return;
                    }
                    try {
                        handler.handle(exchange);
                    } finally {
                        exchange.close();
                    }
                    idle.add(socket); // between requests from here: a stop closes it (the watch may be waiting on it)
                    keepAlive = exchange.reusable() && exchange.clientStillThere();
                } finally {
                    writing.decrementAndGet();
                }
            }
        } catch (SocketTimeoutException e) {
            // idle too long, as nginx's keepalive_timeout
        } catch (IOException e) {
            LOG.log(Level.DEBUG, () -> "connection ended: " + e.getMessage());
        } finally {
            connections.remove(socket);
            idle.remove(socket);
            writers.remove(socket);
        }
    }

    /** A connection handed over whole after 101 Switching Protocols: what the client sends, and the way back to it. */
    public record Tunnel(InputStream in, OutputStream out, long headBytes) {
    }

    /**
     * Answers {@code exchange} with 101 Switching Protocols and {@code headers} (a WebSocket upgrade nginx passes on),
     * and hands its connection over: bytes either way are the caller's from now on, each read waiting at most
     * {@code idleTimeoutMs} (0: no limit); the connection closes when the handler returns. Null when the exchange is not this
     * server's (nothing was sent).
     */
    public static Tunnel switchProtocols(HttpExchange exchange, Map<String, List<String>> headers, int idleTimeoutMs) throws IOException {
        return exchange instanceof Exchange ours ? ours.switchProtocols(headers, idleTimeoutMs) : null;
    }

    /**
     * Has {@code onLeave} run, on another thread, as soon as the client of {@code exchange} closes or resets its
     * connection before the exchange ends: a blocked read on the client's side of the socket notices at once,
     * where a server that only writes notices at its next write. It watches from now until the handler
     * returns; call it after reading the request body, and read no more of it afterwards. Bytes the client
     * sends meanwhile (its next request, early) are kept for the next exchange, and the watch stops there.
     *
     * @return false when the exchange is neither this server's nor an {@link InMemoryExchange}, or its request body was
     *     not read to its end: nothing is watched
     */
    public static boolean watchClient(HttpExchange exchange, Runnable onLeave) {
        return exchange instanceof Exchange ours ? ours.watch(onLeave) : exchange instanceof InMemoryExchange local && local.watch(onLeave);
    }

    private void refuse(OutputStream out, int status, String message) throws IOException {
        RefusalAnswer answer = refusal.answer(status, message);
        byte[] body = answer.body();
        StringBuilder head = new StringBuilder("HTTP/1.1 ").append(status).append(' ').append(reason(status))
                .append("\r\nDate: ").append(HTTP_DATE.format(ZonedDateTime.now(ZoneOffset.UTC)))
                .append("\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ").append(body.length);
        answer.headers().forEach((name, value) -> head.append("\r\n").append(name).append(": ").append(value));
        out.write(head.append("\r\nConnection: close\r\n\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
    }

    /** Requests being served now (nginx's "writing"). */
    public int requestsInFlight() {
        return writing.get();
    }

    /** Takes no new connections (the first step of nginx's graceful shutdown); those open are served until {@link #close}. */
    public void stopAccepting() {
        stopping = true; // and a connection that finishes its request is closed, not kept alive
        try {
            listener.close();
        } catch (IOException e) {
            // closing anyway
        }
        for (Socket waiting : idle) { // as nginx closes idle keep-alive connections when it starts to exit
            try {
                waiting.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        threads.shutdown();
        try {
            listener.close();
        } catch (IOException e) {
            // closing anyway
        }
        for (Socket socket : connections) {
            try {
                socket.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    public static String reason(int status) {
        return switch (status) {
            case 100 -> "Continue";
            case 101 -> "Switching Protocols";
            case 200 -> "OK";
            case 201 -> "Created";
            case 204 -> "No Content";
            case 301 -> "Moved Permanently";
            case 302 -> "Found";
            case 304 -> "Not Modified";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Not Allowed";
            case 413 -> "Request Entity Too Large";
            case 414 -> "Request-URI Too Large";
            case 429 -> "Too Many Requests";
            case 500 -> "Internal Server Error";
            case 501 -> "Not Implemented";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Temporarily Unavailable";
            case 504 -> "Gateway Time-out";
            case 505 -> "HTTP Version Not Supported";
            default -> "";
        };
    }

    /**
     * Starts the watches of exchanges still running {@link #WATCH_AFTER_NANOS} after they asked for one (up to
     * {@code MIN_SLEEP_NANOS} later), on one thread that sleeps while nothing is waiting. Exchanges come in the order they are due, so a queue is enough.
     */
    private static final class DeferredWatches {
        private static final long MIN_SLEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(4);

        private record Due(Exchange exchange, long atNanos) {
        }

        private final ConcurrentLinkedQueue<Due> queue = new ConcurrentLinkedQueue<>();
        private final Thread starter = Thread.ofPlatform().daemon().name("http-client-watches").unstarted(this::run);
        private volatile boolean idle;

        DeferredWatches() {
            starter.start();
        }

        void defer(Exchange exchange) {
            queue.add(new Due(exchange, System.nanoTime() + WATCH_AFTER_NANOS));
            if (idle) {
                LockSupport.unpark(starter);
            }
        }

        private void run() {
            while (true) {
                Due next = queue.peek();
                if (next == null) {
                    idle = true;
                    if (queue.isEmpty()) {
                        LockSupport.park(this);
                    }
                    idle = false;
                    continue;
                }
                long wait = next.atNanos() - System.nanoTime();
                if (wait > 0) {
                    // never less than a few milliseconds: at thousands of requests a second the next one is always
                    // due within microseconds, and waking for each cost more CPU than the watches themselves
                    LockSupport.parkNanos(this, Math.max(wait, MIN_SLEEP_NANOS));
                    continue;
                }
                queue.poll();
                try {
                    next.exchange().startWatch();
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "cannot watch a client: " + e);
                }
            }
        }
    }

    /**
     * A header name as Kong and most servers write it ({@code X-Kong-Request-Id}, {@code Content-Type}): the JDK's
     * Headers keeps only its first letter upper-case ({@code X-kong-request-id}).
     */
    static String wordCase(String name) {
        boolean upper = true;
        boolean changed = false;
        char[] chars = name.toCharArray();
        for (int i = 0; i < chars.length; i++) {
            char c = chars[i];
            char wanted = upper ? Character.toUpperCase(c) : c;
            if (wanted != c) {
                chars[i] = wanted;
                changed = true;
            }
            upper = c == '-';
        }
        return changed ? new String(chars) : name;
    }

    /**
     * A request refused as nginx refuses it: before its handler (the head), or while the handler reads its body (a bad
     * chunked body), when the handler answers it with {@link #status()} if it has not answered yet.
     */
    public static final class Refused extends IOException {
        final int status;

        Refused(int status, String message) {
            super(message);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    /** A request line and headers, read within nginx's buffers. */
    record Head(String method, String target, String protocol, Headers headers) {

        static Head read(InputStream in, HeaderLimits limits) throws IOException {
            String requestLine;
            do { // nginx skips empty lines before a request line
                requestLine = line(in, limits.bufferSize(), 414, "URI too long");
                if (requestLine == null) {
                    return null;
                }
            } while (requestLine.isEmpty());
            String[] parts = requestLine.split(" ");
            if (parts.length != 3 || !METHOD.matcher(parts[0]).matches()) {
                throw new Refused(400, "Bad request");
            }
            if (!parts[2].equals("HTTP/1.1") && !parts[2].equals("HTTP/1.0")) {
                // nginx takes any HTTP/1.x as 1.1 and answers 505 to a later major version
                if (HTTP_1X.matcher(parts[2]).matches()) {
                    parts[2] = "HTTP/1.1";
                } else if (LATER_HTTP.matcher(parts[2]).matches()) {
                    throw new Refused(505, "HTTP version not supported");
                } else {
                    throw new Refused(400, "Bad request");
                }
            }
            Headers headers = new Headers();
            long total = requestLine.length() + 2;
            while (true) {
                // nginx's 494 for a head too large, which Kong answers as 400 with 494's text (kong/error_handlers.lua)
                String header = line(in, limits.bufferSize(), 400, "Request header or cookie too large");
                if (header == null) {
                    throw new IOException("connection closed in a request head");
                }
                if (header.isEmpty()) {
                    break;
                }
                total += header.length() + 2;
                if (total > limits.total()) {
                    throw new Refused(400, "Request header or cookie too large");
                }
                int colon = header.indexOf(':');
                if (colon <= 0 || header.indexOf('\0', colon) >= 0) {
                    throw new Refused(400, "Bad request");
                }
                boolean nginxName = true;
                for (int i = 0; i < colon; i++) {
                    char c = header.charAt(i);
                    if (c <= ' ' || c == 0x7f) {
                        throw new Refused(400, "Bad request"); // nginx: "client sent invalid header line"
                    }
                    nginxName &= c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-'
                            || c == '_' && limits.underscoresInHeaders();
                }
                if (nginxName) { // nginx's ignore_invalid_headers (on): a name of other characters is dropped
                    headers.add(header.substring(0, colon), header.substring(colon + 1).strip());
                }
            }
            return new Head(parts[0], parts[1], parts[2], headers);
        }

        /** One CRLF (or bare LF) terminated line of at most {@code max} bytes; null at the end of the stream. */
        private static String line(InputStream in, int max, int status, String message) throws IOException {
            if (in instanceof HttpInput input) {
                try {
                    return input.readLine(max);
                } catch (HttpInput.LineTooLong e) {
                    throw new Refused(status, message);
                } catch (HttpInput.BareCarriageReturn e) {
                    throw new Refused(400, "Bad request"); // nginx: "client sent invalid header line"
                }
            }
            return line(new HttpInput(in, 1), max, status, message);
        }
    }

    /** One request and its answer on a connection. */
    private static final class Exchange extends HttpExchange implements Abortable {
        private final Socket socket;
        private final InetSocketAddress local;
        private final HttpInput in;
        private final OutputStream out;
        private final Head head;
        private final URI uri;
        private final Headers responseHeaders = new Headers();
        private final Map<String, Object> attributes = new HashMap<>();
        private final boolean http10;
        private final boolean clientKeepAlive;
        private final InputStream body;
        private Refused refusal;
        private int responseCode = -1;
        private OutputStream responseBody;
        private boolean closeAfter;
        /** The answer is broken off: the connection closes without ending its body. */
        private boolean aborted;
        private volatile boolean finished;
        private volatile long finishedAtNanos;
        /** What runs when the client leaves, once {@link #watch} was asked for. */
        private Runnable onLeave;
        /** The watch on the client's side of the connection, once started: true when bytes came, false when it ended. */
        private CompletableFuture<Boolean> watch;

        Exchange(Socket socket, InetSocketAddress local, HttpInput in, OutputStream out, Head head) throws IOException {
            this.socket = socket;
            this.local = local;
            this.in = in;
            this.out = out;
            this.head = head;
            this.http10 = head.protocol().equals("HTTP/1.0");
            String connection = String.valueOf(head.headers().getFirst("Connection")).toLowerCase(Locale.ROOT);
            this.clientKeepAlive = http10 ? connection.contains("keep-alive") : !connection.contains("close");
            this.uri = RequestTarget.parse(head.target());
            if (uri == null) {
                refusal = new Refused(400, "Bad request");
            }
            List<String> encodings = head.headers().get("Transfer-Encoding");
            List<String> lengths = head.headers().get("Content-Length");
            List<String> hosts = head.headers().get("Host");
            InputStream requestBody = new FixedLengthBody(in, 0, "the client"); // not nullInputStream: the handler closes it, the drain reads it after
            if (hosts == null ? !http10 : hosts.size() > 1) {
                refusal = new Refused(400, "Bad request"); // nginx: an HTTP/1.1 request without Host, or two Hosts
            } else if (http10 && encodings != null) {
                refusal = new Refused(400, "Bad request"); // nginx: HTTP/1.0 has no chunked coding
            } else if (head.method().equals("TRACE")) {
                refusal = new Refused(405, "Method not allowed"); // nginx refuses TRACE itself
            }
            if (refusal != null) {
                // the body, if any, is not read: the connection closes after the refusal
            } else if (encodings != null) {
                if (lengths != null) {
                    refusal = new Refused(400, "Bad request"); // both: nginx refuses, a smuggling vector
                } else if (encodings.size() != 1 || !encodings.getFirst().equalsIgnoreCase("chunked")) {
                    refusal = new Refused(501, "Not implemented");
                } else {
                    requestBody = new ChunkedInput(in);
                }
            } else if (lengths != null) {
                if (lengths.size() != 1 || !LENGTH.matcher(lengths.getFirst()).matches()) {
                    refusal = new Refused(400, "Bad request");
                } else {
                    requestBody = new FixedLengthBody(in, Long.parseLong(lengths.getFirst()), "the client");
                }
            }
            boolean expectContinue = "100-continue".equalsIgnoreCase(head.headers().getFirst("Expect")) && !http10;
            this.body = expectContinue ? new ContinueFirst(requestBody) : requestBody;
        }

        boolean watch(Runnable onLeave) {
            if (onLeave == null) {
                throw new NullPointerException("onLeave");
            }
            synchronized (this) {
                if (this.onLeave != null) {
                    return true;
                }
                if (finished || !bodyRead()) {
                    return false;
                }
                this.onLeave = onLeave;
            }
            WATCHES.defer(this);
            return true;
        }

        /**
         * Starts reading the client's side, from {@link #WATCHES} once the exchange has lasted {@link #WATCH_AFTER_NANOS}.
         * Most exchanges end before: they never pay for a second thread and for handing the next request's first
         * bytes from it to the connection's thread.
         */
        private void startWatch() {
            CompletableFuture<Boolean> result = new CompletableFuture<>();
            synchronized (this) {
                if (finished || watch != null) {
                    return;
                }
                watch = result;
            }
            Thread.ofVirtual().name("http-client-watch").start(() -> {
                boolean open = awaitClient();
                if (!open && !finished) {
                    try {
                        onLeave.run();
                    } catch (RuntimeException e) {
                        LOG.log(Level.WARNING, "a client-leave callback failed: " + e);
                    }
                }
                result.complete(open);
            });
        }

        /** Reads the client's side until a byte or the end comes; once the exchange ended, within the idle timeout. */
        private boolean awaitClient() {
            while (true) {
                try {
                    return in.awaitBytes();
                } catch (SocketTimeoutException e) {
                    if (finished) {
                        long idleMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - finishedAtNanos);
                        if (idleMs >= IDLE_TIMEOUT_MS) {
                            return false;
                        }
                        try {
                            socket.setSoTimeout((int) Math.max(1, IDLE_TIMEOUT_MS - idleMs));
                        } catch (IOException closed) {
                            return false;
                        }
                    }
                } catch (IOException e) {
                    return false; // a reset, or the connection closed here
                }
            }
        }

        private boolean bodyRead() {
            InputStream unwrapped = body instanceof ContinueFirst waiting ? waiting.in : body;
            return unwrapped instanceof FixedLengthBody fixed ? fixed.complete()
                    : unwrapped instanceof ChunkedInput chunked && chunked.done;
        }

        /**
         * After the exchange: whether a watched client is still connected, waiting until its next request's first
         * bytes come (which the serve loop would wait for anyway) or it leaves. True when nothing was watched.
         */
        boolean clientStillThere() {
            CompletableFuture<Boolean> started;
            synchronized (this) {
                started = watch;
            }
            if (started == null) {
                return true;
            }
            try {
                return started.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } catch (ExecutionException e) {
                return false;
            }
        }

        Tunnel switchProtocols(Map<String, List<String>> headers, int idleTimeoutMs) throws IOException {
            if (responseCode != -1) {
                throw new IOException("headers already sent");
            }
            responseCode = 101;
            closeAfter = true;
            StringBuilder text = new StringBuilder(256).append("HTTP/1.1 101 Switching Protocols\r\n");
            if (!headers.containsKey("Date") && !headers.containsKey("date")) {
                text.append("Date: ").append(HTTP_DATE.format(ZonedDateTime.now(ZoneOffset.UTC))).append("\r\n");
            }
            headers.forEach((name, values) -> values.forEach(value -> text.append(wordCase(name)).append(": ").append(value).append("\r\n")));
            byte[] head = text.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
            out.write(head);
            out.flush();
            responseBody = OutputStream.nullOutputStream();
            socket.setSoTimeout(idleTimeoutMs);
            return new Tunnel(in, out, head.length);
        }

        /** Whether the connection can carry another request. */
        boolean reusable() {
            return clientKeepAlive && !closeAfter;
        }

        @Override
        public Headers getRequestHeaders() {
            return head.headers();
        }

        @Override
        public Headers getResponseHeaders() {
            return responseHeaders;
        }

        @Override
        public URI getRequestURI() {
            return uri;
        }

        @Override
        public String getRequestMethod() {
            return head.method();
        }

        @Override
        public HttpContext getHttpContext() {
            return null;
        }

        @Override
        public InputStream getRequestBody() {
            return body;
        }

        @Override
        public OutputStream getResponseBody() {
            if (responseBody == null) {
                throw new IllegalStateException("sendResponseHeaders first");
            }
            return responseBody;
        }

        /** As the JDK server: {@code length} > 0 a body of that size, 0 a body of unknown size, -1 none. */
        @Override
        public void sendResponseHeaders(int code, long length) throws IOException {
            if (responseCode != -1) {
                throw new IOException("headers already sent");
            }
            responseCode = code;
            boolean noBody = head.method().equals("HEAD") || NO_BODY_STATUS.contains(String.valueOf(code)) || code < 200;
            if ("close".equalsIgnoreCase(responseHeaders.getFirst("Connection"))) {
                closeAfter = true;
            }
            // nginx's status line says HTTP/1.1 to every client, HTTP/1.0 ones included
            StringBuilder text = new StringBuilder(256).append("HTTP/1.1 ")
                    .append(code).append(' ').append(reason(code)).append("\r\n");
            responseHeaders.remove("Content-Length");
            responseHeaders.remove("Transfer-Encoding");
            // The server says close or keep-alive itself; another token a handler sets (Kong's 426 sets "Upgrade")
            // follows in a header line of its own, as nginx sends it beside its own
            List<String> connectionTokens = new java.util.ArrayList<>();
            for (String value : responseHeaders.getOrDefault("Connection", List.of())) {
                if (!value.equalsIgnoreCase("close") && !value.equalsIgnoreCase("keep-alive")) {
                    connectionTokens.add(value);
                }
            }
            responseHeaders.remove("Connection");
            if (!responseHeaders.containsKey("Date")) {
                text.append("Date: ").append(HTTP_DATE.format(ZonedDateTime.now(ZoneOffset.UTC))).append("\r\n");
            }
            for (Map.Entry<String, List<String>> header : responseHeaders.entrySet()) {
                String name = wordCase(header.getKey());
                for (String value : header.getValue()) {
                    text.append(name).append(": ").append(value).append("\r\n");
                }
            }
            OutputStream bodyOut;
            if (length > 0) {
                text.append("Content-Length: ").append(length).append("\r\n");
                bodyOut = noBody ? OutputStream.nullOutputStream() : new FixedOutput(out, length);
            } else if (length == 0 && !noBody) {
                if (http10) {
                    closeAfter = true; // HTTP/1.0 has no chunks: the end of the connection ends the body
                    bodyOut = new FixedOutput(out, Long.MAX_VALUE);
                } else {
                    text.append("Transfer-Encoding: chunked\r\n");
                    bodyOut = new ChunkedOutput(out);
                }
            } else {
                if (!noBody || head.method().equals("HEAD")) {
                    text.append("Content-Length: 0\r\n");
                }
                bodyOut = OutputStream.nullOutputStream();
            }
            if (!reusable()) {
                text.append("Connection: close\r\n");
            } else if (http10) {
                text.append("Connection: keep-alive\r\n");
            }
            for (String token : connectionTokens) {
                text.append("Connection: ").append(token).append("\r\n");
            }
            text.append("\r\n");
            out.write(text.toString().getBytes(StandardCharsets.ISO_8859_1));
            if (length == -1 || noBody) {
                out.flush();
            }
            responseBody = bodyOut;
        }

        @Override
        public InetSocketAddress getRemoteAddress() {
            return (InetSocketAddress) socket.getRemoteSocketAddress();
        }

        @Override
        public int getResponseCode() {
            return responseCode;
        }

        @Override
        public InetSocketAddress getLocalAddress() {
            return local;
        }

        @Override
        public String getProtocol() {
            return head.protocol();
        }

        @Override
        public Object getAttribute(String name) {
            return attributes.get(name);
        }

        @Override
        public void setAttribute(String name, Object value) {
            attributes.put(name, value);
        }

        @Override
        public void setStreams(InputStream i, OutputStream o) {
            throw new UnsupportedOperationException("setStreams");
        }

        @Override
        public com.sun.net.httpserver.HttpPrincipal getPrincipal() {
            return null;
        }

        @Override
        public void abort() {
            aborted = true;
            closeAfter = true;
        }

        /** Ends the answer (closes its body) and reads what is left of the request, to reuse the connection. */
        @Override
        public void close() {
            if (finished) {
                return;
            }
            synchronized (this) {
                finishedAtNanos = System.nanoTime();
                finished = true;
            }
            try {
                if (responseCode == -1) {
                    closeAfter = true; // the handler answered nothing: the client learns it from the closed connection
                    return;
                }
                if (aborted) {
                    out.flush(); // what was sent so far, then the connection closes mid-body
                    return;
                }
                responseBody.close();
                if (responseBody instanceof FixedOutput fixed && !fixed.complete()) {
                    closeAfter = true;
                }
                if (refusal == null && reusable()) {
                    if (body instanceof ContinueFirst waiting && !waiting.sent) {
                        closeAfter = true; // answered without 100 Continue: the client may or may not send the body now
                    } else {
                        body.skip(DRAIN_LIMIT);
                        if (body.read() != -1) {
                            closeAfter = true;
                        }
                    }
                }
                out.flush();
            } catch (IOException e) {
                closeAfter = true;
            } finally {
                if (closeAfter) {
                    try {
                        out.flush();
                    } catch (IOException ignored) {
                        // the connection is going
                    }
                }
            }
        }

        /** Sends {@code 100 Continue} when the handler starts reading the body, as nginx does. */
        private final class ContinueFirst extends InputStream {
            private final InputStream in;
            private boolean sent;

            ContinueFirst(InputStream in) {
                this.in = in;
            }

            private void sendContinue() throws IOException {
                if (!sent) {
                    sent = true;
                    if (responseCode == -1) {
                        out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                        out.flush();
                    }
                }
            }

            @Override
            public int read() throws IOException {
                sendContinue();
                return in.read();
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                sendContinue();
                return in.read(b, off, len);
            }

            @Override
            public long skip(long n) throws IOException {
                sendContinue();
                return in.skip(n);
            }
        }
    }

    /** A chunked request body, decoded; trailers read and dropped. */
    private static final class ChunkedInput extends InputStream {
        private final InputStream in;
        private long chunkRemaining;
        private boolean done;

        ChunkedInput(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (done) {
                return -1;
            }
            if (chunkRemaining == 0) {
                String size = Head.line(in, 1024, 400, "Bad request");
                if (size == null) {
                    throw new IOException("the client closed the connection in a chunked body");
                }
                String hex = size.split(";", 2)[0].strip();
                if (!CHUNK_SIZE.matcher(hex).matches()) {
                    throw new Refused(400, "Bad request");
                }
                chunkRemaining = Long.parseLong(hex, 16);
                if (chunkRemaining == 0) {
                    String trailer;
                    do {
                        trailer = Head.line(in, 8192, 400, "Bad request");
                    } while (trailer != null && !trailer.isEmpty());
                    done = true;
                    return -1;
                }
            }
            int n = in.read(b, off, (int) Math.min(len, chunkRemaining));
            if (n < 0) {
                throw new IOException("the client closed the connection in a chunked body");
            }
            chunkRemaining -= n;
            if (chunkRemaining == 0) {
                String end = Head.line(in, 2, 400, "Bad request");
                if (end == null) {
                    throw new IOException("the client closed the connection in a chunked body");
                }
                if (!end.isEmpty()) {
                    throw new Refused(400, "Bad request"); // more data than the chunk's size said
                }
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = 0;
            byte[] buffer = new byte[8192];
            while (skipped < n) {
                int r = read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
                if (r < 0) {
                    break;
                }
                skipped += r;
            }
            return skipped;
        }
    }

    /** At most {@code length} bytes; close flushes but keeps the connection. */
    private static final class FixedOutput extends FilterOutputStream {
        private long remaining;

        FixedOutput(OutputStream out, long length) {
            super(out);
            this.remaining = length;
        }

        boolean complete() {
            return remaining == 0 || remaining > Long.MAX_VALUE / 2;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (len > remaining) {
                throw new IOException("more body than the announced Content-Length");
            }
            out.write(b, off, len);
            remaining -= len;
        }

        @Override
        public void close() throws IOException {
            out.flush();
        }
    }

    /** One chunk per write; close writes the last chunk. */
    private static final class ChunkedOutput extends FilterOutputStream {
        private boolean closed;

        ChunkedOutput(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (len > 0) {
                out.write((Integer.toHexString(len) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.write(b, off, len);
                out.write('\r');
                out.write('\n');
            }
        }

        @Override
        public void close() throws IOException {
            if (!closed) {
                closed = true;
                out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            }
        }
    }
}
