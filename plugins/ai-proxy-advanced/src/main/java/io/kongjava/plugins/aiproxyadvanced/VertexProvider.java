package io.kongjava.plugins.aiproxyadvanced;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.auth.oauth2.GoogleCredentials;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Claude on Google Vertex AI: {@code rawPredict} / {@code streamRawPredict} of the Anthropic publisher model, the
 * Messages body without {@code model} and with {@code anthropic_version: vertex-2023-10-16}, and a Bearer token
 * from the configured service account or the application default credentials. The answers are Anthropic's own.
 */
final class VertexProvider implements Provider {

    static final String VERTEX_VERSION = "vertex-2023-10-16";
    static final String SCOPE = "https://www.googleapis.com/auth/cloud-platform";

    private final AdvancedConfig.Target target;
    private final String project;
    private final String location;
    private volatile GoogleCredentials credentials;

    VertexProvider(AdvancedConfig.Target target) {
        this.target = target;
        AdvancedConfig.Gemini gemini = target.options().gemini().orElseThrow();
        this.project = gemini.projectId().orElseThrow();
        this.location = gemini.locationId().orElseThrow();
    }

    @Override
    public String name() {
        return "gemini";
    }

    /** Where Vertex serves {@code location}: its regional host, or the global one. */
    String origin() {
        AdvancedConfig.Options options = target.options();
        if (options.upstreamUrl().isPresent()) {
            return Provider.origin(options.upstreamUrl().get());
        }
        String endpoint = options.gemini().flatMap(AdvancedConfig.Gemini::apiEndpoint).filter(e -> !e.isBlank())
                .orElse(location.equals("global") ? "aiplatform.googleapis.com" : location + "-aiplatform.googleapis.com");
        return endpoint.contains("://") ? Provider.origin(endpoint) : "https://" + endpoint;
    }

    @Override
    public UpstreamCall call(ClientRequest request, String model) throws IOException {
        String publisher = origin() + "/v1/projects/" + encode(project) + "/locations/" + encode(location) + "/publishers/anthropic/models/";
        ObjectNode body = request.bodyCopy();
        String url;
        if (request.operation() == ClientRequest.Operation.COUNT_TOKENS) {
            // Vertex counts through its own count-tokens model, which takes the model id in the body.
            url = publisher + "count-tokens:rawPredict";
            body.put("model", model);
        } else {
            url = publisher + encode(model) + (request.stream() ? ":streamRawPredict" : ":rawPredict");
            body.remove("model");
        }
        body.put("anthropic_version", VERTEX_VERSION);
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        headers.add(Map.entry("content-type", "application/json"));
        headers.add(Map.entry("authorization", "Bearer " + accessToken()));
        if (request.anthropicBeta() != null) {
            headers.add(Map.entry("anthropic-beta", request.anthropicBeta()));
        }
        return new UpstreamCall(URI.create(url), headers, body.toString().getBytes(StandardCharsets.UTF_8));
    }

    private String accessToken() throws IOException {
        GoogleCredentials current = credentials;
        if (current == null) {
            synchronized (this) {
                current = credentials;
                if (current == null) {
                    current = load();
                    credentials = current;
                }
            }
        }
        current.refreshIfExpired();
        return current.getAccessToken().getTokenValue();
    }

    private GoogleCredentials load() throws IOException {
        String json = target.auth().flatMap(AdvancedConfig.Auth::gcpServiceAccountJson).filter(j -> !j.isBlank()).orElse(null);
        GoogleCredentials loaded = json != null
                ? GoogleCredentials.fromStream(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)))
                : GoogleCredentials.getApplicationDefault();
        return loaded.createScoped(List.of(SCOPE));
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20").replace("%40", "@");
    }

    @Override
    public EventDecoder streamDecoder() {
        return new SseEvents();
    }

    @Override
    public byte[] error(int status, byte[] body, String errorType) {
        // Vertex's own errors (Google's {"error":{"code","message","status"}}) become Anthropic's; Claude's pass.
        try {
            var json = JSON.readTree(body);
            if (json.path("type").asText("").equals("error")) {
                return body;
            }
            var error = json.isArray() ? json.path(0).path("error") : json.path("error");
            return Provider.anthropicError(status, error.path("message").asText("Vertex AI answered " + status));
        } catch (IOException notJson) {
            return Provider.anthropicError(status, "Vertex AI answered " + status);
        }
    }
}
