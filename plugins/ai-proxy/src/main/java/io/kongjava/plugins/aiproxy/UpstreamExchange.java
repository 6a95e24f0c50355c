package io.kongjava.plugins.aiproxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import okhttp3.Call;
import okhttp3.Headers;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSource;

/**
 * One relayed request: calls the provider, passes its answer to Kong as it arrives (SSE event by event),
 * reads the usage on the way, and completes the request's {@code ai} block however the exchange ends.
 */
final class UpstreamExchange {

    private static final System.Logger LOG = System.getLogger(UpstreamExchange.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final MediaType APPLICATION_JSON = MediaType.get("application/json");
    /** Payloads logged with log_payloads are cut here, so one request cannot flood a log line. */
    static final int PAYLOAD_LIMIT = 1 << 20;
    /** A non-streamed answer is read whole (to count and translate it); larger ones are refused. */
    static final int MAX_BUFFERED_RESPONSE = 64 << 20;

    private static final Set<String> NOT_FORWARDED = Set.of("host", "content-length", "transfer-encoding", "connection",
            "keep-alive", "te", "trailer", "upgrade", "proxy-connection", "proxy-authorization", "accept-encoding", "expect",
            Relay.TICKET_HEADER);
    /** Headers that carry a client's own credentials to Anthropic (x-api-key, or Authorization: Bearer for OAuth). */
    static final List<String> CLIENT_CREDENTIALS = List.of("authorization", "x-api-key", "proxy-authorization");
    private static final Set<String> NOT_RETURNED = Set.of("content-length", "transfer-encoding", "connection", "keep-alive",
            "content-encoding", "trailer", "upgrade");

    private final ProxyCall call;
    private final HttpExchange kong;
    private final OkHttpClient http;
    private final Meter meter;
    private final boolean translate;

    UpstreamExchange(ProxyCall call, HttpExchange kong, OkHttpClient http) {
        this.call = call;
        this.kong = kong;
        this.http = http;
        this.meter = new Meter(call.startNanos(), call.config().logging().logPayloads() ? PAYLOAD_LIMIT : 0);
        this.translate = call.endpoint() == ProxyCall.Endpoint.CHAT_COMPLETIONS;
    }

    void run() {
        ProxyCall.Timeouts timeouts = call.timeouts();
        Call upstream = http.newBuilder()
                .connectTimeout(Duration.ofMillis(timeouts.connectMillis()))
                .writeTimeout(Duration.ofMillis(timeouts.writeMillis()))
                .readTimeout(Duration.ofMillis(timeouts.relayReadMillis()))
                .build().newCall(request());
        Response response;
        try {
            response = upstream.execute();
        } catch (IOException e) {
            boolean timeout = e instanceof SocketTimeoutException || e instanceof InterruptedIOException;
            LOG.log(Level.WARNING, "java-ai-proxy: " + call.upstream().getHost() + " failed for request " + call.requestId()
                    + ": " + call.scrub(e.toString()));
            if (timeout) {
                kongError(504, "The upstream server is timing out");
                finish(Outcome.UPSTREAM_TIMEOUT, 0);
            } else {
                kongError(502, "An invalid response was received from the upstream server");
                finish(Outcome.UPSTREAM_UNREACHABLE, 0);
            }
            return;
        }
        try (response) {
            int status = response.code();
            String contentType = response.header("content-type", "");
            if (status != 200) {
                passError(response);
            } else if (contentType.toLowerCase(Locale.ROOT).startsWith("text/event-stream")) {
                stream(response, upstream);
            } else {
                oneshot(response);
            }
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "java-ai-proxy: relaying request " + call.requestId() + " failed: " + call.scrub(e.toString()));
            finish(Outcome.TRUNCATED, 0);
        }
    }

    private Request request() {
        HttpUrl base = HttpUrl.get(call.upstream());
        HttpUrl.Builder url = base.newBuilder();
        String query = kong.getRequestURI().getRawQuery();
        if (query != null && !query.isEmpty()) {
            url.encodedQuery(base.encodedQuery() == null ? query : base.encodedQuery() + "&" + query);
        }
        AiProxyConfig.Auth auth = call.config().auth().orElse(null);
        if (auth != null && auth.paramName().isPresent() && auth.paramLocation().orElse("").equals("query")) {
            String name = auth.paramName().get();
            HttpUrl sofar = url.build();
            if (!(auth.allowOverride() && sofar.queryParameter(name) != null)) {
                url.removeAllQueryParameters(name).addQueryParameter(name, auth.paramValue().orElse(""));
            }
        }
        Headers.Builder headers = new Headers.Builder();
        kong.getRequestHeaders().forEach((name, values) -> {
            String lower = name.toLowerCase(Locale.ROOT);
            if (!NOT_FORWARDED.contains(lower)) {
                values.forEach(value -> headers.addUnsafeNonAscii(lower, value));
            }
        });
        if (auth != null && !auth.allowOverride() && (auth.headerName().isPresent() || auth.paramName().isPresent())) {
            // The operator's credentials replace the client's, all of them: a client's Bearer token (an Anthropic
            // OAuth token included) next to the injected key would reach the provider too.
            CLIENT_CREDENTIALS.forEach(headers::removeAll);
        }
        if (auth != null && auth.headerName().isPresent()) {
            String name = auth.headerName().get();
            if (!(auth.allowOverride() && headers.get(name) != null)) {
                headers.set(name, auth.headerValue().orElse(""));
            }
        }
        call.config().options().anthropicVersion().ifPresent(version -> headers.set("anthropic-version", version));
        if (call.body().length > 0 || !call.endpoint().equals(ProxyCall.Endpoint.PRESERVE)) {
            headers.set("content-type", "application/json");
        }
        String method = kong.getRequestMethod();
        RequestBody body = call.body().length > 0 || method.equals("POST") || method.equals("PUT") || method.equals("PATCH")
                ? RequestBody.create(call.body(), APPLICATION_JSON) : null;
        return new Request.Builder().url(url.build()).headers(headers.build()).method(method, body).build();
    }

