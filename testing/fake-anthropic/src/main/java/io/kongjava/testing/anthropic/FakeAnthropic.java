package io.kongjava.testing.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A local stand-in for the Anthropic Messages API, for tests: {@code POST /v1/messages} (JSON, or a
 * server-sent event stream when the body says {@code "stream": true}), {@code POST /v1/messages/count_tokens},
 * and Anthropic's error bodies for what the real API rejects (no {@code x-api-key}, no
 * {@code anthropic-version}, a body that is not JSON, a missing {@code model}, {@code max_tokens} or
 * {@code messages}).
 *
 * <pre>{@code
 * try (FakeAnthropic anthropic = FakeAnthropic.start()) {
 *     anthropic.enqueue(Reply.text("Hi!").usage(Usage.of(12, 3)));
 *     // point the client at anthropic.url() ...
 *     RecordedRequest seen = anthropic.takeRequest();
 *     assertThat(seen.header("x-api-key")).contains("sk-test");
 * }
 * }</pre>
 */
public final class FakeAnthropic implements AutoCloseable {

    /** The text of the message answered when no reply is queued. */
    public static final String DEFAULT_TEXT = "Hello from the fake Anthropic upstream.";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final ConcurrentLinkedQueue<Reply> replies = new ConcurrentLinkedQueue<>();
    private final BlockingQueue<RecordedRequest> requests = new LinkedBlockingQueue<>();
    private final AtomicLong messageIds = new AtomicLong();
    private volatile String requiredApiKey;

    private FakeAnthropic(HttpServer server) {
        this.server = server;
    }

    /** Starts on a free loopback port. */
    public static FakeAnthropic start() throws IOException {
        return start(0);
    }

    public static FakeAnthropic start(int port) throws IOException {
        // Like Anthropic's servers, send each SSE event at once (the JDK server keeps Nagle's algorithm on otherwise).
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
        FakeAnthropic fake = new FakeAnthropic(server);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", fake::handle);
        server.start();
        return fake;
    }

