package io.kongjava.plugins.aiproxyadvanced;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import software.amazon.awssdk.eventstream.HeaderValue;
import software.amazon.awssdk.eventstream.Message;
import software.amazon.awssdk.eventstream.MessageDecoder;

/**
 * Bedrock's {@code application/vnd.amazon.eventstream} answer to InvokeModelWithResponseStream, decoded with the
 * SDK's codec (frames checked by their CRCs). Each {@code chunk} event carries one of Claude's own stream events,
 * base64-encoded in {@code bytes}; it is re-emitted as that Anthropic event, without Bedrock's
 * {@code amazon-bedrock-invocationMetrics}. An exception frame becomes Anthropic's {@code error} event.
 */
final class BedrockEvents implements EventDecoder {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<Message> frames = new ArrayList<>();
    private final MessageDecoder decoder = new MessageDecoder(frames::add);
    /** Bytes fed since the last whole frame: the decoder buffers a frame (up to the format's 16 MB) before it calls back. */
    private long sinceLastFrame;

    @Override
    public void feed(byte[] bytes, int offset, int length, List<AnthropicEvent> out) throws IOException {
        if (sinceLastFrame + length > io.kongjava.plugins.ai.SseParser.MAX_EVENT_BYTES) {
            // as for an SSE event: one frame larger than any event Claude sends would fill the server's heap
            throw new IOException("a Bedrock event frame larger than " + (io.kongjava.plugins.ai.SseParser.MAX_EVENT_BYTES >> 20) + " MiB");
        }
        try {
            decoder.feed(bytes, offset, length);
        } catch (RuntimeException corrupt) {
            throw new IOException("Bedrock's event stream is corrupt: " + corrupt.getMessage(), corrupt);
        }
        sinceLastFrame = frames.isEmpty() ? sinceLastFrame + length : 0;
        for (Message frame : frames) {
            out.add(event(frame));
        }
        frames.clear();
    }

    @Override
    public void finish(List<AnthropicEvent> out) {
    }

    private static String header(Message frame, String name) {
        HeaderValue value = frame.getHeaders().get(name);
        return value == null ? "" : value.getString();
    }

    static AnthropicEvent event(Message frame) throws IOException {
        String messageType = header(frame, ":message-type");
        JsonNode payload = JSON.readTree(frame.getPayload());
        if (messageType.equals("event") && header(frame, ":event-type").equals("chunk")) {
            byte[] inner;
            try {
                inner = Base64.getDecoder().decode(payload.path("bytes").asText(""));
            } catch (IllegalArgumentException notBase64) {
                throw new IOException("a Bedrock chunk whose bytes are not base64: " + notBase64.getMessage(), notBase64);
            }
            JsonNode event = JSON.readTree(inner);
            if (!(event instanceof ObjectNode object) || !object.path("type").isTextual()) {
                // a chunk with no Claude event in it ({} or null): garbage, not an event to pass on as data: null
                throw new IOException("a Bedrock chunk without a Claude event in it");
            }
            object.remove("amazon-bedrock-invocationMetrics");
            return new AnthropicEvent(object.path("type").asText(), JSON.writeValueAsString(object));
        }
        String kind = messageType.equals("exception") ? header(frame, ":exception-type") : header(frame, ":event-type");
        String message = payload.path("message").asText(kind);
        String type = switch (kind) {
            case "throttlingException" -> "rate_limit_error";
            case "serviceUnavailableException", "modelNotReadyException" -> "overloaded_error";
            case "validationException" -> "invalid_request_error";
            default -> "api_error";
        };
        ObjectNode error = JSON.createObjectNode().put("type", "error");
        error.putObject("error").put("type", type).put("message", "Bedrock " + kind + ": " + message);
        return new AnthropicEvent("error", JSON.writeValueAsString(error));
    }

    static String utf8(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
