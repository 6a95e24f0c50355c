package io.kongjava.relay;

import com.sun.net.httpserver.HttpExchange;
import io.kongjava.catalogue.HopByHopHeaders;
import io.kongjava.http.Abortable;
import io.kongjava.http.UpstreamClient;
import io.kongjava.pdk.entity.Service;
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
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One relayed exchange: the request to the upstream, then its answer through the route's filters to Kong,
 * chunk by chunk, on the thread that serves Kong's connection. A blocked write to Kong blocks the next read
 * from the upstream, so a slow client slows the upstream down rather than filling memory.
 */
final class RelayPass {

    private static final System.Logger LOG = System.getLogger(RelayPass.class.getName());
    /** Kong's hop-by-hop set and the relay's own ticket, never passed on either way. */
    static final Set<String> NOT_PASSED = HopByHopHeaders.and(ResponseRelay.TICKET_HEADER);
    private static final int CHUNK = 16 * 1024;
    /**
     * The read buffer of the thread relaying a response: a new one per response was the largest single allocation
     * of the how-to's plugin server (15% of its bytes), and each chunk is copied out of it before a filter sees it.
     */
    private static final ThreadLocal<byte[]> READ_BUFFERS = ThreadLocal.withInitial(() -> new byte[CHUNK]);

    /** A filter threw: which one, and what. An IOException so that it ends a {@link CallsUpstream} filter's writes. */
    private static final class FilterFailure extends IOException {
        final String plugin;

        FilterFailure(String plugin, Throwable cause) {
            super(cause.toString(), cause);
            this.plugin = plugin;
        }
    }

    private final ResponseRelay relay;
    private final RelayRoute route;
    private final HttpExchange kong;
    private final byte[] requestBody;
    private final List<RelayRoute.Stage> stages;
    private boolean committed;
    private long sent;
    /** The client closed its connection while the pass ran: told by the server, on the watching thread. */
    private volatile boolean clientLeft;
    private volatile boolean ended;
    private volatile boolean brokenOff;
    /** Ends the relay's own upstream call when the client leaves. */
    private final UpstreamClient.Cancellation cancellation = new UpstreamClient.Cancellation();
    private final Thread runner = Thread.currentThread();
    private volatile boolean callerRunning;

    RelayPass(ResponseRelay relay, RelayRoute route, HttpExchange kong, byte[] requestBody) {
        this.relay = relay;
        this.route = route;
        this.kong = kong;
        this.requestBody = requestBody;
        this.stages = List.copyOf(route.stages);
    }

    void run() {
        try {
            pass();
        } catch (VirtualMachineError e) {
            // Out of memory in a filter, say: the answer must not end as if whole, and the log still gets its line.
            try {
                if (committed) {
                    breakOff();
                } else {
                    kongError(500, "An unexpected error occurred");
                }
                closeAll(route, new StreamEnd.FilterFailed("relay", e.toString()), 500);
            } catch (VirtualMachineError again) {
                e.addSuppressed(again);
            }
            throw e;
        } finally {
            ended = true;
            Thread.interrupted(); // a CallsUpstream caller interrupted for a client that left: not the next exchange's
        }
    }

    /**
     * The client closed its connection before the answer ended (the server noticed; no write was needed): the
     * upstream call is cancelled now, even while the upstream sends nothing, and the pass ends as
     * {@link StreamEnd.ClientGone}. A filter that calls the upstream itself has its thread interrupted, which ends
     * a blocking read or write of its HTTP client.
     */
    void clientLeft() {
        if (ended || brokenOff) {
            return; // the relay ended the answer itself: the connection closing after it is no client leaving
        }
        clientLeft = true;
        LOG.log(Level.INFO, () -> "relay: the client of request " + route.requestId + " closed its connection after " + sent
                + " bytes; the upstream call is cancelled");
        cancellation.cancel();
        if (callerRunning) {
            runner.interrupt();
        }
    }