    /** {@code http://127.0.0.1:<port>}, without a trailing slash. */
    public String url() {
        return "http://127.0.0.1:" + port();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** Answers the next {@code /v1/messages} request with this reply (replies are used in order). */
    public FakeAnthropic enqueue(Reply reply) {
        replies.add(reply);
        return this;
    }

    /** Rejects any other {@code x-api-key} with a 401, as Anthropic does. */
    public FakeAnthropic requireApiKey(String apiKey) {
        this.requiredApiKey = apiKey;
        return this;
    }

    /** The next request received, waiting up to 10 seconds. */
    public RecordedRequest takeRequest() throws InterruptedException {
        return takeRequest(Duration.ofSeconds(10)).orElseThrow(() -> new AssertionError("no request reached the fake Anthropic upstream"));
    }

    public Optional<RecordedRequest> takeRequest(Duration timeout) throws InterruptedException {
        return Optional.ofNullable(requests.poll(timeout.toMillis(), TimeUnit.MILLISECONDS));
    }

    /** Requests received and not yet taken. */
    public int pendingRequests() {
        return requests.size();
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            Map<String, List<String>> headers = new LinkedHashMap<>();
            exchange.getRequestHeaders().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT), List.copyOf(values)));
            RecordedRequest request = new RecordedRequest(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(),
                    exchange.getRequestURI().getRawQuery(), Map.copyOf(headers), body);
            requests.add(request);
            answer(exchange, request);
        } catch (IOException clientWentAway) {
            // a test that cancels or times out its call; nothing to answer
        }
    }

    private void answer(HttpExchange exchange, RecordedRequest request) throws IOException {
        String path = request.path();
        boolean countTokens = path.equals("/v1/messages/count_tokens");
        if (!path.equals("/v1/messages") && !countTokens) {
            sendError(exchange, new Reply.Error(404, "not_found_error", "Not Found", Map.of()));
            return;
        }
        if (!request.method().equals("POST")) {
            sendError(exchange, new Reply.Error(405, "invalid_request_error", "Method Not Allowed", Map.of()));
            return;
        }
        Optional<String> apiKey = request.header("x-api-key");
        if (apiKey.isEmpty() && request.header("authorization").isEmpty()) {
            sendError(exchange, Reply.error(401, "authentication_error", "x-api-key header is required"));
            return;
        }
        String required = requiredApiKey;
        if (required != null && !apiKey.map(required::equals).orElse(false)) {
            sendError(exchange, Reply.error(401, "authentication_error", "invalid x-api-key"));
            return;
        }
        if (request.header("anthropic-version").isEmpty()) {
            sendError(exchange, Reply.error(400, "invalid_request_error", "anthropic-version: header is required"));
            return;
        }
        JsonNode json;
        try {
            json = JSON.readTree(request.body());
        } catch (IOException e) {
            json = null;
        }
        if (!(json instanceof ObjectNode object)) {
            sendError(exchange, Reply.error(400, "invalid_request_error", "There was an error parsing the body of your request"));
            return;
        }
        Optional<String> missing = missingField(object, countTokens);
        if (missing.isPresent()) {
            sendError(exchange, Reply.error(400, "invalid_request_error", missing.get() + ": Field required"));
            return;
        }
        if (countTokens) {
            sendJson(exchange, 200, JSON.createObjectNode().put("input_tokens", estimateInputTokens(object)), Map.of());
            return;
        }
        Reply reply = Optional.ofNullable(replies.poll()).orElseGet(() -> Reply.text(DEFAULT_TEXT));
        switch (reply) {
            case Reply.Error error -> sendError(exchange, error);
            case Reply.Raw raw -> send(exchange, raw.status(), raw.contentType(), raw.body(), raw.headers());
            case Reply.Silence silence -> sleep(silence.duration());
            case Reply.Message message -> {
                sleep(message.headersDelay());
                String model = message.model() != null ? message.model() : object.path("model").asText();
                if (object.path("stream").asBoolean(false)) {
                    stream(exchange, message, model, object);
                } else {
                    sendJson(exchange, 200, messageBody(message, model, object), Map.of());
                }
            }
        }
    }

    private static Optional<String> missingField(ObjectNode body, boolean countTokens) {
        if (!body.path("model").isTextual()) {
            return Optional.of("model");
        }
        if (!body.path("messages").isArray()) {
            return Optional.of("messages");
        }
        if (!countTokens && !body.path("max_tokens").isIntegralNumber()) {
            return Optional.of("max_tokens");
        }
        return Optional.empty();
    }

    private ObjectNode messageBody(Reply.Message message, String model, ObjectNode request) {
        ObjectNode body = JSON.createObjectNode();
        body.put("id", nextMessageId());
        body.put("type", "message");
        body.put("role", "assistant");
        body.put("model", model);
        ArrayNode content = body.putArray("content");
        for (Reply.Block block : message.content()) {
            content.add(blockJson(block, true));
        }
        body.put("stop_reason", message.stopReason());
        body.putNull("stop_sequence");
        body.set("usage", usageJson(usage(message, request), true));
        return body;
    }

    private void stream(HttpExchange exchange, Reply.Message message, String model, ObjectNode request) throws IOException {
        Usage usage = usage(message, request);
        List<String> events = new ArrayList<>();
        ObjectNode start = JSON.createObjectNode().put("type", "message_start");
        ObjectNode skeleton = start.putObject("message");
        skeleton.put("id", nextMessageId()).put("type", "message").put("role", "assistant").put("model", model);
        skeleton.putArray("content");
        skeleton.putNull("stop_reason").putNull("stop_sequence");
        // Anthropic's message_start carries the input counts and a provisional output count of 1.
        skeleton.set("usage", usageJson(new Usage(usage.inputTokens(), Math.min(1, usage.outputTokens()),
                usage.cacheCreationInputTokens(), usage.cacheReadInputTokens()), true));
        events.add(sse("message_start", start));
        int index = 0;
        for (Reply.Block block : message.content()) {
            events.add(sse("content_block_start", JSON.createObjectNode().put("type", "content_block_start").put("index", index)
                    .set("content_block", blockJson(block, false))));
            if (index == 0) {
                events.add(sse("ping", JSON.createObjectNode().put("type", "ping")));
            }
            for (ObjectNode delta : deltas(block)) {
                events.add(sse("content_block_delta", JSON.createObjectNode().put("type", "content_block_delta").put("index", index)
                        .set("delta", delta)));
            }
            events.add(sse("content_block_stop", JSON.createObjectNode().put("type", "content_block_stop").put("index", index)));
            index++;
        }
        ObjectNode messageDelta = JSON.createObjectNode().put("type", "message_delta");
        messageDelta.putObject("delta").put("stop_reason", message.stopReason()).putNull("stop_sequence");
        // message_delta's usage is cumulative: the final output count, not an increment.
        messageDelta.set("usage", usageJson(usage, false));
        events.add(sse("message_delta", messageDelta));
        events.add(sse("message_stop", JSON.createObjectNode().put("type", "message_stop")));

        if (message.streamError() != null) {
            int at = Math.min(message.streamError().afterEvents(), events.size());
            ObjectNode error = JSON.createObjectNode().put("type", "error");
            error.putObject("error").put("type", message.streamError().type()).put("message", message.streamError().message());
            events = new ArrayList<>(events.subList(0, at));
            events.add(sse("error", error));
        }
        Map<String, String> headers = Map.of("cache-control", "no-cache", "request-id", "req_fake_" + messageIds.get());
        exchange.getResponseHeaders().set("content-type", "text/event-stream; charset=utf-8");
        headers.forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
        int truncateAfter = message.truncateAfterEvents();
        if (truncateAfter >= 0 && truncateAfter < events.size()) {
            // Promise the whole stream's length and stop short: the client sees the connection end mid-stream.
            long promised = events.stream().mapToLong(e -> e.getBytes(StandardCharsets.UTF_8).length).sum();
            exchange.sendResponseHeaders(200, promised);
            OutputStream out = exchange.getResponseBody();
            for (String event : events.subList(0, truncateAfter)) {
                writeEvent(out, event, message.eventDelay());
            }
            sleep(message.silenceAtTruncation());
            out.write(": the connection drops here\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            return;
        }
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        for (String event : events) {
            writeEvent(out, event, message.eventDelay());
        }
        out.close();
    }

    private static void writeEvent(OutputStream out, String event, Duration delay) throws IOException {
        sleep(delay);
        out.write(event.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static List<ObjectNode> deltas(Reply.Block block) {
        List<ObjectNode> deltas = new ArrayList<>();
        switch (block) {
            case Reply.Block.Text text -> {
                for (String piece : pieces(text.text())) {
                    deltas.add(JSON.createObjectNode().put("type", "text_delta").put("text", piece));
                }
            }
            case Reply.Block.ToolUse tool -> {
                String json = tool.inputJson();
                for (int i = 0; i < json.length(); i += 8) {
                    deltas.add(JSON.createObjectNode().put("type", "input_json_delta")
                            .put("partial_json", json.substring(i, Math.min(json.length(), i + 8))));
                }
            }
        }
        return deltas;
    }

    /** Splits text the way a model streams it: a word (with its leading space) per delta. */
    static List<String> pieces(String text) {
        List<String> pieces = new ArrayList<>();
        int from = 0;
        for (int i = 1; i <= text.length(); i++) {
            if (i == text.length() || text.charAt(i) == ' ') {
                pieces.add(text.substring(from, i));
                from = i;
            }
        }
        return pieces;
    }

    private static ObjectNode blockJson(Reply.Block block, boolean complete) {
        return switch (block) {
            case Reply.Block.Text text -> JSON.createObjectNode().put("type", "text").put("text", complete ? text.text() : "");
            case Reply.Block.ToolUse tool -> {
                ObjectNode node = JSON.createObjectNode().put("type", "tool_use").put("id", tool.id()).put("name", tool.name());
                try {
                    node.set("input", complete ? JSON.readTree(tool.inputJson()) : JSON.createObjectNode());
                } catch (IOException e) {
                    throw new IllegalArgumentException("tool input is not JSON: " + tool.inputJson(), e);
                }
                yield node;
            }
        };
    }

    private static ObjectNode usageJson(Usage usage, boolean withServiceTier) {
        ObjectNode node = JSON.createObjectNode();
        node.put("input_tokens", usage.inputTokens());
        node.put("cache_creation_input_tokens", usage.cacheCreationInputTokens());
        node.put("cache_read_input_tokens", usage.cacheReadInputTokens());
        node.put("output_tokens", usage.outputTokens());
        if (withServiceTier) {
            node.put("service_tier", "standard");
        }
        return node;
    }

    private static Usage usage(Reply.Message message, ObjectNode request) {
        if (message.usage() != null) {
            return message.usage();
        }
        long output = 0;
        for (Reply.Block block : message.content()) {
            output += deltas(block).size();
        }
        return Usage.of(estimateInputTokens(request), output);
    }

    /** About four characters per token over the prompt's text, as a rough tokenizer would count. */
    static long estimateInputTokens(ObjectNode request) {
        long chars = request.path("system").toString().length() + request.path("messages").toString().length()
                + request.path("tools").toString().length();
        return Math.max(1, (chars + 3) / 4);
    }

    private String nextMessageId() {
        return "msg_fake_" + String.format("%06d", messageIds.incrementAndGet());
    }

    private static String sse(String event, ObjectNode data) {
        return "event: " + event + "\ndata: " + data + "\n\n";
    }

    private static void sendError(HttpExchange exchange, Reply.Error error) throws IOException {
        ObjectNode body = JSON.createObjectNode().put("type", "error");
        body.putObject("error").put("type", error.type()).put("message", error.message());
        sendJson(exchange, error.status(), body, error.headers());
    }

    private static void sendJson(HttpExchange exchange, int status, JsonNode body, Map<String, String> headers) throws IOException {
        send(exchange, status, "application/json", JSON.writeValueAsBytes(body), headers);
    }

    private static void send(HttpExchange exchange, int status, String contentType, byte[] body, Map<String, String> headers) throws IOException {
        exchange.getResponseHeaders().set("content-type", contentType);
        exchange.getResponseHeaders().set("request-id", "req_fake");
        headers.forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private static void sleep(Duration duration) {
        if (duration.isZero() || duration.isNegative()) {
            return;
        }
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs the fake on a port for manual trials: {@code FakeAnthropic [port]}. */
    public static void main(String[] args) throws IOException, InterruptedException {
        FakeAnthropic fake = start(args.length > 0 ? Integer.parseInt(args[0]) : 0);
        System.getLogger(FakeAnthropic.class.getName()).log(System.Logger.Level.INFO, "fake Anthropic API on " + fake.url());
        while (true) {
            fake.takeRequest(Duration.ofDays(1)).ifPresent(r -> { });
        }
    }
}
