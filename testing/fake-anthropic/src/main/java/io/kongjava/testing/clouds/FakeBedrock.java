package io.kongjava.testing.clouds;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.kongjava.testing.anthropic.Usage;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A local stand-in for Amazon Bedrock's runtime API serving Claude: {@code POST /model/{modelId}/invoke},
 * {@code /invoke-with-response-stream} (AWS's binary event stream of base64 {@code chunk}s, the last one carrying
 * {@code amazon-bedrock-invocationMetrics}) and {@code /count-tokens}. It refuses what Bedrock refuses: a request
 * whose SigV4 signature {@link SigV4Verifier} (written apart from the AWS SDK) does not accept (403
 * InvalidSignatureException), a body without {@code anthropic_version: bedrock-2023-05-31}, with a {@code model}
 * or without {@code max_tokens}/{@code messages} (400 ValidationException).
 */
public final class FakeBedrock implements AutoCloseable {

    /** What the next request gets. */
    public sealed interface Behaviour {
        record Answer(String text, Usage usage) implements Behaviour {
        }

        /** An HTTP error, as Bedrock sends it ({@code x-amzn-ErrorType}). */
        record Status(int status, String errorType, String message) implements Behaviour {
        }

        /** A 200 stream whose first frame is an exception (e.g. throttlingException). */
        record ExceptionFrame(String exceptionType, String message) implements Behaviour {
        }

        /** A stream that stops (connection closed) after this many events. */
        record BreakAfter(int events, String text, Usage usage) implements Behaviour {
        }
    }

    /** A request the fake saw, with whether its signature was valid. */
    public record Seen(String path, Map<String, List<String>> headers, JsonNode body, Optional<String> signatureProblem) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final SigV4Verifier verifier;
    private final ConcurrentLinkedQueue<Behaviour> script = new ConcurrentLinkedQueue<>();
    private final BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
    private final AtomicLong ids = new AtomicLong();
    private volatile Behaviour fallback = new Behaviour.Answer("Hello from the fake Bedrock.", new Usage(21, 7, 0, 0));
    private volatile String sessionToken;

    private FakeBedrock(HttpServer server, SigV4Verifier verifier) {
        this.server = server;
        this.verifier = verifier;
    }

