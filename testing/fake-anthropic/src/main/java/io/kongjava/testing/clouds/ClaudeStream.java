package io.kongjava.testing.clouds;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kongjava.testing.anthropic.Usage;
import java.util.ArrayList;
import java.util.List;

/**
 * Claude's answer as Anthropic's Messages API defines it, whole or as its stream of events: the payload every
 * cloud that serves Claude returns, whatever it wraps it in.
 */
public final class ClaudeStream {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ClaudeStream() {
    }

    public static ObjectNode usage(Usage usage) {
        ObjectNode json = JSON.createObjectNode()
                .put("input_tokens", usage.inputTokens())
                .put("cache_creation_input_tokens", usage.cacheCreationInputTokens())
                .put("cache_read_input_tokens", usage.cacheReadInputTokens())
                .put("output_tokens", usage.outputTokens());
        return json;
    }

    public static ObjectNode message(String id, String model, String text, Usage usage) {
        ObjectNode message = JSON.createObjectNode().put("id", id).put("type", "message").put("role", "assistant").put("model", model);
        message.putArray("content").addObject().put("type", "text").put("text", text);
        message.put("stop_reason", "end_turn").putNull("stop_sequence");
        message.set("usage", usage(usage));
        return message;
    }

    /** The events of a streamed answer, each with its {@code type}; the text comes in word-sized deltas. */
    public static List<ObjectNode> events(String id, String model, String text, Usage usage) {
        List<ObjectNode> events = new ArrayList<>();
        ObjectNode start = JSON.createObjectNode().put("type", "message_start");
        ObjectNode message = start.putObject("message").put("id", id).put("type", "message").put("role", "assistant").put("model", model);
        message.putArray("content");
        message.putNull("stop_reason").putNull("stop_sequence");
        message.set("usage", usage(new Usage(usage.inputTokens(), 1, usage.cacheCreationInputTokens(), usage.cacheReadInputTokens())));
        events.add(start);
        ObjectNode blockStart = JSON.createObjectNode().put("type", "content_block_start").put("index", 0);
        blockStart.putObject("content_block").put("type", "text").put("text", "");
        events.add(blockStart);
        for (String piece : text.split("(?<= )")) {
            ObjectNode delta = JSON.createObjectNode().put("type", "content_block_delta").put("index", 0);
            delta.putObject("delta").put("type", "text_delta").put("text", piece);
            events.add(delta);
        }
        events.add(JSON.createObjectNode().put("type", "content_block_stop").put("index", 0));
        ObjectNode messageDelta = JSON.createObjectNode().put("type", "message_delta");
        messageDelta.putObject("delta").put("stop_reason", "end_turn").putNull("stop_sequence");
        messageDelta.putObject("usage").put("output_tokens", usage.outputTokens());
        events.add(messageDelta);
        events.add(JSON.createObjectNode().put("type", "message_stop"));
        return events;
    }
}
