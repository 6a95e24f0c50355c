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
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.Signature;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A local stand-in for Google Vertex AI serving Claude, with its own OAuth token endpoint:
 * <ul>
 *   <li>{@code POST /token}: Google's JWT-bearer grant. The assertion must be an RS256 JWT signed with the key of
 *       {@link #serviceAccountJson()} (checked with its public key), issued by its client_email, for Google's token audience,
 *       with the cloud-platform scope and not expired; the answer is a fresh access token.</li>
 *   <li>{@code POST /v1/projects/{p}/locations/{l}/publishers/anthropic/models/{model}:rawPredict} and
 *       {@code :streamRawPredict} (Anthropic's SSE), and {@code .../models/count-tokens:rawPredict}. Each needs
 *       {@code Authorization: Bearer} with a token this fake issued (401 UNAUTHENTICATED otherwise), the configured
 *       project and location, and a body with {@code anthropic_version: vertex-2023-10-16} and no {@code model}
 *       (count-tokens: with one).</li>
 * </ul>
 */
public final class FakeVertex implements AutoCloseable {

    /** What the next prediction gets. */
    public sealed interface Behaviour {
        record Answer(String text, Usage usage) implements Behaviour {
        }

        record Status(int status, String message) implements Behaviour {
        }
    }

    public record Seen(String path, Map<String, List<String>> headers, JsonNode body, int status) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PREDICT = Pattern.compile("/v1/projects/([^/]+)/locations/([^/]+)/publishers/anthropic/models/([^/:]+):(rawPredict|streamRawPredict)");

    private final HttpServer server;
    private final String project;
    private final String location;
    private final KeyPair keys;
    private final String clientEmail;
    private final Map<String, Instant> tokens = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Behaviour> script = new ConcurrentLinkedQueue<>();
    private final BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
    private final AtomicLong ids = new AtomicLong();
    private final AtomicLong tokenGrants = new AtomicLong();

    private FakeVertex(HttpServer server, String project, String location) {
        this.server = server;
        this.project = project;
        this.location = location;
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            this.keys = generator.generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        this.clientEmail = "claude-gateway@" + project + ".iam.gserviceaccount.com";
    }

    public static FakeVertex start(String project, String location) throws IOException {
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
        FakeVertex fake = new FakeVertex(server, project, location);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", fake::handle);
        server.start();
        return fake;
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** A service account key whose token URI is this fake: what Kong's {@code gcp_service_account_json} holds. */
    public String serviceAccountJson() {
        String pem = "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(keys.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
        ObjectNode json = JSON.createObjectNode()
                .put("type", "service_account")
                .put("project_id", project)
                .put("private_key_id", "fake-key-1")
                .put("private_key", pem)
                .put("client_email", clientEmail)
                .put("client_id", "1234567890")
                .put("token_uri", url() + "/token");
        return json.toString();
    }

    /** How many access tokens the token endpoint granted. */
    public long tokenGrants() {
        return tokenGrants.get();
    }

    public FakeVertex enqueue(Behaviour behaviour) {
        script.add(behaviour);
        return this;
    }

    public Optional<Seen> take(long timeoutMillis) throws InterruptedException {
        return Optional.ofNullable(seen.poll(timeoutMillis, TimeUnit.MILLISECONDS));
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] payload = exchange.getRequestBody().readAllBytes();
            String path = exchange.getRequestURI().getRawPath();
            if (path.equals("/token")) {
                token(exchange, new String(payload, StandardCharsets.UTF_8));
                return;
            }
            JsonNode body;
            try {
                body = JSON.readTree(payload);
            } catch (IOException e) {
                body = null;
            }
            Map<String, List<String>> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            headers.putAll(exchange.getRequestHeaders());
            int status = predict(exchange, path, headers, body);
            seen.add(new Seen(path, headers, body, status));
        }
    }

    private int predict(HttpExchange exchange, String path, Map<String, List<String>> headers, JsonNode body) throws IOException {
        String authorization = headers.getOrDefault("authorization", List.of("")).getFirst();
        String token = authorization.startsWith("Bearer ") ? authorization.substring(7) : "";
        Instant expiry = tokens.get(token);
        if (expiry == null || Instant.now().isAfter(expiry)) {
            return googleError(exchange, 401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access token.");
        }
        Matcher matcher = PREDICT.matcher(path);
        if (!exchange.getRequestMethod().equals("POST") || !matcher.matches()) {
            return googleError(exchange, 404, "NOT_FOUND", "The requested URL " + path + " was not found on this server.");
        }
        if (!matcher.group(1).equals(project) || !matcher.group(2).equals(location)) {
            return googleError(exchange, 403, "PERMISSION_DENIED", "Permission denied on resource project " + matcher.group(1) + " location " + matcher.group(2));
        }
        String model = URLDecoder.decode(matcher.group(3), StandardCharsets.UTF_8);
        boolean counting = model.equals("count-tokens");
        if (body == null || !body.path("anthropic_version").asText("").equals("vertex-2023-10-16")) {
            return anthropicError(exchange, 400, "anthropic_version: vertex-2023-10-16 is required");
        }
        if (counting != body.has("model")) {
            return anthropicError(exchange, 400, counting ? "model: Field required" : "model: Extra inputs are not permitted");
        }
        if (!body.path("messages").isArray() || body.path("messages").isEmpty()) {
            return anthropicError(exchange, 400, "messages: Field required");
        }
        if (counting) {
            send(exchange, 200, "application/json", JSON.createObjectNode().put("input_tokens", Math.max(1, body.path("messages").toString().length() / 4))
                    .toString().getBytes(StandardCharsets.UTF_8));
            return 200;
        }
        if (!body.path("max_tokens").canConvertToInt()) {
            return anthropicError(exchange, 400, "max_tokens: Field required");
        }
        Behaviour behaviour = Optional.ofNullable(script.poll()).orElse(new Behaviour.Answer("Hello from the fake Vertex.", new Usage(33, 9, 0, 0)));
        if (behaviour instanceof Behaviour.Status s) {
            return anthropicError(exchange, s.status(), s.message());
        }
        Behaviour.Answer answer = (Behaviour.Answer) behaviour;
        String id = "msg_vrtx_" + ids.incrementAndGet();
        if (matcher.group(4).equals("rawPredict")) {
            send(exchange, 200, "application/json", ClaudeStream.message(id, model, answer.text(), answer.usage()).toString().getBytes(StandardCharsets.UTF_8));
            return 200;
        }
        exchange.getResponseHeaders().set("content-type", "text/event-stream; charset=utf-8");
        exchange.sendResponseHeaders(200, 0);
        try (OutputStream out = exchange.getResponseBody()) {
            for (ObjectNode event : ClaudeStream.events(id, model, answer.text(), answer.usage())) {
                out.write(("event: " + event.path("type").asText() + "\ndata: " + event + "\n\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        }
        return 200;
    }

    private void token(HttpExchange exchange, String form) throws IOException {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String pair : form.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                fields.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        Optional<String> problem = assertionProblem(fields);
        if (problem.isPresent()) {
            send(exchange, 400, "application/json", JSON.createObjectNode().put("error", "invalid_grant").put("error_description", problem.get())
                    .toString().getBytes(StandardCharsets.UTF_8));
            return;
        }
        String token = "ya29.fake-" + UUID.randomUUID();
        tokens.put(token, Instant.now().plusSeconds(3600));
        tokenGrants.incrementAndGet();
        send(exchange, 200, "application/json", JSON.createObjectNode().put("access_token", token).put("expires_in", 3599)
                .put("token_type", "Bearer").toString().getBytes(StandardCharsets.UTF_8));
    }

    private Optional<String> assertionProblem(Map<String, String> fields) {
        if (!"urn:ietf:params:oauth:grant-type:jwt-bearer".equals(fields.get("grant_type"))) {
            return Optional.of("unsupported grant_type " + fields.get("grant_type"));
        }
        String[] jwt = fields.getOrDefault("assertion", "").split("\\.");
        if (jwt.length != 3) {
            return Optional.of("assertion is not a JWT");
        }
        try {
            JsonNode header = JSON.readTree(Base64.getUrlDecoder().decode(jwt[0]));
            JsonNode claims = JSON.readTree(Base64.getUrlDecoder().decode(jwt[1]));
            if (!header.path("alg").asText().equals("RS256")) {
                return Optional.of("JWT alg must be RS256");
            }
            Signature verifier = Signature.getInstance("SHA256withRSA");
            verifier.initVerify(keys.getPublic());
            verifier.update((jwt[0] + "." + jwt[1]).getBytes(StandardCharsets.US_ASCII));
            if (!verifier.verify(Base64.getUrlDecoder().decode(jwt[2]))) {
                return Optional.of("Invalid JWT Signature.");
            }
            if (!claims.path("iss").asText().equals(clientEmail)) {
                return Optional.of("Invalid issuer " + claims.path("iss").asText());
            }
            // Google's token server takes its own audience (what Google's libraries put) or the token URI.
            String audience = claims.path("aud").asText();
            if (!audience.equals("https://oauth2.googleapis.com/token") && !audience.equals(url() + "/token")) {
                return Optional.of("Invalid audience " + claims.path("aud").asText());
            }
            if (!Set.of(claims.path("scope").asText("").split(" ")).contains("https://www.googleapis.com/auth/cloud-platform")) {
                return Optional.of("scope must include cloud-platform, was " + claims.path("scope").asText());
            }
            if (claims.path("exp").asLong() < Instant.now().getEpochSecond()) {
                return Optional.of("Invalid JWT: Token must be a short-lived token and in a reasonable timeframe");
            }
            return Optional.empty();
        } catch (IOException | IllegalArgumentException | java.security.GeneralSecurityException e) {
            return Optional.of("assertion could not be read: " + e.getMessage());
        }
    }

    private static int googleError(HttpExchange exchange, int status, String code, String message) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.putObject("error").put("code", status).put("message", message).put("status", code);
        send(exchange, status, "application/json", root.toString().getBytes(StandardCharsets.UTF_8));
        return status;
    }

    private static int anthropicError(HttpExchange exchange, int status, String message) throws IOException {
        ObjectNode root = JSON.createObjectNode().put("type", "error");
        root.putObject("error").put("type", status == 429 ? "rate_limit_error" : status >= 500 ? "api_error" : "invalid_request_error").put("message", message);
        send(exchange, status, "application/json", root.toString().getBytes(StandardCharsets.UTF_8));
        return status;
    }

    private static void send(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("content-type", contentType);
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}
