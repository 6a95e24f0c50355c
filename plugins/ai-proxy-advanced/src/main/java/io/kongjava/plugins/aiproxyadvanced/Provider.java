package io.kongjava.plugins.aiproxyadvanced;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * One way to reach Claude for Anthropic-native clients: how a checked client request becomes the provider's
 * call, and how the provider's answer becomes Anthropic's again (events, JSON, errors), so that the client cannot
 * tell which provider served it.
 */
sealed interface Provider permits AnthropicProvider, BedrockProvider, VertexProvider {

    ObjectMapper JSON = new ObjectMapper();

    /** Kong's provider name ({@code anthropic}, {@code bedrock}, {@code gemini}). */
    String name();

    /** The call for {@code request}, addressed to {@code model} (the target's model id), authorised. */
    UpstreamCall call(ClientRequest request, String model) throws IOException;

    /** Decodes the provider's 200 stream. */
    EventDecoder streamDecoder();

    /** The provider's 200 answer to a non-streamed call, as Anthropic's JSON. */
    default byte[] oneshot(ClientRequest.Operation operation, byte[] body) throws IOException {
        return body;
    }

    /** The provider's error answer, as Anthropic's error JSON. */
    default byte[] error(int status, byte[] body, String errorType) {
        return body;
    }

    /** Kong's {@code tried_targets} fields for the call's address. */
    static java.util.Map<String, Object> address(URI url) {
        java.util.Map<String, Object> address = new java.util.LinkedHashMap<>();
        address.put("host", url.getHost());
        address.put("port", url.getPort() > 0 ? url.getPort() : url.getScheme().equals("https") ? 443 : 80);
        address.put("upstream_scheme", url.getScheme());
        address.put("upstream_uri", url.getRawQuery() == null ? url.getRawPath() : url.getRawPath() + "?" + url.getRawQuery());
        return address;
    }

    /** Anthropic's error shape, for answers that are not Anthropic's own. */
    static byte[] anthropicError(int status, String message) {
        String type = switch (status) {
            case 400 -> "invalid_request_error";
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 413 -> "request_too_large";
            case 429 -> "rate_limit_error";
            case 529, 503 -> "overloaded_error";
            default -> "api_error";
        };
        ObjectNode root = JSON.createObjectNode().put("type", "error");
        root.putObject("error").put("type", type).put("message", message);
        return root.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The part of a base URL before its path, without a trailing slash. */
    static String origin(String url) {
        URI uri = URI.create(url);
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        if (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        return uri.getScheme() + "://" + uri.getRawAuthority() + path;
    }
}
