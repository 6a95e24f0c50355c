package io.kongjava.plugins.aiproxyadvanced;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kongjava.plugins.aiproxyadvanced.AdvancedConfig.FailoverCriterion;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.System.Logger.Level;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import okhttp3.Call;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSource;

/**
 * Serves one client request from the targets: asks the balancer for a target, calls it, and while nothing has been
 * sent to the client, moves on to the next target when the attempt fails in a way {@code failover_criteria} names
 * (a connection error, a timeout, a listed HTTP status, or a stream that breaks before its first event), up to
 * {@code retries} more attempts and never the same target twice. Once the first byte is out there is no retry: a
 * stream that breaks is broken off after its last whole event ({@link Result#brokenOff}), so the client sees it
 * incomplete, as after a dropped connection.
 */
final class Attempts {

    private static final System.Logger LOG = System.getLogger(Attempts.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final MediaType APPLICATION_JSON = MediaType.get("application/json");
    /** A non-streamed answer is read whole; the plugin server's default heap is 64 MB. */
    static final int MAX_BUFFERED_RESPONSE = 4 << 20;

    /** One target tried for a request, as the log line shows it. */
    record Tried(int index, AdvancedConfig.Target target, URI url, String outcome, int status, UsageMeter meter, String error) {
    }

    /** How the request went: every target tried, in order; the last one served unless {@code served} is false. */
    record Result(List<Tried> tried, boolean served, String outcome, int status) {
        /** The client had part of a stream that then broke: its answer must be broken off, not ended. */
        boolean brokenOff() {
            return served && (outcome.equals("truncated") || outcome.equals("upstream_timeout"));
        }

        Tried last() {
            return tried.isEmpty() ? null : tried.getLast();
        }
    }

    /** A failed attempt that the client has not seen. */
    private record Failure(FailoverCriterion criterion, int status, byte[] body, String errorType, String message,
                           List<Map.Entry<String, String>> headers) {
        Failure(FailoverCriterion criterion, int status, byte[] body, String errorType, String message) {
            this(criterion, status, body, errorType, message, List.of());
        }
    }

    private final List<AdvancedConfig.Target> targets;
    private final List<Provider> providers;
    private final TargetBalancer balancer;
    private final AdvancedConfig.Balancer settings;
    private final OkHttpClient http;
    private final boolean modelNameHeader;

    Attempts(AdvancedConfig config, List<Provider> providers, TargetBalancer balancer, OkHttpClient shared) {
        this.targets = config.targets();
        this.providers = providers;
        this.balancer = balancer;
        this.settings = config.balancerOrDefaults();
        this.modelNameHeader = config.modelNameHeader();
        this.http = shared.newBuilder()
                .connectTimeout(Duration.ofMillis(settings.connectTimeout()))
                .writeTimeout(Duration.ofMillis(settings.writeTimeout()))
                .readTimeout(Duration.ofMillis(settings.readTimeout()))
                .build();
    }

    /** Serves the request from every target (no {@code model_alias} routing). */
    Result serve(ClientRequest request, String hashKey, ClientSink client, long startNanos) {
        Set<Integer> all = new HashSet<>();
        for (int i = 0; i < targets.size(); i++) {
            all.add(i);
        }
        return serve(request, all, hashKey, client, startNanos);
    }

    /**
     * Serves the request from the {@code eligible} targets only (those whose {@code model_alias} the client named):
     * the balancer picks among them and failover never leaves them.
     */
    Result serve(ClientRequest request, Set<Integer> eligible, String hashKey, ClientSink sink, long startNanos) {
        StartTracking client = new StartTracking(sink);
        List<Tried> tried = new ArrayList<>();
        // Targets outside the eligible ones count as already tried: the balancer never picks them.
        Set<Integer> used = new HashSet<>();
        for (int i = 0; i < targets.size(); i++) {
            if (!eligible.contains(i)) {
                used.add(i);
            }
        }
        Failure lastFailure = null;
        int attempts = Math.min(settings.retries() + 1, eligible.size());
        for (int attempt = 0; attempt < attempts; attempt++) {
            int index = balancer.next(used, hashKey);
            if (index < 0) {
                break;
            }
            used.add(index);
            AdvancedConfig.Target target = targets.get(index);
            Provider provider = providers.get(index);
            // each attempt's own time: a target is not charged the wait of the one that failed before it
            UsageMeter meter = new UsageMeter(attempt == 0 ? startNanos : System.nanoTime());
            UpstreamCall call;
            try {
                call = provider.call(request, target.model().name());
            } catch (IOException | RuntimeException e) {
                // No credentials, an unreachable token endpoint: the target cannot be called, the next may be.
                lastFailure = new Failure(FailoverCriterion.ERROR, 0, null, null, e.toString());
                meter.end();
                tried.add(new Tried(index, target, null, "error", 0, meter, e.toString()));
                LOG.log(Level.WARNING, "java-ai-proxy-advanced: target " + index + " (" + target.label() + ") cannot be called: " + e);
                balancer.failed(index);
                continue;
            }
            Step step;
            balancer.started(index);
            try {
                step = attempt(request, index, call, meter, client);
            } catch (RuntimeException e) {
                // A provider's answer the decoders could not take (a frame whose payload is no base64, an event
                // past the size limit): a failure of this target like a broken connection, not a crash of the pass.
                step = client.started() ? new Step("truncated", 200, null) : Step.failed(new Failure(FailoverCriterion.ERROR, 0, null, null, e.toString()));
                LOG.log(Level.WARNING, "java-ai-proxy-advanced: target " + index + " (" + target.label() + ") gave an answer that could not be read: " + e);
                if (client.started()) {
                    balancer.failed(index);
                }
            } finally {
                balancer.finished(index);
                balancer.settled(index);
            }
            if (step.failure() == null) {
                tried.add(new Tried(index, target, call.url(), step.outcome(), step.status(), meter, null));
                return new Result(tried, step.status() == 200, step.outcome(), step.status());
            }
            Failure failure = step.failure();
            meter.end();
            tried.add(new Tried(index, target, call.url(), failure.criterion() == FailoverCriterion.TIMEOUT ? "timeout"
                    : failure.status() > 0 ? "http_" + failure.status() : "error", failure.status(), meter, failure.message()));
            LOG.log(Level.WARNING, "java-ai-proxy-advanced: target " + index + " (" + target.label() + ") failed: "
                    + failure.message() + (attempt + 1 < attempts && settings.failoverCriteria().contains(failure.criterion())
                    ? "; trying the next target" : ""));
            lastFailure = failure;
            if (countsAgainstTarget(failure.criterion())) {
                balancer.failed(index);
            }
            if (!settings.failoverCriteria().contains(failure.criterion())) {
                // Not a failover case: the failure is the answer.
                return answerFailure(request, client, tried, failure);
            }
            // lowest-latency learns that the target failed, or it would stay the favourite (a fast 429 looks fast)
            balancer.latencyOfFailure(index, meter.latencyMillis());
        }
        if (lastFailure == null) {
            lastFailure = new Failure(FailoverCriterion.ERROR, 0, null, null, "no target available");
        }
        return answerFailure(request, client, tried, lastFailure);
    }

    private Result answerFailure(ClientRequest request, ClientSink client, List<Tried> tried, Failure failure) {
        try {
            if (failure.status() > 0) {
                Provider provider = providers.get(tried.getLast().index());
                client.send(failure.status(), withProviderHeaders(List.of(Map.entry("content-type", "application/json")), failure.headers()),
                        provider.error(failure.status(), failure.body(), failure.errorType()));
                return new Result(tried, false, "upstream_error", failure.status());
            }
            boolean timeout = failure.criterion() == FailoverCriterion.TIMEOUT;
            int status = timeout ? 504 : 502;
            // Kong's own page for it, with the request id to quote (JSON: asking for the Accept header costs a round trip)
            client.send(status, List.of(Map.entry("content-type", io.kongjava.catalogue.KongErrorPages.JSON)),
                    io.kongjava.catalogue.KongErrorPages.body(io.kongjava.catalogue.KongErrorPages.JSON,
                            io.kongjava.catalogue.KongStatusTexts.defaultMessage(status), request.requestId()));
            return new Result(tried, false, timeout ? "upstream_timeout" : "upstream_unreachable", timeout ? 504 : 502);
        } catch (IOException clientGone) {
            return new Result(tried, false, "client_disconnected", 0);
        }
    }

    /** The client's sink, knowing whether anything was sent to it yet (then no other target may answer). */
    private static final class StartTracking implements ClientSink {
        private final ClientSink sink;
        private boolean started;

        StartTracking(ClientSink sink) {
            this.sink = sink;
        }

        boolean started() {
            return started;
        }

        @Override
        public void send(int status, List<Map.Entry<String, String>> headers, byte[] body) throws IOException {
            started = true;
            sink.send(status, headers, body);
        }

        @Override
        public void beginStream(List<Map.Entry<String, String>> headers) throws IOException {
            started = true;
            sink.beginStream(headers);
        }

        @Override
        public void write(byte[] bytes) throws IOException {
            sink.write(bytes);
        }

        @Override
        public void end() throws IOException {
            sink.end();
        }
    }

    /** What one attempt came to: answered (outcome and status) or failed before the client saw anything. */
    private record Step(String outcome, int status, Failure failure) {
        static Step failed(Failure failure) {
            return new Step(null, 0, failure);
        }
    }

    private Step attempt(ClientRequest request, int index, UpstreamCall call, UsageMeter meter, ClientSink client) {
        Request.Builder builder = new Request.Builder().url(call.url().toString()).post(RequestBody.create(call.body(), APPLICATION_JSON));
        call.headers().forEach(header -> builder.addHeader(header.getKey(), header.getValue()));
        Call upstream = http.newCall(builder.build());
        Response response;
        try {
            response = upstream.execute();
        } catch (IOException e) {
            return Step.failed(ioFailure(e));
        }
        try (response) {
            int status = response.code();
            if (status != 200) {
                byte[] body;
                try (var room = io.kongjava.plugins.ai.BodyBudget.shared().growing()) {
                    body = readBounded(response.body().source(), room);
                } catch (IOException e) {
                    body = new byte[0];
                }
                String errorType = response.header("x-amzn-errortype");
                FailoverCriterion criterion = FailoverCriterion.ofStatus(status).orElse(null);
                if (criterion != null) {
                    return Step.failed(new Failure(criterion, status, body, errorType, "HTTP " + status, providerHeaders(response)));
                }
                meter.end();
                client.send(status, withProviderHeaders(List.of(Map.entry("content-type", "application/json")), providerHeaders(response)),
                        providers.get(index).error(status, body, errorType));
                return new Step("upstream_error", status, null);
            }
            if (request.stream() && request.operation() == ClientRequest.Operation.MESSAGES) {
                return stream(index, response, upstream, meter, client);
            }
            try (var room = io.kongjava.plugins.ai.BodyBudget.shared().growing()) {
                return oneshot(request, index, response, meter, client, room);
            }
        } catch (IOException clientGone) {
            upstream.cancel();
            meter.end();
            return new Step("client_disconnected", 200, null);
        }
    }

    private static Failure ioFailure(IOException e) {
        boolean timeout = e instanceof SocketTimeoutException || e instanceof InterruptedIOException;
        return new Failure(timeout ? FailoverCriterion.TIMEOUT : FailoverCriterion.ERROR, 0, null, null, e.toString());
    }

    private Step oneshot(ClientRequest request, int index, Response response, UsageMeter meter, ClientSink client,
                         io.kongjava.plugins.ai.BodyBudget.Growing room) throws IOException {
        byte[] body;
        JsonNode message;
        try {
            body = providers.get(index).oneshot(request.operation(), readBounded(response.body().source(), room));
            message = JSON.readTree(body);
        } catch (NoRoom e) {
            LOG.log(Level.WARNING, "java-ai-proxy-advanced: " + e.getMessage());
            meter.end();
            client.send(503, List.of(Map.entry("content-type", "application/json")), JSON.createObjectNode().put("type", "error")
                    .set("error", JSON.createObjectNode().put("type", "overloaded_error").put("message", e.getMessage()))
                    .toString().getBytes(StandardCharsets.UTF_8));
            return new Step("upstream_error", 503, null);
        } catch (IOException e) {
            return Step.failed(ioFailure(e));
        }
        meter.message(message, request.operation());
        meter.end();
        if (targets.get(index).logging().logPayloads()) {
            meter.payload(new String(body, java.nio.charset.StandardCharsets.UTF_8));
        }
        client.send(200, withProviderHeaders(answerHeaders(index, "application/json"), providerHeaders(response)), body);
        succeeded(index, meter);
        return new Step("complete", 200, null);
    }

    private Step stream(int index, Response response, Call upstream, UsageMeter meter, ClientSink client) throws IOException {
        EventDecoder decoder = providers.get(index).streamDecoder();
        BufferedSource source = response.body().source();
        byte[] buffer = new byte[16 * 1024];
        List<AnthropicEvent> events = new ArrayList<>();
        boolean started = false;
        boolean stopped = false;
        boolean errored = false;
        IOException broken = null;
        while (true) {
            int read;
            try {
                read = source.read(buffer);
                if (read == -1) {
                    decoder.finish(events);
                } else {
                    decoder.feed(buffer, 0, read, events);
                }
            } catch (IOException e) {
                broken = e;
                break;
            }
            if (!started && !events.isEmpty() && events.getFirst().type().equals("error")) {
                // The provider refused in its first event (Bedrock's throttlingException frame): nothing sent yet.
                return Step.failed(new Failure(FailoverCriterion.ERROR, 0, null, null, "stream began with " + events.getFirst().data()));
            }
            if (!events.isEmpty()) {
                if (!started) {
                    client.beginStream(withProviderHeaders(answerHeaders(index, "text/event-stream; charset=utf-8"), providerHeaders(response)));
                    started = true;
                }
                boolean keepPayload = targets.get(index).logging().logPayloads();
                for (AnthropicEvent event : events) {
                    if (keepPayload) {
                        meter.payload(new String(event.sse(), java.nio.charset.StandardCharsets.UTF_8));
                    }
                    JsonNode json = parse(event.data());
                    if (json != null) {
                        meter.event(event, json);
                    }
                    stopped |= event.type().equals("message_stop");
                    errored |= event.type().equals("error");
                    client.write(event.sse());
                }
                events.clear();
            }
            if (read == -1) {
                break;
            }
        }
        meter.end();
        if (!started) {
            // Broke or ended before its first event: the client has seen nothing, so the next target may serve it.
            upstream.cancel();
            return Step.failed(broken != null ? ioFailure(broken)
                    : new Failure(FailoverCriterion.ERROR, 0, null, null, "the stream ended before its first event"));
        }
        String outcome;
        if (errored) {
            outcome = "stream_error";
        } else if (stopped) {
            outcome = "complete";
        } else {
            // Nothing is added: the answer is broken off (Result.brokenOff), as nginx leaves an upstream's broken
            // answer, so the client retries as it would a dropped connection to Anthropic.
            outcome = broken instanceof SocketTimeoutException ? "upstream_timeout" : "truncated";
            upstream.cancel();
        }
        client.end();
        if (outcome.equals("complete")) {
            succeeded(index, meter);
        } else {
            balancer.failed(index);
        }
        return new Step(outcome, 200, null);
    }

    /**
     * Whether a failed attempt counts towards the target's {@code max_fails}, as Kong documents it (nginx's rule): what
     * failover_criteria names, except that {@code error}, {@code timeout} and {@code invalid_header} always count and
     * {@code http_403} and {@code http_404} never do.
     */
    boolean countsAgainstTarget(FailoverCriterion criterion) {
        return switch (criterion) {
            case ERROR, TIMEOUT, INVALID_HEADER -> true;
            case HTTP_403, HTTP_404 -> false;
            default -> settings.failoverCriteria().contains(criterion);
        };
    }

    private void succeeded(int index, UsageMeter meter) {
        balancer.succeeded(index);
        balancer.latency(index, settings.latencyStrategy().equals("e2e") ? meter.latencyMillis() : meter.millisPerToken());
        double amount = switch (settings.tokensCountStrategy()) {
            case "prompt-tokens" -> meter.promptTokens();
            case "completion-tokens" -> meter.completionTokens();
            case "cost" -> meter.cost(targets.get(index).options());
            default -> meter.promptTokens() + meter.completionTokens();
        };
        balancer.usage(index, amount);
    }

    /**
     * The provider's headers a client acts on, passed on as java-ai-proxy passes the provider's: its back-off hint
     * ({@code retry-after}, Anthropic's {@code x-should-retry}), its rate limits and the request id to quote to support.
     */
    static List<Map.Entry<String, String>> providerHeaders(Response response) {
        List<Map.Entry<String, String>> kept = new ArrayList<>();
        for (kotlin.Pair<? extends String, ? extends String> header : response.headers()) {
            String name = header.getFirst().toLowerCase(java.util.Locale.ROOT);
            if (name.equals("retry-after") || name.equals("request-id") || name.equals("x-request-id") || name.equals("x-should-retry")
                    || name.equals("x-amzn-requestid") || name.startsWith("anthropic-ratelimit-") || name.equals("anthropic-organization-id")) {
                kept.add(Map.entry(name, header.getSecond()));
            }
        }
        return kept;
    }

    private static List<Map.Entry<String, String>> withProviderHeaders(List<Map.Entry<String, String>> ours,
                                                                       List<Map.Entry<String, String>> provider) {
        if (provider.isEmpty()) {
            return ours;
        }
        List<Map.Entry<String, String>> all = new ArrayList<>(ours);
        all.addAll(provider);
        return all;
    }

    private List<Map.Entry<String, String>> answerHeaders(int index, String contentType) {
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        headers.add(Map.entry("content-type", contentType));
        if (contentType.startsWith("text/event-stream")) {
            headers.add(Map.entry("cache-control", "no-cache"));
        }
        if (modelNameHeader) {
            AdvancedConfig.Model model = targets.get(index).model();
            headers.add(Map.entry("x-kong-llm-model", model.provider() + "/" + model.name()));
        }
        return headers;
    }

    private static JsonNode parse(String data) {
        try {
            return JSON.readTree(data);
        } catch (IOException e) {
            return null;
        }
    }

    /** An answer that found no room in the server's {@link io.kongjava.plugins.ai.BodyBudget}: not the target's failure. */
    static final class NoRoom extends IOException {
        NoRoom(long bytes) {
            super("the plugin server holds as many large answers as its heap allows; an answer of " + (bytes >> 10)
                    + " KiB or more found no room");
        }
    }

    /**
     * The whole answer, read in doubling steps, each with room in the server's budget before it is read (an answer of
     * several MB, several at once, would otherwise run the small heap out of memory and fail every request in flight).
     */
    private static byte[] readBounded(BufferedSource source, io.kongjava.plugins.ai.BodyBudget.Growing room) throws IOException {
        long step = io.kongjava.plugins.ai.BodyBudget.UNCOUNTED_BYTES;
        while (source.request(step)) {
            if (step > MAX_BUFFERED_RESPONSE) {
                throw new IOException("response larger than " + MAX_BUFFERED_RESPONSE + " bytes");
            }
            step = Math.min(2 * step, MAX_BUFFERED_RESPONSE + 1L);
            try {
                if (!room.ensure(step, AdvancedProxyPlugin.BODY_BUDGET_WAIT)) {
                    throw new NoRoom(source.getBuffer().size());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for room for the answer");
            }
        }
        return source.readByteArray();
    }
}
