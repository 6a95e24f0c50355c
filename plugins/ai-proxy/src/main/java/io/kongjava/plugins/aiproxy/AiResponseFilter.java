package io.kongjava.plugins.aiproxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kongjava.plugins.ai.SseParser;
import io.kongjava.pdk.filter.AnswerRefused;
import io.kongjava.pdk.filter.HttpFields;
import io.kongjava.pdk.filter.ResponseFilter;
import io.kongjava.pdk.filter.ResponseHead;
import io.kongjava.pdk.filter.StreamEnd;
import io.kongjava.pdk.filter.UpstreamRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One provider call as the server's relay runs it: the request is addressed to the provider with the
 * operator's credentials (here, off Kong, so the key never passes through Kong's request headers), and the
 * answer passes through SSE event by event, measured on the way; the request's {@code ai} block is completed
 * however the exchange ends.
 */
final class AiResponseFilter implements ResponseFilter {

    private static final System.Logger LOG = System.getLogger(AiResponseFilter.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Payloads logged with log_payloads are cut here, so one request cannot flood a log line. */
    static final int PAYLOAD_LIMIT = 1 << 20;
    /**
     * A non-streamed answer is read whole (to count and translate it); larger ones are refused. Anthropic's largest
     * (128k output tokens) is under 1 MiB; the plugin server's default heap is 64 MB.
     */
    static final int MAX_BUFFERED_RESPONSE = 4 << 20;

    /** Headers that carry a client's own credentials to Anthropic (x-api-key, or Authorization: Bearer for OAuth). */
    static final List<String> CLIENT_CREDENTIALS = List.of("authorization", "x-api-key", "proxy-authorization");

    /** OPAQUE: an answer the plugin cannot read (a coding it does not decode, a file): passed on as it came, uncounted. */
    private enum Mode { STREAM, ONESHOT, ERROR, OPAQUE }

    private final ProxyCall call;
    private final Meter meter;
    private final boolean translate;
    private Mode mode;
    private int upstreamStatus;
    private ResponseHead head;
    private final ByteArrayOutputStream buffered = new ByteArrayOutputStream();
    private StreamState state;
    private SseParser parser;
    private final WholeEvents events = new WholeEvents();
    private boolean finished;
    /** The answer was refused for its size (the client got Kong's 502), not cut short. */
    private boolean tooLarge;

    /** The request body's share of the server's {@link io.kongjava.plugins.ai.BodyBudget}, given back when the exchange ends. */
    private final io.kongjava.plugins.ai.BodyBudget.Reservation bodyReservation;
    /** A non-streamed answer's share of the same budget, taken as it is read. */
    private final io.kongjava.plugins.ai.BodyBudget.Growing answerRoom = AiProxyPlugin.bodyBudget.growing();

    /** The client sent Kong-Debug, which makes Kong's ai-proxy name the model whatever model_name_header says. */
    private boolean kongDebug;

    AiResponseFilter(ProxyCall call) {
        this(call, io.kongjava.plugins.ai.BodyBudget.shared().none());
    }

    AiResponseFilter(ProxyCall call, io.kongjava.plugins.ai.BodyBudget.Reservation bodyReservation) {
        this.call = call;
        this.bodyReservation = bodyReservation;
        this.meter = new Meter(call.startNanos(), call.config().logging().logPayloads() ? PAYLOAD_LIMIT : 0);
        this.translate = call.endpoint() == ProxyCall.Endpoint.CHAT_COMPLETIONS;
    }

    @Override
    public void onRequest(UpstreamRequest request) {
        URI base = call.upstream();
        StringBuilder query = new StringBuilder(base.getRawQuery() == null ? "" : base.getRawQuery());
        String clientQuery = request.url() == null ? null : request.url().getRawQuery();
        if (clientQuery != null && !clientQuery.isEmpty()) {
            query.append(query.isEmpty() ? "" : "&").append(clientQuery);
        }
        AiProxyConfig.Auth auth = call.config().auth().orElse(null);
        if (auth != null && auth.paramName().isPresent() && auth.paramLocation().orElse("").equals("query")) {
            String name = URLEncoder.encode(auth.paramName().get(), StandardCharsets.UTF_8);
            List<String> kept = new ArrayList<>();
            boolean clientHasIt = false;
            for (String pair : query.isEmpty() ? new String[0] : query.toString().split("&")) {
                if (argName(pair).equals(auth.paramName().get())) {
                    clientHasIt = true;
                    if (auth.allowOverride()) {
                        kept.add(pair);
                    }
                } else {
                    kept.add(pair);
                }
            }
            if (!(auth.allowOverride() && clientHasIt)) {
                kept.add(name + "=" + URLEncoder.encode(auth.paramValue().orElse(""), StandardCharsets.UTF_8));
            }
            query.setLength(0);
            query.append(String.join("&", kept));
        }
        request.setUrl(URI.create(base.getScheme() + "://" + base.getRawAuthority() + base.getRawPath()
                + (query.isEmpty() ? "" : "?" + query)));
        HttpFields headers = request.headers();
        kongDebug = headers.contains("kong-debug");
        headers.remove("host");
        if (auth != null && !auth.allowOverride() && (auth.headerName().isPresent() || auth.paramName().isPresent())) {
            // The operator's credentials replace the client's, all of them: a client's Bearer token (an Anthropic
            // OAuth token included) next to the injected key would reach the provider too.
            // Kong passes names with underscores on (underscores_in_headers on), and a server that maps '_' to '-'
            // (CGI and WSGI do) would read a client's x_api_key as x-api-key: every spelling goes.
            List<String> credentials = new ArrayList<>(CLIENT_CREDENTIALS);
            auth.headerName().ifPresent(name -> credentials.add(name.toLowerCase(java.util.Locale.ROOT)));
            for (String name : headers.toMap().keySet()) {
                if (credentials.contains(name.replace('_', '-'))) {
                    headers.remove(name);
                }
            }
        }
        if (auth != null && auth.headerName().isPresent()) {
            String name = auth.headerName().get();
            if (!(auth.allowOverride() && headers.contains(name))) {
                removeOtherSpellings(headers, name);
                headers.set(name, auth.headerValue().orElse(""));
            }
        }
        call.config().options().anthropicVersion().ifPresent(version -> {
            removeOtherSpellings(headers, "anthropic-version");
            headers.set("anthropic-version", version);
        });
        if (call.body().length > 0 || !call.endpoint().equals(ProxyCall.Endpoint.PRESERVE)) {
            removeOtherSpellings(headers, "content-type");
            headers.set("content-type", "application/json");
        }
        request.setBody(call.body());
    }

    /** A header the plugin sets goes alone: a client's {@code anthropic_version} beside it could be read as it (CGI, WSGI). */
    private static void removeOtherSpellings(HttpFields headers, String name) {
        String dashed = name.toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        for (String present : headers.toMap().keySet()) {
            if (!present.equals(dashed) && present.replace('_', '-').equals(dashed)) {
                headers.remove(present);
            }
        }
    }

    /** A query argument's name as Kong reads it (decoded: {@code %6Bey} is {@code key}), or the pair itself when it is no name. */
    static String argName(String pair) {
        int equals = pair.indexOf('=');
        String raw = equals < 0 ? pair : pair.substring(0, equals);
        try {
            return java.net.URLDecoder.decode(raw, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException malformed) {
            return raw;
        }
    }

    @Override
    public void onHeaders(ResponseHead head) {
        this.head = head;
        upstreamStatus = head.status();
        String coding = head.headers().first("content-encoding").orElse("identity").strip().toLowerCase(Locale.ROOT);
        String contentType = head.headers().first("content-type").orElse("").toLowerCase(Locale.ROOT);
        if (!coding.equals("identity")) {
            // The relay asked for identity and inflates gzip itself: another coding (br, zstd) the client must decode.
            LOG.log(Level.WARNING, "java-ai-proxy: the answer to request " + call.requestId() + " came in content-encoding "
                    + coding + ", which java-ai-proxy does not decode: its usage is not counted, and java-ai-proxy leaves it as it came");
            mode = Mode.OPAQUE;
        } else if (upstreamStatus != 200) {
            mode = Mode.ERROR;
        } else if (contentType.startsWith("text/event-stream")) {
            mode = Mode.STREAM;
            state = new StreamState();
            parser = new SseParser(state);
            if (translate) {
                head.headers().set("content-type", "text/event-stream; charset=utf-8");
            }
        } else if (!contentType.isEmpty() && !contentType.contains("json")) {
            // a file (the Files API's content, say) through a preserve route: nothing to count, nothing to buffer
            mode = Mode.OPAQUE;
        } else {
            mode = Mode.ONESHOT;
        }
        if (coding.equals("identity")) {
            head.headers().remove("content-encoding");
        }
        if (upstreamStatus == 200 && (call.config().modelNameHeader() || kongDebug) && call.requestModel() != null) {
            head.headers().set("x-kong-llm-model", Analytics.PROVIDER + "/" + call.requestModel());
        }
    }

    @Override
    public byte[] onChunk(byte[] chunk) throws IOException, AnswerRefused {
        if (mode == Mode.OPAQUE) {
            return chunk;
        }
        if (mode != Mode.STREAM) {
            long size = buffered.size() + (long) chunk.length;
            if (size > MAX_BUFFERED_RESPONSE) {
                tooLarge = true;
                throw new AnswerRefused(502, "the provider's answer is larger than " + MAX_BUFFERED_RESPONSE
                        + " bytes, the most java-ai-proxy reads whole");
            }
            makeRoom(size);
            buffered.write(chunk);
            return NOTHING;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(chunk.length + 64);
        if (!translate) {
            meter.payload(chunk);
            events.write(out, chunk, chunk.length);
        }
        parser.feed(chunk, 0, chunk.length);
        if (translate && !state.pending.isEmpty()) {
            String translated = state.pending.toString();
            meter.payload(translated); // what the client gets, as Kong logs it
            out.write(translated.getBytes(StandardCharsets.UTF_8));
            state.pending.setLength(0);
        }
        return out.toByteArray();
    }

    /** Waits for room in the server's budget for an answer this large; an answer that gets none is not read whole. */
    private void makeRoom(long size) throws IOException {
        if (size <= io.kongjava.plugins.ai.BodyBudget.UNCOUNTED_BYTES) {
            return;
        }
        try {
            if (!answerRoom.ensure(size, AiProxyPlugin.bodyBudgetWait)) {
                throw new IOException("the plugin server holds as many large answers as its heap allows; an answer of "
                        + (size >> 10) + " KiB or more found no room");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting for room for the answer");
        }
    }

    @Override
    public byte[] onEnd() throws IOException, AnswerRefused {
        byte[] body = buffered.toByteArray();
        return switch (mode) {
            case ERROR -> {
                meter.payload(new String(body, StandardCharsets.UTF_8));
                yield body;
            }
            case ONESHOT -> oneshot(body);
            case OPAQUE -> {
                meter.end();
                yield NOTHING;
            }
            case STREAM -> {
                parser.finish();
                meter.end();
                if (!state.stopped && !state.errored) {
                    // Broken off, not ended: the client sees the answer incomplete and retries as it would a connection to
                    // Anthropic that dropped (an error event made Claude Code give up streaming), never a short answer
                    // that looks whole. Nothing sent yet: Kong's 502.
                    LOG.log(Level.WARNING, "java-ai-proxy: the stream of request " + call.requestId() + " ended before message_stop");
                    throw new AnswerRefused(502, "the provider's stream ended before message_stop");
                }
                ByteArrayOutputStream last = new ByteArrayOutputStream();
                if (translate) {
                    meter.payload(state.pending.toString());
                    last.writeBytes(state.pending.toString().getBytes(StandardCharsets.UTF_8));
                } else {
                    // the last event, complete but for its blank line, goes on as it came
                    events.drain(last);
                }
                yield last.toByteArray();
            }
        };
    }

    private byte[] oneshot(byte[] body) {
        JsonNode message = parse(body);
        if (message != null) {
            if (call.endpoint() == ProxyCall.Endpoint.COUNT_TOKENS) {
                // A count, not a consumption: kept apart so that nothing summing usage adds it.
                meter.counted(message.path("input_tokens").asLong(0));
            } else {
                meter.wholeAnswerUsage(message.get("usage"));
            }
            meter.responseModel(message.path("model").asText(null));
            meter.stopReason(message.path("stop_reason").asText(null));
            for (JsonNode block : message.path("content")) {
                meter.token(block.path("text").asText(""));
            }
        }
        meter.end();
        byte[] answer = body;
        if (translate && message != null && message.has("content")) {
            answer = OpenAiTranslation.toOpenAiResponse(message, call.requestModel()).toString().getBytes(StandardCharsets.UTF_8);
            // The head is still changeable: nothing of this body has left yet.
            head.headers().set("content-type", "application/json");
        }
        meter.payload(new String(answer, StandardCharsets.UTF_8)); // the body the client gets, translated or not, as Kong logs it
        return answer;
    }

    @Override
    public void onClose(StreamEnd end) {
        bodyReservation.close();
        answerRoom.close();
        if (finished) {
            return;
        }
        finished = true;
        Outcome outcome = switch (end) {
            case StreamEnd.Completed completed -> switch (mode) {
                case ERROR -> Outcome.UPSTREAM_ERROR;
                case ONESHOT, OPAQUE -> Outcome.COMPLETE;
                case STREAM -> state.errored ? Outcome.STREAM_ERROR : state.stopped ? Outcome.COMPLETE : Outcome.TRUNCATED;
            };
            case StreamEnd.ClientGone gone -> Outcome.CLIENT_DISCONNECTED;
            case StreamEnd.UpstreamFailed failed -> {
                LOG.log(Level.WARNING, "java-ai-proxy: " + call.upstream().getHost() + " failed for request " + call.requestId()
                        + ": " + call.scrub(failed.message()));
                yield failed.timeout() ? Outcome.UPSTREAM_TIMEOUT : mode == null ? Outcome.UPSTREAM_UNREACHABLE : Outcome.TRUNCATED;
            }
            case StreamEnd.FilterFailed failed -> tooLarge ? Outcome.RESPONSE_TOO_LARGE : Outcome.TRUNCATED;
            case StreamEnd.NotProxied notProxied -> null;
            case StreamEnd.NotAttached notAttached -> Outcome.INTERNAL_ERROR;
        };
        if (outcome == null) {
            // Kong never came (another plugin ended the request after ours): nothing was measured.
            call.analytics().complete(null);
            return;
        }
        if (outcome == Outcome.INTERNAL_ERROR) {
            // the relay could not take the request: Kong's 500 went to the client, nothing to the provider
            call.analytics().complete(Analytics.failed(call.pluginId(), call.config(), Analytics.loggedModel(call), null, call.stream(), call.startNanos()));
            return;
        }
        meter.end();
        String requestPayload = call.config().logging().logPayloads()
                ? new String(call.body(), 0, Math.min(call.body().length, PAYLOAD_LIMIT), StandardCharsets.UTF_8) : null;
        call.analytics().complete(Analytics.block(call, meter, outcome, upstreamStatus, requestPayload));
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
                    meter.finalUsage(json.get("usage"));
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

    /**
     * Passes the stream on in whole events only, each as soon as its blank line arrives, so that a stream
     * that breaks off never leaves the client half an event in front of the error event that ends it. Lines end in
     * LF, CRLF or CR, as the SSE format allows; the bytes go on unchanged.
     */
    static final class WholeEvents {
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
        private int lineLength;
        private boolean afterCarriageReturn;
        /** An event went out at the CR of its blank line; an LF right after it goes out at once. */
        private boolean owedLineFeed;

        void write(java.io.OutputStream out, byte[] bytes, int length) throws IOException {
            int from = 0;
            for (int i = 0; i < length; i++) {
                byte b = bytes[i];
                if (b == '\n' && afterCarriageReturn) {
                    // the LF of a CRLF whose CR ended the line; if that line was the blank one, the event went out
                    // without this byte, which follows at once
                    afterCarriageReturn = false;
                    if (owedLineFeed) {
                        owedLineFeed = false;
                        out.write('\n');
                        from = i + 1;
                    }
                    continue;
                }
                afterCarriageReturn = false;
                owedLineFeed = false;
                if (b == '\n' || b == '\r') {
                    if (lineLength == 0) {
                        int end = i + 1;
                        if (b == '\r' && i + 1 < length && bytes[i + 1] == '\n') {
                            end = ++i + 1; // CRLF: the event ends after its LF
                        } else if (b == '\r') {
                            afterCarriageReturn = true;
                            owedLineFeed = true;
                        }
                        pending.write(bytes, from, end - from);
                        pending.writeTo(out);
                        pending.reset();
                        from = end;
                    } else {
                        afterCarriageReturn = b == '\r';
                    }
                    lineLength = 0;
                } else {
                    lineLength++;
                }
            }
            pending.write(bytes, from, length - from);
        }

        /** Passes on the bytes held back. */
        void drain(java.io.OutputStream out) throws IOException {
            pending.writeTo(out);
            pending.reset();
        }

        /** Bytes of an event not yet complete. */
        int pendingBytes() {
            return pending.size();
        }
    }

    private static JsonNode parse(byte[] bytes) {
        try {
            return JSON.readTree(bytes);
        } catch (IOException e) {
            return null;
        }
    }
}