    private void sendHeaders(Response response, int status, long length, String contentType) throws IOException {
        response.headers().forEach(header -> {
            String lower = header.getFirst().toLowerCase(Locale.ROOT);
            if (!NOT_RETURNED.contains(lower)) {
                kong.getResponseHeaders().add(header.getFirst(), header.getSecond());
            }
        });
        if (contentType != null) {
            kong.getResponseHeaders().set("content-type", contentType);
        }
        if (status == 200 && call.config().modelNameHeader() && call.requestModel() != null) {
            kong.getResponseHeaders().set("x-kong-llm-model", Analytics.PROVIDER + "/" + call.requestModel());
        }
        kong.sendResponseHeaders(status, length);
    }

    private void passError(Response response) {
        int status = response.code();
        byte[] body;
        try {
            body = readBounded(response.body().source());
        } catch (IOException e) {
            kongError(502, "An invalid response was received from the upstream server");
            finish(Outcome.TRUNCATED, status);
            return;
        }
        meter.payload(new String(body, StandardCharsets.UTF_8));
        try {
            sendHeaders(response, status, body.length == 0 ? -1 : body.length, null);
            try (OutputStream out = kong.getResponseBody()) {
                out.write(body);
            }
            finish(Outcome.UPSTREAM_ERROR, status);
        } catch (IOException e) {
            finish(Outcome.CLIENT_DISCONNECTED, status);
        }
    }

    private void oneshot(Response response) {
        byte[] body;
        try {
            body = readBounded(response.body().source());
        } catch (IOException e) {
            LOG.log(Level.WARNING, "java-ai-proxy: the answer to request " + call.requestId() + " broke off: " + call.scrub(e.toString()));
            kongError(502, "An invalid response was received from the upstream server");
            finish(Outcome.TRUNCATED, 200);
            return;
        }
        JsonNode message = parse(body);
        if (message != null) {
            if (call.endpoint() == ProxyCall.Endpoint.COUNT_TOKENS) {
                // A count, not a consumption: kept apart so that nothing summing usage adds it.
                meter.counted(message.path("input_tokens").asLong(0));
            } else {
                meter.usage(message.get("usage"));
            }
            meter.responseModel(message.path("model").asText(null));
            meter.stopReason(message.path("stop_reason").asText(null));
            for (JsonNode block : message.path("content")) {
                meter.token(block.path("text").asText(""));
            }
        }
        meter.end();
        String contentType = null;
        if (translate && message != null && message.has("content")) {
            body = OpenAiTranslation.toOpenAiResponse(message, call.requestModel()).toString().getBytes(StandardCharsets.UTF_8);
            contentType = "application/json";
        }
        meter.payload(new String(body, StandardCharsets.UTF_8));
        try {
            sendHeaders(response, 200, body.length == 0 ? -1 : body.length, contentType);
            try (OutputStream out = kong.getResponseBody()) {
                out.write(body);
            }
            finish(Outcome.COMPLETE, 200);
        } catch (IOException e) {
            finish(Outcome.CLIENT_DISCONNECTED, 200);
        }
    }

    /** The stream's state, fed by the SSE parser. */
    private final class StreamState implements SseParser.Listener {
        final OpenAiTranslation.StreamTranslator translator =
                translate ? new OpenAiTranslation.StreamTranslator(call.requestModel(), call.includeStreamUsage()) : null;
        final StringBuilder pending = new StringBuilder();
        boolean stopped;
        boolean errored;

        @Override
        public void onEvent(String event, String data) {
            JsonNode json = parse(data.getBytes(StandardCharsets.UTF_8));
            if (json == null) {
                return;
            }
            switch (event) {
                case "message_start" -> {
                    meter.usage(json.path("message").get("usage"));
                    meter.responseModel(json.path("message").path("model").asText(null));
                }
                case "content_block_delta" -> {
                    JsonNode delta = json.path("delta");
                    meter.token(delta.path("text").asText(delta.path("partial_json").asText(delta.path("thinking").asText(""))));
                }
                case "message_delta" -> {
                    meter.usage(json.get("usage"));
                    meter.stopReason(json.path("delta").path("stop_reason").asText(null));
                }
                case "message_stop" -> stopped = true;
                case "error" -> errored = true;
                default -> { }
            }
            if (translator != null) {
                pending.append(translator.translate(event, json));
            }
        }
    }

