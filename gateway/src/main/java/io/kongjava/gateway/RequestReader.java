package io.kongjava.gateway;

import io.kongjava.http.HeaderLimits;
import com.sun.net.httpserver.HttpExchange;
import io.kongjava.emulation.KongRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The client's request as Kong sees it: nginx's limits on the head, then the head and body into a {@link KongRequest}. */
final class RequestReader {

    private final HeaderLimits headerLimits;
    private final long maxBodySize;
    /** The port the gateway listens on, once it does; 0 before. */
    private volatile int listenPort;

    RequestReader(HeaderLimits headerLimits, long maxBodySize) {
        this.headerLimits = headerLimits;
        this.maxBodySize = maxBodySize;
    }

    void listenPort(int port) {
        this.listenPort = port;
    }

    long maxBodySize() {
        return maxBodySize;
    }

    /** 414 or 400 when the request head exceeds {@link HeaderLimits} as nginx counts it, else 0. */
    int headTooLarge(HttpExchange exchange) {
        int requestLine = exchange.getRequestMethod().length() + exchange.getRequestURI().toString().length()
                + exchange.getProtocol().length() + 4;
        if (requestLine > headerLimits.bufferSize()) {
            return 414;
        }
        long total = requestLine;
        for (Map.Entry<String, List<String>> header : exchange.getRequestHeaders().entrySet()) {
            for (String value : header.getValue()) {
                int line = header.getKey().length() + 2 + value.length() + 2;
                if (line > headerLimits.bufferSize()) {
                    return 400;
                }
                total += line;
            }
        }
        return total > headerLimits.total() ? 400 : 0;
    }

    /**
     * The head and up to one byte more than the body limit, so that a larger body can be refused. A body over
     * nginx's client_body_buffer_size is also written to a file in {@code bodyTempPath} as it comes (when set),
     * as nginx does; it stays in memory too, so the upstream gets it whatever happens to the file.
     */
    void read(HttpExchange exchange, KongRequest state, Path bodyTempPath) throws IOException {
        readHead(exchange, state);
        readBody(exchange, state, bodyTempPath);
    }

    /** The body part of {@link #read}, for a request whose head was read already. */
    void readBody(HttpExchange exchange, KongRequest state, Path bodyTempPath) throws IOException {
        int limit = (int) Math.min(Integer.MAX_VALUE - 8, maxBodySize + 1);
        int bufferSize = state.clientBodyBufferSize;
        try (InputStream in = exchange.getRequestBody()) {
            byte[] buffered = in.readNBytes(Math.min(limit, bufferSize + 1));
            if (buffered.length <= bufferSize || bodyTempPath == null) {
                state.body = buffered.length < limit && buffered.length > bufferSize
                        ? concat(buffered, in.readNBytes(limit - buffered.length)) : buffered;
            } else {
                state.body = spool(in, buffered, limit, state, bodyTempPath);
            }
        }
        state.requestSize = state.requestHeadSize + state.body.length;
    }

    private static byte[] concat(byte[] head, byte[] rest) {
        byte[] all = Arrays.copyOf(head, head.length + rest.length);
        System.arraycopy(rest, 0, all, head.length, rest.length);
        return all;
    }

    private static byte[] spool(InputStream in, byte[] head, int limit, KongRequest state, Path bodyTempPath) throws IOException {
        Files.createDirectories(bodyTempPath);
        state.bodyFile = Files.createTempFile(bodyTempPath, "", "");
        ByteArrayOutputStream all = new ByteArrayOutputStream(head.length * 2);
        all.write(head);
        try (OutputStream file = Files.newOutputStream(state.bodyFile)) {
            file.write(head);
            file.flush();
            byte[] buffer = new byte[64 * 1024];
            int n;
            while (all.size() < limit && (n = in.read(buffer, 0, Math.min(buffer.length, limit - all.size()))) > 0) {
                file.write(buffer, 0, n);
                all.write(buffer, 0, n);
            }
        }
        return all.toByteArray();
    }

    /**
     * The request line, the headers (lower-case names over the server's value lists: the one copy the PDK, the
     * router and the upstream request read) and the connection's addresses. The request id is the one
     * {@link KongRequest} was made with.
     */
    void readHead(HttpExchange exchange, KongRequest state) {
        state.method = exchange.getRequestMethod().toUpperCase(Locale.ROOT);
        URI uri = exchange.getRequestURI();
        String target = uri.toString();
        if (target.startsWith("/")) {
            // origin-form, split by hand: URI would read "//admin/x" as the authority "admin" and the path "/x"
            int question = target.indexOf('?');
            state.path = question < 0 ? target : target.substring(0, question);
            state.rawQuery = question < 0 ? "" : target.substring(question + 1);
        } else {
            String rawPath = uri.getRawPath();
            state.path = rawPath == null || rawPath.isEmpty() ? "/" : rawPath;
            String rawQuery = uri.getRawQuery();
            state.rawQuery = rawQuery == null ? "" : rawQuery;
        }
        exchange.getRequestHeaders().forEach((name, values) -> state.headers.put(name.toLowerCase(Locale.ROOT), values));
        // nginx's $request_length counts the head as the client sent it: request line, header lines, blank line
        long head = exchange.getRequestMethod().length() + 1 + target.length() + 1 + exchange.getProtocol().length() + 2 + 2;
        for (Map.Entry<String, List<String>> header : exchange.getRequestHeaders().entrySet()) {
            for (String value : header.getValue()) {
                head += header.getKey().length() + 2 + value.length() + 2;
            }
        }
        state.requestHeadSize = head;
        state.requestSize = head; // nginx's $request_length: what was read; the body adds to it when it is read
        String host = state.header("host");
        state.host = host == null ? exchange.getLocalAddress().getHostString() : withoutPort(host);
        // Every connection of a listener has the listener's port; asking the socket is a getsockname call.
        state.port = listenPort > 0 ? listenPort : exchange.getLocalAddress().getPort();
        InetSocketAddress client = exchange.getRemoteAddress();
        state.clientIp = client.getAddress().getHostAddress();
        state.clientPort = client.getPort();
    }

    /**
     * The body's declared length for a request that can go upstream as it comes: -1 when chunked (or none), or null
     * when a body limit applies that only reading it whole can enforce (chunked) or that it declares itself over
     * (then the buffered path answers 413, as nginx does).
     */
    Long streamableLength(KongRequest state) {
        String length = state.header("content-length");
        boolean chunked = state.header("transfer-encoding") != null;
        boolean unlimited = maxBodySize >= Integer.MAX_VALUE - 9;
        if (chunked || length == null) {
            return unlimited ? -1L : null;
        }
        try {
            long declared = Long.parseLong(length.strip());
            return declared <= maxBodySize ? declared : null;
        } catch (NumberFormatException e) {
            return null; // the front server refused it already
        }
    }

    /** The Host header without a trailing {@code :digits}. */
    static String withoutPort(String host) {
        int colon = host.lastIndexOf(':');
        if (colon < 0 || colon == host.length() - 1) {
            return host;
        }
        for (int i = colon + 1; i < host.length(); i++) {
            if (host.charAt(i) < '0' || host.charAt(i) > '9') {
                return host;
            }
        }
        return host.substring(0, colon);
    }

    /** 32 hex digits, as Kong's request ids. */
    static String newRequestId() {
        return KongRequest.randomHex();
    }
}
