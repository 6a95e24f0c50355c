package io.kongjava.pdk.testkit;

import io.kongjava.catalogue.HopByHopHeaders;
import io.kongjava.pdk.filter.CallsUpstream;
import io.kongjava.pdk.filter.HttpFields;
import io.kongjava.pdk.filter.ResponseFilter;
import io.kongjava.pdk.filter.ResponseHead;
import io.kongjava.pdk.filter.StreamEnd;
import io.kongjava.pdk.filter.UpstreamAnswer;
import io.kongjava.pdk.filter.UpstreamRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Drives one {@link ResponseFilter} as the relay would, without Kong or sockets: a request, a head, body
 * chunks, the end. Each step returns what the filter let through, so a test can check that a chunk comes
 * out as soon as it should and that nothing is held back at the end.
 *
 * <pre>{@code
 * FilterTester t = FilterTester.of(filter).headers(200, Map.of("content-type", List.of("text/event-stream")));
 * assertThat(t.chunk("event: ping\n\n")).isEqualTo("event: ping\n\n");
 * assertThat(t.end()).isEmpty();
 * assertThat(t.closedWith()).isInstanceOf(StreamEnd.Completed.class);
 * }</pre>
 *
 * <p>Or a whole exchange, as the relay runs it, with {@link #exchange}: the filter's {@code onRequest}, the upstream
 * call, its answer through {@code onHeaders}, {@code onChunk} and {@code onEnd}, and {@code onClose} with how it
 * ended. A filter that {@link CallsUpstream} makes the call itself, to an upstream the test stands up (a
 * {@link FakeUpstream}); for any other filter the test scripts the upstream's answer ({@link Upstream}).
 *
 * <pre>{@code
 * FilterTester.Relayed sent = FilterTester.of(filter).exchange("POST", "http://service.test/v1/messages", Map.of(), body,
 *         Upstream.sse("event: message_start\ndata: {}\n\n", "event: message_stop\ndata: {}\n\n"));
 * assertThat(sent.status()).isEqualTo(200);
 * assertThat(sent.pieces()).hasSize(2);                        // each event reached the client on its own
 * assertThat(sent.end()).isEqualTo(new StreamEnd.Completed(200));
 * }</pre>
 */
public final class FilterTester {

    private final ResponseFilter filter;
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    private final List<String> chunksOut = new ArrayList<>();
    private ResponseHead head;
    private StreamEnd end;

    /**
     * One exchange as the client saw it and the filter was told.
     *
     * @param sent      the request as the filter left it in {@code onRequest} (what a scripted upstream was sent)
     * @param status    the status the client got: the answer's as the filter left it, or Kong's error (502, 504 or
     *                  500) when the exchange failed before the client got a byte
     * @param headers   the headers the client got, hop-by-hop ones removed as the relay does
     * @param pieces    each non-empty piece that reached the client, in order: one per chunk the filter let through,
     *                  then what {@code onEnd} gave
     * @param end       what {@code onClose} was told
     * @param logFields the filter's {@code logFields()} after {@code onClose}
     */
    public record Relayed(UpstreamRequest sent, int status, Map<String, List<String>> headers, List<String> pieces, StreamEnd end,
                          Map<String, Object> logFields) {

        /** The whole body the client got, as UTF-8 text. */
        public String body() {
            return String.join("", pieces);
        }
    }

    private FilterTester(ResponseFilter filter) {
        this.filter = filter;
    }

    public static FilterTester of(ResponseFilter filter) {
        return new FilterTester(filter);
    }

    /**
     * Runs one whole exchange for a filter that {@link CallsUpstream}: the filter calls whatever upstream its
     * config names (in a test, a {@link FakeUpstream}), and its answer goes through the filter to the client as the
     * relay carries it. The request is Kong's request to the Service, as the relay hands it over.
     */
    public Relayed exchange(String method, String url, Map<String, List<String>> headers, String body) {
        if (!(filter instanceof CallsUpstream caller)) {
            throw new IllegalStateException(filter.getClass().getName() + " does not call the upstream itself: give the exchange the"
                    + " upstream's answer, exchange(method, url, headers, body, Upstream.answer(...))");
        }
        return drive(newExchange(method, url, headers, body), caller::callUpstream);
    }

    /**
     * Runs one whole exchange for a filter the relay calls the upstream for: {@code upstream} plays the Service's answer
     * to the request as the filter's {@code onRequest} left it ({@link Relayed#sent()}).
     */
    public Relayed exchange(String method, String url, Map<String, List<String>> headers, String body, Upstream upstream) {
        if (filter instanceof CallsUpstream) {
            throw new IllegalArgumentException(filter.getClass().getName() + " calls the upstream itself, so a scripted answer would"
                    + " never be asked for: serve it from a FakeUpstream the filter's config names, and use exchange(method, url, headers, body)");
        }
        return drive(newExchange(method, url, headers, body), (request, answer) -> play(upstream, answer));
    }

    private interface Caller {
        void call(UpstreamRequest request, UpstreamAnswer answer) throws Exception;
    }

    private UpstreamRequest newExchange(String method, String url, Map<String, List<String>> headers, String body) {
        if (head != null || end != null) {
            throw new IllegalStateException("this FilterTester was already fed: one exchange per filter, as in the relay");
        }
        return new UpstreamRequest(method, URI.create(url), fields(headers), body.getBytes(StandardCharsets.UTF_8));
    }

    /** The relay's rules, without sockets: who failed when decides what the client got and what onClose is told. */
    private Relayed drive(UpstreamRequest request, Caller caller) {
        String plugin = filter.getClass().getSimpleName();
        ToClient toClient = new ToClient();
        Exception upstreamFailure = null;
        try {
            try {
                filter.onRequest(request);
            } catch (Exception e) {
                throw new FilterThrew(e);
            }
            try {
                caller.call(request, toClient);
            } catch (IOException e) {
                upstreamFailure = e;
            } catch (Exception e) {
                throw new FilterThrew(e);
            }
            if (toClient.filterThrew != null) {
                throw toClient.filterThrew;
            }
            if (head == null && upstreamFailure == null) {
                throw new FilterThrew(new IllegalStateException("the upstream call ended without an answer"));
            }
            if (upstreamFailure != null && output.size() == 0) {
                boolean timeout = isTimeout(upstreamFailure);
                return kongError(request, timeout ? 504 : 502, timeout ? "The upstream server is timing out"
                        : "An invalid response was received from the upstream server", new StreamEnd.UpstreamFailed(timeout, false, upstreamFailure.toString()));
            }
            try {
                record(filter.onEnd());
            } catch (Exception e) {
                throw new FilterThrew(e);
            }
            StreamEnd how = upstreamFailure == null ? new StreamEnd.Completed(head.status())
                    : new StreamEnd.UpstreamFailed(isTimeout(upstreamFailure), true, upstreamFailure.toString());
            close(how);
            return relayed(request, head.status(), head.headers().toMap());
        } catch (FilterThrew threw) {
            StreamEnd how = new StreamEnd.FilterFailed(plugin, threw.getCause().toString());
            if (output.size() == 0) {
                int status = threw.getCause() instanceof io.kongjava.pdk.filter.AnswerRefused refused ? refused.status() : 500;
                return kongError(request, status, io.kongjava.catalogue.KongStatusTexts.defaultMessage(status), how);
            }
            close(how);
            return relayed(request, head.status(), head.headers().toMap());
        }
    }

    private static boolean isTimeout(Exception e) {
        return e instanceof SocketTimeoutException || e instanceof InterruptedIOException;
    }

    private Relayed kongError(UpstreamRequest request, int status, String message, StreamEnd how) {
        output.reset();
        chunksOut.clear();
        record(("{\"message\":\"" + message + "\"}").getBytes(StandardCharsets.UTF_8));
        close(how);
        return relayed(request, status, Map.of("content-type", List.of("application/json; charset=utf-8")));
    }

    private Relayed relayed(UpstreamRequest request, int status, Map<String, List<String>> headers) {
        return new Relayed(request, status, Map.copyOf(headers), pieces(), end, Map.copyOf(logFields()));
    }

    private static void play(Upstream upstream, UpstreamAnswer answer) throws IOException {
        switch (upstream) {
            case Upstream.Answer whole -> {
                answer.head(whole.status(), fields(whole.headers()));
                for (String chunk : whole.chunks()) {
                    answer.body(chunk.getBytes(StandardCharsets.UTF_8));
                }
            }
            case Upstream.BreaksOff broken -> {
                answer.head(broken.status(), fields(broken.headers()));
                for (String chunk : broken.chunks()) {
                    answer.body(chunk.getBytes(StandardCharsets.UTF_8));
                }
                throw new IOException("the upstream closed the connection before the body ended (scripted)");
            }
            case Upstream.NoAnswer none -> throw new ConnectException("the upstream closed the connection without answering (scripted)");
        }
    }

    /** One of the filter's methods threw: the exchange ends as the relay ends it when a filter fails. */
    private static final class FilterThrew extends RuntimeException {
        FilterThrew(Exception cause) {
            super(cause);
        }
    }

    /** What the relay's answer to Kong does: filters the head and each chunk, and keeps what reaches the client. */
    private final class ToClient implements UpstreamAnswer {
        FilterThrew filterThrew;

        @Override
        public void head(int status, HttpFields upstreamHeaders) throws IOException {
            if (head != null) {
                throw new IllegalStateException("the answer's head was already written");
            }
            HttpFields passed = new HttpFields();
            upstreamHeaders.toMap().forEach((name, values) -> {
                if (!HopByHopHeaders.NAMES.contains(name)) {
                    values.forEach(value -> passed.add(name, value));
                }
            });
            head = new ResponseHead(status, passed);
            try {
                filter.onHeaders(head);
            } catch (Exception e) {
                throw failed(e);
            }
        }

        @Override
        public void body(byte[] bytes) throws IOException {
            if (head == null) {
                throw new IllegalStateException("the answer's body was written before its head");
            }
            try {
                record(filter.onChunk(bytes));
            } catch (Exception e) {
                throw failed(e);
            }
        }

        /** Remembered and thrown as an IOException: a CallsUpstream filter stops writing, the relay knows why. */
        private IOException failed(Exception e) {
            filterThrew = new FilterThrew(e);
            return new IOException("the response filter failed: " + e, e);
        }
    }

    /** Runs onRequest on a request as Kong would send it to {@code url}; returns it as the filter left it. */
    public UpstreamRequest request(String method, String url, Map<String, List<String>> headers, String body) throws Exception {
        UpstreamRequest request = new UpstreamRequest(method, URI.create(url), fields(headers), body.getBytes(StandardCharsets.UTF_8));
        filter.onRequest(request);
        return request;
    }

    /** Runs onHeaders; {@link #head()} shows the status and headers as the filter left them. */
    public FilterTester headers(int status, Map<String, List<String>> headers) throws Exception {
        head = new ResponseHead(status, fields(headers));
        filter.onHeaders(head);
        return this;
    }

    /** Feeds one chunk (UTF-8) and returns what the filter passed on at once. */
    public String chunk(String text) throws Exception {
        return new String(chunk(text.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
    }

    public byte[] chunk(byte[] bytes) throws Exception {
        if (head == null) {
            headers(200, Map.of());
        }
        return record(filter.onChunk(bytes));
    }

    /** Ends the body: returns the filter's last bytes, then tells it the exchange completed. */
    public String end() throws Exception {
        byte[] last = record(filter.onEnd());
        close(new StreamEnd.Completed(head == null ? 200 : head.status()));
        return new String(last, StandardCharsets.UTF_8);
    }

    /** Tells the filter how the exchange ended (done by {@link #end()} for a completed one). */
    public FilterTester close(StreamEnd how) {
        end = how;
        filter.onClose(how);
        return this;
    }

    public ResponseHead head() {
        return head;
    }

    /** Everything the filter let through so far, as the client would have it. */
    public String output() {
        return output.toString(StandardCharsets.UTF_8);
    }

    /** The non-empty pieces the filter let through, one per call that let something through. */
    public List<String> pieces() {
        return List.copyOf(chunksOut);
    }

    public StreamEnd closedWith() {
        return end;
    }

    public Map<String, Object> logFields() {
        return filter.logFields();
    }

    private byte[] record(byte[] bytes) {
        byte[] out = bytes == null ? ResponseFilter.NOTHING : bytes;
        if (out.length > 0) {
            output.writeBytes(out);
            chunksOut.add(new String(out, StandardCharsets.UTF_8));
        }
        return out;
    }

    private static HttpFields fields(Map<String, List<String>> headers) {
        HttpFields fields = new HttpFields();
        headers.forEach((name, values) -> values.forEach(value -> fields.add(name, value)));
        return fields;
    }
}
