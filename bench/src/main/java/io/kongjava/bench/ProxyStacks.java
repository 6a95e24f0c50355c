package io.kongjava.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.kongjava.catalogue.HopByHopHeaders;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import okhttp3.ConnectionPool;
import okhttp3.Headers;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * The bare proxying of the local gateway with interchangeable HTTP stacks, to choose them by measurement
 * (bench/external/stacks.sh drives it from outside the JVM). No routing and no plugins: only what every
 * request through the gateway pays for its front server and its upstream client.
 *
 * <pre>java ... io.kongjava.bench.ProxyStacks SERVER CLIENT LISTEN_PORT UPSTREAM_PORT</pre>
 * SERVER: {@code jdk} (com.sun.net.httpserver), {@code vt} (blocking sockets, a virtual thread per
 * connection), {@code pt} (the same with a platform thread per connection, as the gateway's first 32), {@code helidon} (Helidon 4's WebServer: its own blocking sockets, a virtual thread per connection) or
 * {@code jetty} (Jetty 12: selectors, handlers on virtual threads). {@code netty netty} is {@link NettyProxy}, a
 * non-blocking proxy on both sides. CLIENT: {@code okhttp} (the gateway's, 60 s read and write timeouts), {@code okhttp0} (the same
 * without timeouts: Okio's AsyncTimeout queue unused) or {@code vt} (blocking pooled sockets). Only what the benchmark sends is handled: Content-Length bodies in, Content-Length or
 * chunked bodies out.
 */
public final class ProxyStacks {

    private static final Set<String> HOP_BY_HOP = HopByHopHeaders.and("host");

    /** What a front server hands the proxying: one request, and where its answer goes. */
    record Incoming(String method, String target, List<String[]> headers, byte[] body) {
    }

    interface Answer {
        /** Sends status and headers; {@code length} -1 for chunked. Returns the body stream. */
        OutputStream start(int status, List<String[]> headers, long length) throws IOException;
    }

    interface Upstream {
        void forward(Incoming request, Answer answer) throws IOException;
    }

    public static void main(String[] args) throws Exception {
        start(args[0], args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]));
        System.out.println("proxy " + args[0] + "/" + args[1] + " on " + args[2]);
        Thread.sleep(Long.MAX_VALUE);
    }

    /** Starts one stack listening on {@code listen}; closing it stops its server. */
    static AutoCloseable start(String server, String client, int listen, int upstreamPort) throws Exception {
        if (server.equals("netty") || client.equals("netty")) {
            if (!server.equals(client)) {
                throw new IllegalArgumentException("netty is measured as a whole non-blocking proxy: netty netty");
            }
            return NettyProxy.start(listen, upstreamPort);
        }
        Upstream upstream = switch (client) {
            case "okhttp" -> okhttp(upstreamPort, 60_000);
            case "okhttp0" -> okhttp(upstreamPort, 0); // no Okio timeouts: no AsyncTimeout queue, the lock only
            case "vt" -> new RawClient(upstreamPort);
            default -> throw new IllegalArgumentException("client " + client);
        };
        return switch (server) {
            case "jdk" -> jdkServer(listen, upstream);
            case "vt" -> vtServer(listen, upstream, false);
            case "pt" -> vtServer(listen, upstream, true);
            case "helidon" -> helidonServer(listen, upstream);
            case "jetty" -> jettyServer(listen, upstream);
            default -> throw new IllegalArgumentException("server " + server);
        };
    }

    // --- front servers ---

    static AutoCloseable jdkServer(int port, Upstream upstream) throws IOException {
        System.setProperty("sun.net.httpserver.nodelay", "true");
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 1024);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", (HttpExchange exchange) -> {
            try (exchange) {
                List<String[]> headers = new ArrayList<>();
                exchange.getRequestHeaders().forEach((name, values) -> values.forEach(v -> headers.add(new String[] {name, v})));
                byte[] body = exchange.getRequestBody().readAllBytes();
                upstream.forward(new Incoming(exchange.getRequestMethod(), exchange.getRequestURI().toString(), headers, body),
                        (status, responseHeaders, length) -> {
                            responseHeaders.forEach(h -> exchange.getResponseHeaders().add(h[0], h[1]));
                            exchange.sendResponseHeaders(status, length < 0 ? 0 : length == 0 ? -1 : length);
                            return exchange.getResponseBody();
                        });
            }
        });
        server.start();
        return () -> server.stop(0);
    }

    static AutoCloseable helidonServer(int port, Upstream upstream) {
        var server = io.helidon.webserver.WebServer.builder().host("127.0.0.1").port(port).backlog(1024)
                .connectionOptions(options -> options.tcpNoDelay(true)) // else a streamed event waits on a delayed ACK
                .routing(routing -> routing.any((request, response) -> {
                    List<String[]> headers = new ArrayList<>();
                    for (io.helidon.http.Header h : request.headers()) {
                        for (String value : h.allValues()) {
                            headers.add(new String[] {h.name(), value});
                        }
                    }
                    String target = request.prologue().uriPath().rawPath()
                            + (request.prologue().query().isEmpty() ? "" : "?" + request.prologue().query().rawValue());
                    byte[] body = request.content().hasEntity() ? request.content().inputStream().readAllBytes() : new byte[0];
                    upstream.forward(new Incoming(request.prologue().method().text(), target, headers, body),
                            (status, responseHeaders, length) -> {
                                response.status(status);
                                responseHeaders.forEach(h -> response.header(h[0], h[1]));
                                if (length >= 0) {
                                    response.contentLength(length);
                                }
                                return response.outputStream();
                            });
                }))
                .build().start();
        return server::stop;
    }

    static AutoCloseable jettyServer(int port, Upstream upstream) throws Exception {
        var threads = new org.eclipse.jetty.util.thread.QueuedThreadPool();
        threads.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        var server = new org.eclipse.jetty.server.Server(threads);
        var connector = new org.eclipse.jetty.server.ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        connector.setAcceptQueueSize(1024);
        server.addConnector(connector);
        server.setHandler(new org.eclipse.jetty.server.Handler.Abstract() {
            @Override
            public boolean handle(org.eclipse.jetty.server.Request request, org.eclipse.jetty.server.Response response,
                                  org.eclipse.jetty.util.Callback callback) throws Exception {
                List<String[]> headers = new ArrayList<>();
                request.getHeaders().forEach(h -> headers.add(new String[] {h.getName(), h.getValue()}));
                byte[] body = org.eclipse.jetty.io.Content.Source.asInputStream(request).readAllBytes();
                upstream.forward(new Incoming(request.getMethod(), request.getHttpURI().getPathQuery(), headers, body),
                        (status, responseHeaders, length) -> {
                            response.setStatus(status);
                            responseHeaders.forEach(h -> response.getHeaders().add(h[0], h[1]));
                            if (length >= 0) {
                                response.getHeaders().put(org.eclipse.jetty.http.HttpHeader.CONTENT_LENGTH, length);
                            }
                            return org.eclipse.jetty.io.Content.Sink.asOutputStream(response);
                        });
                callback.succeeded();
                return true;
            }
        });
        server.start();
        return server::stop;
    }

    static AutoCloseable vtServer(int port, Upstream upstream, boolean platformThreads) throws IOException {
        ServerSocket listener = new ServerSocket(port, 1024, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().name("accept").daemon().start(() -> {
            while (true) {
                try {
                    Socket socket = listener.accept();
                    socket.setTcpNoDelay(true);
                    (platformThreads ? Thread.ofPlatform().daemon() : Thread.ofVirtual()).start(() -> serveConnection(socket, upstream));
                } catch (IOException e) {
                    return;
                }
            }
        });
        return listener;
    }

    private static void serveConnection(Socket socket, Upstream upstream) {
        try (socket) {
            InputStream in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 16 * 1024);
            while (true) {
                List<String> head = readHead(in);
                if (head == null) {
                    return;
                }
                String[] requestLine = head.getFirst().split(" ", 3);
                List<String[]> headers = parseHeaders(head);
                long length = contentLength(headers);
                byte[] body = in.readNBytes((int) Math.max(0, length));
                upstream.forward(new Incoming(requestLine[0], requestLine[1], headers, body), (status, responseHeaders, responseLength) -> {
                    StringBuilder text = new StringBuilder("HTTP/1.1 ").append(status).append(" OK\r\n");
                    for (String[] h : responseHeaders) {
                        text.append(h[0]).append(": ").append(h[1]).append("\r\n");
                    }
                    text.append(responseLength < 0 ? "Transfer-Encoding: chunked\r\n" : "Content-Length: " + responseLength + "\r\n").append("\r\n");
                    out.write(text.toString().getBytes(StandardCharsets.ISO_8859_1));
                    return responseLength < 0 ? new ChunkedOut(out) : new FlushingOut(out);
                });
                out.flush();
            }
        } catch (IOException e) {
            // the client closed
        }
    }

    /** Writes through and flushes, as a streamed answer must; close ends this answer, not the connection. */
    static class FlushingOut extends OutputStream {
        final OutputStream out;

        FlushingOut(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        @Override
        public void close() throws IOException {
            out.flush();
        }
    }

    static final class ChunkedOut extends FlushingOut {
        ChunkedOut(OutputStream out) {
            super(out);
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
            out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }
    }

    // --- upstream clients ---

    static Upstream okhttp(int port, int timeoutMs) {
        OkHttpClient client = new OkHttpClient.Builder().protocols(List.of(Protocol.HTTP_1_1)).retryOnConnectionFailure(false)
                .readTimeout(java.time.Duration.ofMillis(timeoutMs)).writeTimeout(java.time.Duration.ofMillis(timeoutMs))
                .connectionPool(new ConnectionPool(256, 60, TimeUnit.SECONDS)).build();
        client.dispatcher().setMaxRequestsPerHost(4096);
        return (request, answer) -> {
            Headers.Builder headers = new Headers.Builder();
            for (String[] h : request.headers()) {
                if (!HOP_BY_HOP.contains(h[0].toLowerCase(Locale.ROOT))) {
                    headers.add(h[0], h[1]);
                }
            }
            RequestBody body = request.body().length == 0 && !"POST".equals(request.method()) ? null : RequestBody.create(request.body(), null);
            Request outgoing = new Request.Builder().url("http://127.0.0.1:" + port + request.target()).headers(headers.build())
                    .method(request.method(), body).build();
            try (Response response = client.newCall(outgoing).execute()) {
                List<String[]> responseHeaders = new ArrayList<>();
                Headers received = response.headers();
                for (int i = 0; i < received.size(); i++) {
                    if (!HOP_BY_HOP.contains(received.name(i).toLowerCase(Locale.ROOT))) {
                        responseHeaders.add(new String[] {received.name(i), received.value(i)});
                    }
                }
                String length = response.header("content-length");
                try (OutputStream out = answer.start(response.code(), responseHeaders, length == null ? -1 : Long.parseLong(length));
                     InputStream in = response.body().byteStream()) {
                    byte[] buffer = new byte[16 * 1024];
                    int n;
                    while ((n = in.read(buffer)) > 0) {
                        out.write(buffer, 0, n);
                        out.flush();
                    }
                }
            }
        };
    }

    /** Keep-alive sockets to the upstream, blocking, one per request at a time. */
    static final class RawClient implements Upstream {
        record Connection(Socket socket, InputStream in, OutputStream out) {
        }

        private final int port;
        private final ConcurrentLinkedQueue<Connection> idle = new ConcurrentLinkedQueue<>();

        RawClient(int port) {
            this.port = port;
        }

        @Override
        public void forward(Incoming request, Answer answer) throws IOException {
            Connection c = idle.poll();
            if (c == null) {
                Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
                socket.setTcpNoDelay(true);
                c = new Connection(socket, new BufferedInputStream(socket.getInputStream(), 16 * 1024),
                        new BufferedOutputStream(socket.getOutputStream(), 16 * 1024));
            }
            StringBuilder text = new StringBuilder(request.method()).append(' ').append(request.target()).append(" HTTP/1.1\r\nHost: 127.0.0.1:")
                    .append(port).append("\r\n");
            for (String[] h : request.headers()) {
                if (!HOP_BY_HOP.contains(h[0].toLowerCase(Locale.ROOT))) {
                    text.append(h[0]).append(": ").append(h[1]).append("\r\n");
                }
            }
            text.append("Content-Length: ").append(request.body().length).append("\r\n\r\n");
            c.out().write(text.toString().getBytes(StandardCharsets.ISO_8859_1));
            c.out().write(request.body());
            c.out().flush();
            List<String> head = readHead(c.in());
            if (head == null) {
                c.socket().close();
                throw new IOException("upstream closed");
            }
            int status = Integer.parseInt(head.getFirst().split(" ")[1]);
            List<String[]> headers = parseHeaders(head);
            long length = contentLength(headers);
            boolean chunked = headers.stream().anyMatch(h -> h[0].equalsIgnoreCase("transfer-encoding") && h[1].equalsIgnoreCase("chunked"));
            List<String[]> forwarded = headers.stream().filter(h -> !HOP_BY_HOP.contains(h[0].toLowerCase(Locale.ROOT))).toList();
            try (OutputStream out = answer.start(status, forwarded, chunked ? -1 : Math.max(0, length))) {
                if (chunked) {
                    while (true) {
                        String size = readLine(c.in());
                        int n = Integer.parseInt(size.split(";")[0].strip(), 16);
                        if (n == 0) {
                            readLine(c.in());
                            break;
                        }
                        out.write(c.in().readNBytes(n));
                        out.flush();
                        readLine(c.in());
                    }
                } else {
                    out.write(c.in().readNBytes((int) Math.max(0, length)));
                }
            }
            idle.add(c);
        }
    }

    // --- HTTP/1.1 text ---

    static List<String> readHead(InputStream in) throws IOException {
        List<String> lines = new ArrayList<>();
        while (true) {
            String line = readLine(in);
            if (line == null) {
                return null;
            }
            if (line.isEmpty()) {
                return lines.isEmpty() ? null : lines;
            }
            lines.add(line);
        }
    }

    static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(64);
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) {
                return null;
            }
            if (c != '\r') {
                line.write(c);
            }
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }

    static List<String[]> parseHeaders(List<String> head) {
        List<String[]> headers = new ArrayList<>();
        for (String line : head.subList(1, head.size())) {
            int colon = line.indexOf(':');
            headers.add(new String[] {line.substring(0, colon).strip(), line.substring(colon + 1).strip()});
        }
        return headers;
    }

    static long contentLength(List<String[]> headers) {
        for (String[] h : headers) {
            if (h[0].equalsIgnoreCase("content-length")) {
                return Long.parseLong(h[1]);
            }
        }
        return -1;
    }
}