    private void stream(Response response, Call upstream) {
        StreamState state = new StreamState();
        SseParser parser = new SseParser(state);
        BufferedSource source = response.body().source();
        byte[] buffer = new byte[16 * 1024];
        IOException upstreamFailure = null;
        WholeEvents events = new WholeEvents();
        OutputStream out;
        try {
            sendHeaders(response, 200, 0, translate ? "text/event-stream; charset=utf-8" : null);
            out = kong.getResponseBody();
        } catch (IOException e) {
            upstream.cancel();
            finish(Outcome.CLIENT_DISCONNECTED, 200);
            return;
        }
        try {
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
                meter.payload(new String(buffer, 0, read, StandardCharsets.UTF_8));
                if (!translate) {
                    events.write(out, buffer, read);
                }
                parser.feed(buffer, 0, read);
                if (translate && !state.pending.isEmpty()) {
                    out.write(state.pending.toString().getBytes(StandardCharsets.UTF_8));
                    state.pending.setLength(0);
                }
                out.flush();
            }
            parser.finish();
            meter.end();
            Outcome outcome;
            if (state.errored) {
                outcome = Outcome.STREAM_ERROR;
            } else if (state.stopped) {
                outcome = Outcome.COMPLETE;
            } else {
                outcome = upstreamFailure instanceof SocketTimeoutException ? Outcome.UPSTREAM_TIMEOUT : Outcome.TRUNCATED;
                LOG.log(Level.WARNING, "java-ai-proxy: the stream of request " + call.requestId() + " ended before message_stop"
                        + (upstreamFailure == null ? "" : ": " + call.scrub(upstreamFailure.toString())));
                out.write(endOfBrokenStream().getBytes(StandardCharsets.UTF_8));
            }
            if (translate && !state.pending.isEmpty()) {
                out.write(state.pending.toString().getBytes(StandardCharsets.UTF_8));
            }
            out.close();
            finish(outcome, 200);
        } catch (IOException clientGone) {
            upstream.cancel();
            meter.end();
            finish(Outcome.CLIENT_DISCONNECTED, 200);
        }
    }

    /**
     * Passes the stream on in whole events only, each as soon as its blank line arrives, so that a stream
     * that breaks off never leaves the client half an event in front of the error event that ends it.
     */
    static final class WholeEvents {
        private final java.io.ByteArrayOutputStream pending = new java.io.ByteArrayOutputStream();
        private int lineLength;

        void write(OutputStream out, byte[] bytes, int length) throws IOException {
            int from = 0;
            for (int i = 0; i < length; i++) {
                byte b = bytes[i];
                if (b == '\n') {
                    if (lineLength == 0) {
                        pending.write(bytes, from, i + 1 - from);
                        pending.writeTo(out);
                        pending.reset();
                        from = i + 1;
                    }
                    lineLength = 0;
                } else if (b != '\r') {
                    lineLength++;
                }
            }
            pending.write(bytes, from, length - from);
        }

        /** Bytes of an event not yet complete. */
        int pendingBytes() {
            return pending.size();
        }
    }

    /** An error event in the client's own format, so that it sees a failed stream rather than a silent end. */
    private String endOfBrokenStream() {
        String message = "java-ai-proxy: the upstream stream ended before message_stop";
        if (translate) {
            ObjectNode error = JSON.createObjectNode();
            error.putObject("error").put("message", message).put("type", "api_error");
            return "data: " + error + "\n\ndata: [DONE]\n\n";
        }
        ObjectNode error = JSON.createObjectNode().put("type", "error");
        error.putObject("error").put("type", "api_error").put("message", message);
        return "event: error\ndata: " + error + "\n\n";
    }

    private void kongError(int status, String message) {
        ObjectNode body = JSON.createObjectNode().put("message", message).put("request_id", call.requestId());
        byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
        try {
            kong.getResponseHeaders().set("content-type", "application/json; charset=utf-8");
            kong.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = kong.getResponseBody()) {
                out.write(bytes);
            }
        } catch (IOException clientGone) {
            // nothing more to tell
        }
    }

    private void finish(Outcome outcome, int upstreamStatus) {
        meter.end();
        String requestPayload = call.config().logging().logPayloads()
                ? new String(call.body(), 0, Math.min(call.body().length, PAYLOAD_LIMIT), StandardCharsets.UTF_8) : null;
        call.analytics().complete(Analytics.block(call, meter, outcome, upstreamStatus, requestPayload));
    }

    private static byte[] readBounded(BufferedSource source) throws IOException {
        if (!source.request(MAX_BUFFERED_RESPONSE + 1L)) {
            return source.readByteArray();
        }
        throw new IOException("response larger than " + MAX_BUFFERED_RESPONSE + " bytes");
    }

    private static JsonNode parse(byte[] bytes) {
        try {
            return JSON.readTree(bytes);
        } catch (IOException e) {
            return null;
        }
    }

}