    private void pass() {
        UpstreamRequest request = upstreamRequest();
        UpstreamClient client;
        try {
            for (RelayRoute.Stage stage : stages) {
                try {
                    stage.filter().onRequest(request);
                } catch (Exception | LinkageError e) {
                    throw new FilterFailure(stage.plugin(), e);
                }
            }
            for (RelayRoute.Stage stage : stages) {
                if (stage.filter() instanceof CallsUpstream caller) {
                    calledByFilter(stage.plugin(), caller, request);
                    return;
                }
            }
            if (request.url() == null) {
                LOG.log(Level.WARNING, "relay: request " + route.requestId + " has no Service and no filter set an upstream URL");
                kongError(503, "no Service found with those values");
                closeAll(route, new StreamEnd.UpstreamFailed(false, false, "no upstream"), 0);
                return;
            }
            client = relay.client(route);
        } catch (FilterFailure failure) {
            filterFailed(failure, null);
            return;
        } catch (UpstreamTls.Unusable | RuntimeException e) {
            LOG.log(Level.ERROR, "relay: request " + route.requestId + " cannot be sent upstream: " + e.getMessage());
            kongError(502, "An invalid response was received from the upstream server");
            closeAll(route, new StreamEnd.UpstreamFailed(false, false, e.getMessage()), 0);
            return;
        }
        try {
            UpstreamClient.Response response;
            try {
                response = send(client, request);
            } catch (UpstreamClient.AttemptFailed e) {
                if (clientLeft) {
                    clientGone(null);
                } else {
                    upstreamFailedBeforeHead(request.url().getHost(), (IOException) e.getCause());
                }
                return;
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "relay: request " + route.requestId + " cannot be sent upstream: " + e.getMessage());
                kongError(502, "An invalid response was received from the upstream server");
                closeAll(route, new StreamEnd.UpstreamFailed(false, false, e.getMessage()), 0);
                return;
            }
            try (response) {
                relay(response);
            }
        } finally {
            if (!relay.pooled(client)) {
                client.close();
            }
        }
    }

    /**
     * One request to the upstream with the Service's timeouts. A pooled connection the upstream had closed
     * meanwhile is retried on a new one, as nginx does with its keep-alive connections; nothing else is.
     */
    private UpstreamClient.Response send(UpstreamClient client, UpstreamRequest request) throws UpstreamClient.AttemptFailed {
        URI url = request.url();
        boolean tls = "https".equalsIgnoreCase(url.getScheme());
        String host = url.getHost();
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("the upstream URL " + url + " has no host");
        }
        int port = url.getPort() != -1 ? url.getPort() : tls ? 443 : 80;
        UpstreamClient.Address address = new UpstreamClient.Address(tls,
                host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host, port);
        String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        String target = url.getRawQuery() == null ? path : path + "?" + url.getRawQuery();
        List<String[]> headers = new java.util.ArrayList<>();
        boolean hasHost = false;
        for (Map.Entry<String, List<String>> header : request.headers().toMap().entrySet()) {
            String name = header.getKey();
            if (name.equalsIgnoreCase("host")) {
                if (hasHost) {
                    continue;
                }
                hasHost = true;
            }
            for (String value : header.getValue()) {
                headers.add(new String[] {name, value});
            }
        }
        if (!hasHost) {
            boolean defaultPort = port == (tls ? 443 : 80);
            headers.addFirst(new String[] {"host", host + (defaultPort ? "" : ":" + port)});
        }
        for (int stale = 0; ; stale++) {
            try {
                return client.send(address, request.method(), target, headers, request.body(), (int) route.connectMillis(),
                        (int) route.writeMillis(), (int) route.readMillis(), cancellation);
            } catch (UpstreamClient.AttemptFailed e) {
                if (!e.reused || e.timeout || stale >= 2 || clientLeft) {
                    throw e;
                }
            }
        }
    }

    private void upstreamFailedBeforeHead(String upstream, IOException e) {
        boolean timeout = isTimeout(e);
        LOG.log(Level.WARNING, "relay: " + upstream + " failed for request " + route.requestId + ": " + e);
        kongError(timeout ? 504 : 502, timeout ? "The upstream server is timing out"
                : "An invalid response was received from the upstream server");
        closeAll(route, new StreamEnd.UpstreamFailed(timeout, false, e.toString()), 0);
    }

    private void relay(UpstreamClient.Response response) {
        HttpFields headers = new HttpFields();
        boolean gzipped = false;
        for (String[] header : response.headers) {
            if (header[0].equalsIgnoreCase("content-encoding") && header[1].strip().equalsIgnoreCase("gzip")) {
                gzipped = true; // asked for identity and gzipped anyway (a CDN, a proxy): inflated for the filters and the client
                continue;
            }
            headers.add(header[0], header[1]);
        }
        if (gzipped) {
            headers.remove("content-length");
        }
        Downstream downstream = new Downstream();
        java.io.InputStream source = gzipped ? new Gunzipped(response.body) : response.body;
        byte[] buffer = READ_BUFFERS.get();
        IOException upstreamFailure = null;
        try {
            downstream.head(response.status, headers);
            while (true) {
                int read;
                try {
                    read = source.read(buffer);
                } catch (IOException e) {
                    upstreamFailure = e;
                    break;
                }
                if (read == -1) {
                    break;
                }
                downstream.body(Arrays.copyOf(buffer, read));
            }
            if (clientLeft) {
                throw new IOException("the client left");
            }
            downstream.end(upstreamFailure);
        } catch (FilterFailure failure) {
            cancellation.cancel();
            filterFailed(failure, downstream.head);
        } catch (IOException clientGone) {
            cancellation.cancel();
            clientGone(downstream.head);
        }
    }

    /** The exchange with the upstream made by {@code caller}, a filter of {@code plugin}, instead of by the relay. */
    private void calledByFilter(String plugin, CallsUpstream caller, UpstreamRequest request) {
        Downstream downstream = new Downstream();
        IOException upstreamFailure = null;
        FilterFailure callerFailed = null;
        try {
            callerRunning = true;
            try {
                if (clientLeft) {
                    throw new IOException("the client left before the upstream call");
                }
                caller.callUpstream(request, downstream);
            } catch (IOException e) {
                upstreamFailure = e;
            } catch (Exception | LinkageError e) {
                callerFailed = new FilterFailure(plugin, e);
            } finally {
                callerRunning = false;
            }
            if (clientLeft) {
                throw new IOException("the client left");
            }
            // A failed write decides how the exchange ended, whatever the caller made of it.
            if (downstream.filterFailure != null) {
                throw downstream.filterFailure;
            }
            if (downstream.clientGone != null) {
                throw downstream.clientGone;
            }
            if (callerFailed != null) {
                throw callerFailed;
            }
            if (downstream.head == null) {
                if (upstreamFailure == null) {
                    throw new FilterFailure(plugin, new IllegalStateException("the upstream call ended without an answer"));
                }
                upstreamFailedBeforeHead(plugin, upstreamFailure);
                return;
            }
            downstream.end(upstreamFailure);
        } catch (FilterFailure failure) {
            filterFailed(failure, downstream.head);
        } catch (IOException clientGone) {
            clientGone(downstream.head);
        }
    }

    private void clientGone(ResponseHead head) {
        LOG.log(clientLeft ? Level.INFO : Level.DEBUG, () -> "relay: the client of request " + route.requestId + " left after " + sent
                + " bytes; the upstream call was cancelled");
        closeAll(route, new StreamEnd.ClientGone(), head == null ? 0 : head.status());
    }

    /** The upstream's answer on its way through the filters to Kong, whoever called the upstream. */
    private final class Downstream implements UpstreamAnswer {
        ResponseHead head;
        FilterFailure filterFailure;
        IOException clientGone;

        @Override
        public void head(int status, HttpFields upstreamHeaders) throws IOException {
            if (head != null) {
                throw new IllegalStateException("the answer's head was already written");
            }
            HttpFields headers = new HttpFields();
            Map<String, List<String>> received = upstreamHeaders.toMap();
            Set<String> upstreamsOwn = HopByHopHeaders.listedIn(received.get("connection"));
            received.forEach((name, values) -> {
                if (!NOT_PASSED.contains(name) && !upstreamsOwn.contains(name)) {
                    values.forEach(value -> headers.add(name, value));
                }
            });
            head = new ResponseHead(status, headers);
            for (RelayRoute.Stage stage : stages) {
                try {
                    stage.filter().onHeaders(head);
                } catch (Exception | LinkageError e) {
                    throw filterFailure = new FilterFailure(stage.plugin(), e);
                }
            }
        }

        @Override
        public void body(byte[] bytes) throws IOException {
            if (head == null) {
                throw new IllegalStateException("the answer's body was written before its head");
            }
            byte[] out;
            try {
                out = pass(0, bytes);
            } catch (FilterFailure failure) {
                throw filterFailure = failure;
            }
            try {
                write(head, out);
            } catch (IOException e) {
                throw clientGone = e;
            }
        }

        /** The body ended, whole or broken off by {@code upstreamFailure}: the filters' last bytes, then the log. */
        void end(IOException upstreamFailure) throws IOException {
            if (upstreamFailure != null && !committed) {
                boolean timeout = isTimeout(upstreamFailure);
                LOG.log(Level.WARNING, "relay: the answer to request " + route.requestId + " broke off: " + upstreamFailure);
                kongError(timeout ? 504 : 502, timeout ? "The upstream server is timing out"
                        : "An invalid response was received from the upstream server");
                closeAll(route, new StreamEnd.UpstreamFailed(timeout, false, upstreamFailure.toString()), 0);
                return;
            }
            ByteArrayOutputStream tail = new ByteArrayOutputStream();
            for (int i = 0; i < stages.size(); i++) {
                RelayRoute.Stage stage = stages.get(i);
                byte[] last;
                try {
                    last = stage.filter().onEnd();
                } catch (Exception | LinkageError e) {
                    if (upstreamFailure == null) {
                        throw new FilterFailure(stage.plugin(), e);
                    }
                    // the upstream broke off first and the filter refuses the answer as incomplete: the upstream's
                    // failure (a read timeout, a reset) is what ended it, and what its log says
                    LOG.log(Level.DEBUG, () -> "relay: " + stage.plugin() + " refused the broken-off answer to request " + route.requestId
                            + ": " + e);
                    last = ResponseFilter.NOTHING;
                }
                byte[] out = pass(i + 1, last == null ? ResponseFilter.NOTHING : last);
                if (committed) {
                    write(head, out);
                } else {
                    tail.write(out);
                }
            }
            if (!committed) {
                sendHead(head, tail.size(), false);
                try (OutputStream body = kong.getResponseBody()) {
                    tail.writeTo(body);
                }
                sent += tail.size();
            } else if (upstreamFailure != null) {
                // the filters' last bytes are out; the answer is broken off, not ended, so that Kong (and its client)
                // sees it incomplete, as when nginx's own upstream breaks off
                breakOff();
            } else {
                kong.getResponseBody().close();
            }
            if (upstreamFailure != null) {
                LOG.log(Level.WARNING, "relay: the answer to request " + route.requestId + " broke off after " + sent
                        + " bytes: " + upstreamFailure);
                closeAll(route, new StreamEnd.UpstreamFailed(isTimeout(upstreamFailure), true, upstreamFailure.toString()), head.status());
            } else {
                closeAll(route, new StreamEnd.Completed(head.status()), head.status());
            }
        }
    }

    /** Feeds {@code bytes} through the filters from {@code from} on; what the last one returns goes to the client. */
    private byte[] pass(int from, byte[] bytes) throws FilterFailure {
        byte[] current = bytes;
        for (int i = from; i < stages.size() && current.length > 0; i++) {
            RelayRoute.Stage stage = stages.get(i);
            try {
                current = stage.filter().onChunk(current);
            } catch (Exception | LinkageError e) {
                throw new FilterFailure(stage.plugin(), e);
            }
            if (current == null) {
                current = ResponseFilter.NOTHING;
            }
        }
        return current;
    }

    private void write(ResponseHead head, byte[] bytes) throws IOException {
        if (bytes.length == 0) {
            return;
        }
        if (!committed) {
            sendHead(head, 0, true);
        }
        OutputStream out = kong.getResponseBody();
        out.write(bytes);
        out.flush();
        sent += bytes.length;
    }

    /** Sends the head: chunked when the body streams, else with the body's exact length (none when empty). */
    private void sendHead(ResponseHead head, long length, boolean streaming) throws IOException {
        committed = true;
        head.headers().toMap().forEach((name, values) -> kong.getResponseHeaders().put(name, values));
        kong.sendResponseHeaders(head.status(), streaming ? 0 : length == 0 ? -1 : length);
    }

    private void filterFailed(FilterFailure failure, ResponseHead head) {
        int status = failure.getCause() instanceof io.kongjava.pdk.filter.AnswerRefused refused ? refused.status() : 500;
        LOG.log(Level.WARNING, "relay: the response filter of " + failure.plugin + " failed on request " + route.requestId
                + (committed ? " after " + sent + " bytes; the response was ended there: " : "; the client got a " + status + ": ")
                + failure.getMessage());
        if (!committed) {
            kongError(status, io.kongjava.catalogue.KongStatusTexts.defaultMessage(status));
        } else {
            breakOff();
        }
        closeAll(route, new StreamEnd.FilterFailed(failure.plugin, failure.getMessage()), head == null ? 500 : head.status());
    }

    /**
     * Ends a started answer without its proper end, so that Kong and its client see it incomplete, as nginx leaves
     * an answer whose body filter failed: an answer ended properly would pass for whole, less what a filter held back.
     */
    private void breakOff() {
        brokenOff = true;
        try {
            kong.getResponseBody().flush();
        } catch (IOException ignored) {
            // the client is gone as well
        }
        Abortable.abort(kong);
    }

    private UpstreamRequest upstreamRequest() {
        HttpFields headers = new HttpFields();
        String relayHost = relay.hostHeader();
        for (Map.Entry<String, List<String>> header : kong.getRequestHeaders().entrySet()) {
            String lower = header.getKey().toLowerCase(Locale.ROOT);
            List<String> values = header.getValue();
            if (NOT_PASSED.contains(lower) || lower.equals("accept-encoding") || lower.equals("expect")) {
                // Filters read the body as sent: the upstream is asked for it uncompressed (below).
                continue;
            }
            if (lower.equals("host") && (values.contains(relayHost) || values.contains("127.0.0.1"))) {
                // Kong's Host for the target the access phase set: the Service's own host goes instead.
                continue;
            }
            for (String value : values) {
                headers.add(lower, value);
            }
        }
        // Said, not left out: without Accept-Encoding a server may pick any coding (RFC 9110 12.5.3)
        headers.add("accept-encoding", "identity");
        URI url = route.service.map(service -> serviceUrl(service, kong.getRequestURI())).orElse(null);
        return new UpstreamRequest(kong.getRequestMethod(), url, headers, requestBody);
    }

    /** The Service's scheme, host and port with the path and query Kong computed for it (route rules applied). */
    static URI serviceUrl(Service service, URI kongRequest) {
        String scheme = service.protocol().equals("https") ? "https" : "http";
        String query = kongRequest.getRawQuery();
        return URI.create(scheme + "://" + hostForUri(service.host()) + ":" + service.port() + kongRequest.getRawPath()
                + (query == null ? "" : "?" + query));
    }

    private static String hostForUri(String host) {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    private void kongError(int status, String message) {
        StringBuilder json = new StringBuilder("{\"message\":\"").append(message).append('"');
        if (route.requestId != null) {
            json.append(",\"request_id\":\"").append(route.requestId.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        }
        byte[] bytes = json.append('}').toString().getBytes(StandardCharsets.UTF_8);
        try {
            kong.getResponseHeaders().set("content-type", "application/json; charset=utf-8");
            kong.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = kong.getResponseBody()) {
                out.write(bytes);
            }
            committed = true;
        } catch (IOException clientGone) {
            // nothing more to tell
        }
    }

    private static boolean isTimeout(IOException e) {
        return e instanceof SocketTimeoutException || e instanceof InterruptedIOException;
    }

    /** Tells every filter how the exchange ended and completes the request's {@code relay} log block. */
    static void closeAll(RelayRoute route, StreamEnd end, int status) {
        Map<String, Object> fields = new LinkedHashMap<>();
        for (RelayRoute.Stage stage : route.stages) {
            try {
                stage.filter().onClose(end);
                fields.putAll(stage.filter().logFields());
            } catch (RuntimeException | LinkageError e) {
                LOG.log(Level.WARNING, "relay: the response filter of " + stage.plugin() + " failed in onClose: " + e);
            }
        }
        Map<String, Object> block = new LinkedHashMap<>();
        block.put("outcome", end.outcome());
        block.put("filters", route.plugins());
        if (end instanceof StreamEnd.FilterFailed failed) {
            block.put("failed_filter", failed.plugin());
            block.put("error", failed.message());
        } else if (end instanceof StreamEnd.ClientGone) {
            block.put("error", "the client closed the connection before the answer ended; the upstream call was cancelled");
        }
        if (status > 0) {
            block.put("status", status);
        }
        block.put("fields", fields);
        route.logBlock.complete(block);
    }

    /** An upstream body in gzip, read inflated, piece by piece as it comes (a streamed answer stays streamed). */
    private static final class Gunzipped extends java.io.FilterInputStream {
        private java.util.zip.GZIPInputStream inflated;

        Gunzipped(java.io.InputStream in) {
            super(in);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (inflated == null) {
                inflated = new java.util.zip.GZIPInputStream(in, 4096); // reads the gzip header on the first read
            }
            return inflated.read(b, off, len);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
