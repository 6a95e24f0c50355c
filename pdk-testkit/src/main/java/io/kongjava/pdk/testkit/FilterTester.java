package io.kongjava.pdk.testkit;

import io.kongjava.pdk.filter.HttpFields;
import io.kongjava.pdk.filter.ResponseFilter;
import io.kongjava.pdk.filter.ResponseHead;
import io.kongjava.pdk.filter.StreamEnd;
import io.kongjava.pdk.filter.UpstreamRequest;
import java.io.ByteArrayOutputStream;
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
 */
public final class FilterTester {

    private final ResponseFilter filter;
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    private final List<String> chunksOut = new ArrayList<>();
    private ResponseHead head;
    private StreamEnd end;

    private FilterTester(ResponseFilter filter) {
        this.filter = filter;
    }

    public static FilterTester of(ResponseFilter filter) {
        return new FilterTester(filter);
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
