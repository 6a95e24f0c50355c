package io.kongjava.http;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An exchange handed to an {@link com.sun.net.httpserver.HttpHandler} of the same JVM on the caller's thread: the
 * request as given, the answer passed to an {@link Answer} as the handler writes it. For a proxy whose upstream is a
 * server of its own process (the local gateway and the response relay in one JVM): no loopback connection, no thread
 * woken on the other side. {@link BlockingHttpServer#watchClient} works on it as on the server's own exchanges, once
 * the caller reports its client's leaving with {@link #clientLeft()}.
 */
public final class InMemoryExchange extends HttpExchange implements Abortable {

    /** Where the answer goes, told once, when the handler sends its head. */
    @FunctionalInterface
    public interface Answer {
        /**
         * @param length as {@link HttpExchange#sendResponseHeaders}: above 0 a body of that size, 0 of unknown size, -1 none
         * @return where the body goes; {@code null} when it has none
         */
        OutputStream start(int status, Headers headers, long length) throws IOException;
    }

    private final String method;
    private final URI uri;
    private final Headers requestHeaders = new Headers();
    private final InputStream requestBody;
    private final InetSocketAddress local;
    private final InetSocketAddress remote;
    private final Answer answer;
    private final Headers responseHeaders = new Headers();
    private final Map<String, Object> attributes = new HashMap<>();
    private int responseCode = -1;
    private OutputStream responseBody;
    private Runnable onClientLeave;
    private boolean clientGone;
    private boolean answerComplete;
    private boolean closed;
    private volatile boolean aborted;

    /** @param headers name and value pairs, in order */
    public InMemoryExchange(String method, String target, List<String[]> headers, byte[] body,
                            InetSocketAddress local, InetSocketAddress remote, Answer answer) {
        this.method = method;
        this.uri = URI.create(target);
        for (String[] header : headers) {
            requestHeaders.add(header[0], header[1]);
        }
        this.requestBody = new ByteArrayInputStream(body == null ? new byte[0] : body);
        this.local = local;
        this.remote = remote;
        this.answer = answer;
    }

    /** The handler sent its answer's head (and so {@link Answer#start} ran). */
    public boolean answered() {
        return responseCode != -1;
    }

    /**
     * The caller's client left: runs what the handler asked to run then ({@link BlockingHttpServer#watchClient}), unless
     * the handler had answered in full already (a client may close as soon as it has its answer).
     */
    public void clientLeft() {
        Runnable leave;
        synchronized (this) {
            if (clientGone || closed || answerComplete) {
                return;
            }
            clientGone = true;
            leave = onClientLeave;
        }
        if (leave != null) {
            leave.run();
        }
    }

    boolean watch(Runnable onLeave) {
        boolean goneAlready;
        synchronized (this) {
            if (closed) {
                return false;
            }
            onClientLeave = onLeave;
            goneAlready = clientGone;
        }
        if (goneAlready) {
            onLeave.run();
        }
        return true;
    }

    @Override
    public void sendResponseHeaders(int code, long length) throws IOException {
        if (responseCode != -1) {
            throw new IOException("headers already sent");
        }
        responseCode = code;
        OutputStream body = answer.start(code, responseHeaders, length);
        responseBody = new AnswerBody(body == null ? OutputStream.nullOutputStream() : body);
    }

    /** The answer's body; once the handler has closed it, a client that leaves has left after its answer. */
    private final class AnswerBody extends java.io.FilterOutputStream {
        AnswerBody(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            out.write(bytes, offset, length);
        }

        @Override
        public void close() throws IOException {
            synchronized (InMemoryExchange.this) {
                answerComplete = true;
            }
            super.close();
        }
    }

    @Override
    public OutputStream getResponseBody() {
        if (responseBody == null) {
            throw new IllegalStateException("sendResponseHeaders first");
        }
        return responseBody;
    }

    /** The handler broke its answer off (see {@link Abortable}): the caller breaks its own client's answer off too. */
    @Override
    public void abort() {
        aborted = true;
    }

    public boolean aborted() {
        return aborted;
    }

    /** The caller's client left ({@link #clientLeft()}) before the exchange closed. */
    public synchronized boolean clientGone() {
        return clientGone;
    }

    /** Ends the answer: closes its body, when it has one, unless the handler broke it off. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        if (responseBody != null && !aborted) {
            try {
                responseBody.close();
            } catch (IOException e) {
                // the caller's client went away; the handler has finished with it either way
            }
        }
    }

    @Override
    public Headers getRequestHeaders() {
        return requestHeaders;
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
        return method;
    }

    @Override
    public HttpContext getHttpContext() {
        return null;
    }

    @Override
    public InputStream getRequestBody() {
        return requestBody;
    }

    @Override
    public InetSocketAddress getRemoteAddress() {
        return remote;
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
        return "HTTP/1.1";
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
    public HttpPrincipal getPrincipal() {
        return null;
    }
}