    /** Starts on a free loopback port, accepting requests signed with these credentials for this region. */
    public static FakeBedrock start(String accessKeyId, String secretAccessKey, String region) throws IOException {
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
        FakeBedrock fake = new FakeBedrock(server, new SigV4Verifier(accessKeyId, secretAccessKey, region, "bedrock"));
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", fake::handle);
        server.start();
        return fake;
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /**
     * Accepts only temporary credentials of this session (as STS issues them): the request must carry the token in
     * {@code X-Amz-Security-Token} and sign that header, or it is refused as AWS refuses it (403).
     */
    public FakeBedrock requireSessionToken(String token) {
        this.sessionToken = token;
        return this;
    }

    public FakeBedrock enqueue(Behaviour behaviour) {
        script.add(behaviour);
        return this;
    }

    /** What every request gets when nothing is queued. */
    public FakeBedrock always(Behaviour behaviour) {
        fallback = behaviour;
        return this;
    }

    public Optional<Seen> take(long timeoutMillis) throws InterruptedException {
        return Optional.ofNullable(seen.poll(timeoutMillis, TimeUnit.MILLISECONDS));
    }

    public int seenCount() {
        return seen.size();
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] payload = exchange.getRequestBody().readAllBytes();
            URI uri = exchange.getRequestURI();
            Map<String, List<String>> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            headers.putAll(exchange.getRequestHeaders());
            Optional<String> problem = verifier.problem(exchange.getRequestMethod(), uri, headers, payload, Instant.now())
                    .or(() -> sessionTokenProblem(headers));
            JsonNode body;
            try {
                body = JSON.readTree(payload);
            } catch (IOException e) {
                body = null;
            }
            seen.add(new Seen(uri.getRawPath(), headers, body, problem));
            if (problem.isPresent()) {
                error(exchange, 403, "InvalidSignatureException", problem.get());
                return;
            }
            String path = uri.getRawPath();
            if (!exchange.getRequestMethod().equals("POST") || !path.startsWith("/model/")) {
                error(exchange, 404, "UnknownOperationException", "unknown operation " + exchange.getRequestMethod() + " " + path);
                return;
            }
            String rest = path.substring("/model/".length());
            int slash = rest.lastIndexOf('/');
            String modelId = URLDecoder.decode(rest.substring(0, slash), StandardCharsets.UTF_8);
            String operation = rest.substring(slash + 1);
            if (operation.equals("count-tokens")) {
                countTokens(exchange, body);
                return;
            }
            Optional<String> invalid = invalid(body);
            if (invalid.isPresent()) {
                error(exchange, 400, "ValidationException", invalid.get());
                return;
            }
            Behaviour behaviour = Optional.ofNullable(script.poll()).orElse(fallback);
            switch (operation) {
                case "invoke" -> invoke(exchange, modelId, behaviour);
                case "invoke-with-response-stream" -> stream(exchange, modelId, behaviour);
                default -> error(exchange, 404, "UnknownOperationException", "unknown operation " + operation);
            }
        }
    }

    private Optional<String> sessionTokenProblem(Map<String, List<String>> headers) {
        String expected = sessionToken;
        if (expected == null) {
            return Optional.empty();
        }
        List<String> tokens = headers.get("x-amz-security-token");
        if (tokens == null || tokens.size() != 1 || !tokens.getFirst().equals(expected)) {
            return Optional.of("The security token included in the request is invalid.");
        }
        String authorization = headers.getOrDefault("authorization", List.of("")).getFirst();
        int signed = authorization.indexOf("SignedHeaders=");
        String signedHeaders = signed < 0 ? "" : authorization.substring(signed + "SignedHeaders=".length()).split(",")[0];
        if (!List.of(signedHeaders.split(";")).contains("x-amz-security-token")) {
            return Optional.of("X-Amz-Security-Token must be a signed header");
        }
        return Optional.empty();
    }

    /** Bedrock's checks of a Claude body, as its API reference states them. */
    static Optional<String> invalid(JsonNode body) {
        if (body == null || !body.isObject()) {
            return Optional.of("Malformed input request, please reformat your input and try again.");
        }
        if (!body.path("anthropic_version").asText("").equals("bedrock-2023-05-31")) {
            return Optional.of("Malformed input request: #: required key [anthropic_version] not found or not bedrock-2023-05-31");
        }
        if (body.has("model")) {
            return Optional.of("Malformed input request: #: extraneous key [model] is not permitted");
        }
        if (body.has("stream")) {
            return Optional.of("Malformed input request: #: extraneous key [stream] is not permitted");
        }
        if (!body.path("max_tokens").canConvertToInt()) {
            return Optional.of("Malformed input request: #: required key [max_tokens] not found");
        }
        if (!body.path("messages").isArray() || body.path("messages").isEmpty()) {
            return Optional.of("Malformed input request: #: required key [messages] not found");
        }
        return Optional.empty();
    }

    private void countTokens(HttpExchange exchange, JsonNode body) throws IOException {
        String encoded = body == null ? "" : body.path("input").path("invokeModel").path("body").asText("");
        JsonNode inner;
        try {
            inner = JSON.readTree(Base64.getDecoder().decode(encoded));
        } catch (IllegalArgumentException | IOException e) {
            inner = null;
        }
        Optional<String> invalid = inner == null ? Optional.of("input.invokeModel.body must be a base64 InvokeModel body") : invalid(inner);
        if (invalid.isPresent()) {
            error(exchange, 400, "ValidationException", invalid.get());
            return;
        }
        long tokens = Math.max(1, inner.toString().length() / 4);
        send(exchange, 200, "application/json", JSON.createObjectNode().put("inputTokens", tokens).toString().getBytes(StandardCharsets.UTF_8));
    }

    private void invoke(HttpExchange exchange, String modelId, Behaviour behaviour) throws IOException {
        switch (behaviour) {
            case Behaviour.Status status -> error(exchange, status.status(), status.errorType(), status.message());
            case Behaviour.Answer answer -> send(exchange, 200, "application/json",
                    ClaudeStream.message("msg_bdrk_" + ids.incrementAndGet(), modelId, answer.text(), answer.usage()).toString().getBytes(StandardCharsets.UTF_8));
            case Behaviour.ExceptionFrame ex -> error(exchange, 429, "ThrottlingException", ex.message());
            case Behaviour.BreakAfter ignored -> error(exchange, 500, "InternalServerException", "broken");
        }
    }

    private void stream(HttpExchange exchange, String modelId, Behaviour behaviour) throws IOException {
        if (behaviour instanceof Behaviour.Status status) {
            error(exchange, status.status(), status.errorType(), status.message());
            return;
        }
        exchange.getResponseHeaders().set("content-type", "application/vnd.amazon.eventstream");
        exchange.getResponseHeaders().set("x-amzn-bedrock-content-type", "application/json");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        if (behaviour instanceof Behaviour.ExceptionFrame ex) {
            out.write(EventStreamFrames.exception(ex.exceptionType(), JSON.createObjectNode().put("message", ex.message()).toString().getBytes(StandardCharsets.UTF_8)));
            out.close();
            return;
        }
        String text = behaviour instanceof Behaviour.Answer a ? a.text() : ((Behaviour.BreakAfter) behaviour).text();
        Usage usage = behaviour instanceof Behaviour.Answer a ? a.usage() : ((Behaviour.BreakAfter) behaviour).usage();
        int breakAfter = behaviour instanceof Behaviour.BreakAfter b ? b.events() : Integer.MAX_VALUE;
        List<ObjectNode> events = ClaudeStream.events("msg_bdrk_" + ids.incrementAndGet(), modelId, text, usage);
        ObjectNode last = events.getLast();
        last.putObject("amazon-bedrock-invocationMetrics").put("inputTokenCount", usage.inputTokens())
                .put("outputTokenCount", usage.outputTokens()).put("invocationLatency", 42).put("firstByteLatency", 7);
        int sent = 0;
        for (ObjectNode event : events) {
            if (sent == breakAfter) {
                out.flush();
                // Stop here: the stream ends without message_stop.
                throw new IOException("fake Bedrock breaks the stream after " + sent + " events");
            }
            ObjectNode chunk = JSON.createObjectNode().put("bytes", Base64.getEncoder().encodeToString(event.toString().getBytes(StandardCharsets.UTF_8)));
            out.write(EventStreamFrames.event("chunk", chunk.toString().getBytes(StandardCharsets.UTF_8)));
            out.flush();
            sent++;
        }
        out.close();
    }

    private static void error(HttpExchange exchange, int status, String errorType, String message) throws IOException {
        exchange.getResponseHeaders().set("x-amzn-ErrorType", errorType + ":http://internal.amazon.com/coral/com.amazon.bedrock/");
        send(exchange, status, "application/json", JSON.createObjectNode().put("message", message).toString().getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("content-type", contentType);
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}
