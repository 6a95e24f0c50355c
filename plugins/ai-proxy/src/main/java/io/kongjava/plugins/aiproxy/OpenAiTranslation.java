package io.kongjava.plugins.aiproxy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * OpenAI chat completions to Anthropic messages and back ({@code llm_format: openai}): system and
 * developer messages, multi-part content with images, tool definitions, tool calls and tool results,
 * stop reasons, usage.
 */
final class OpenAiTranslation {

    static final ObjectMapper JSON = new ObjectMapper();
    /** Anthropic requires max_tokens; OpenAI clients usually leave it out. */
    static final int DEFAULT_MAX_TOKENS = 4096;

    private OpenAiTranslation() {
    }

    static ObjectNode toAnthropicRequest(ObjectNode openai, String model, AiProxyConfig.Options options, boolean stream)
            throws Rejection {
        ObjectNode out = JSON.createObjectNode();
        out.put("model", model);
        List<JsonNode> system = new ArrayList<>();
        ArrayNode messages = out.putArray("messages");
        for (JsonNode message : openai.path("messages")) {
            String role = message.path("role").asText("");
            switch (role) {
                case "system", "developer" -> system.addAll(textBlocks(message.get("content")));
                case "user" -> messages.add(JSON.createObjectNode().put("role", "user").set("content", content(message.get("content"))));
                case "assistant" -> messages.add(assistant(message));
                case "tool" -> {
                    ObjectNode result = JSON.createObjectNode().put("type", "tool_result")
                            .put("tool_use_id", message.path("tool_call_id").asText(""));
                    result.set("content", content(message.get("content")));
                    messages.add(JSON.createObjectNode().put("role", "user").set("content", JSON.createArrayNode().add(result)));
                }
                default -> throw new Rejection(400, "invalid_request_error", "unsupported message role '" + role + "'");
            }
        }
        if (!system.isEmpty()) {
            out.set("system", JSON.createArrayNode().addAll(system));
        }
        int maxTokens = options.maxTokens().orElse(openai.path("max_completion_tokens").asInt(openai.path("max_tokens").asInt(DEFAULT_MAX_TOKENS)));
        out.put("max_tokens", maxTokens);
        copyNumber(openai, out, "temperature", options.temperature().isPresent() ? options.temperature().getAsDouble() : null);
        copyNumber(openai, out, "top_p", options.topP().isPresent() ? options.topP().getAsDouble() : null);
        if (options.topK().isPresent()) {
            out.put("top_k", options.topK().getAsInt());
        }
        JsonNode stop = openai.get("stop");
        if (stop != null && stop.isTextual()) {
            out.putArray("stop_sequences").add(stop.asText());
        } else if (stop != null && stop.isArray()) {
            out.set("stop_sequences", stop.deepCopy());
        }
        out.put("stream", stream);
        JsonNode tools = openai.get("tools");
        if (tools != null && tools.isArray() && !tools.isEmpty()) {
            ArrayNode converted = out.putArray("tools");
            for (JsonNode tool : tools) {
                JsonNode function = tool.path("function");
                if (function.isObject()) {
                    ObjectNode t = JSON.createObjectNode().put("name", function.path("name").asText());
                    if (function.hasNonNull("description")) {
                        t.put("description", function.path("description").asText());
                    }
                    t.set("input_schema", function.has("parameters") ? function.get("parameters").deepCopy()
                            : JSON.createObjectNode().put("type", "object"));
                    converted.add(t);
                }
            }
        }
        JsonNode choice = openai.get("tool_choice");
        if (choice != null && !choice.isNull()) {
            if (choice.isTextual()) {
                switch (choice.asText()) {
                    case "required" -> out.putObject("tool_choice").put("type", "any");
                    case "none" -> out.putObject("tool_choice").put("type", "none");
                    default -> out.putObject("tool_choice").put("type", "auto");
                }
            } else if (choice.path("function").has("name")) {
                out.putObject("tool_choice").put("type", "tool").put("name", choice.path("function").path("name").asText());
            }
        }
        if (openai.hasNonNull("user")) {
            out.putObject("metadata").put("user_id", openai.path("user").asText());
        }
        return out;
    }

    private static void copyNumber(ObjectNode from, ObjectNode to, String field, Double configured) {
        if (configured != null) {
            to.put(field, configured);
        } else if (from.path(field).isNumber()) {
            to.set(field, from.get(field));
        }
    }

    private static ObjectNode assistant(JsonNode message) {
        ArrayNode blocks = JSON.createArrayNode();
        JsonNode content = message.get("content");
        if (content != null && !content.isNull() && !(content.isTextual() && content.asText().isEmpty())) {
            blocks.addAll(textBlocks(content));
        }
        for (JsonNode call : message.path("tool_calls")) {
            ObjectNode use = JSON.createObjectNode().put("type", "tool_use").put("id", call.path("id").asText())
                    .put("name", call.path("function").path("name").asText());
            use.set("input", parseArguments(call.path("function").path("arguments").asText("{}")));
            blocks.add(use);
        }
        return JSON.createObjectNode().put("role", "assistant").set("content", blocks);
    }

    private static JsonNode parseArguments(String arguments) {
        try {
            JsonNode parsed = JSON.readTree(arguments.isBlank() ? "{}" : arguments);
            return parsed.isObject() ? parsed : JSON.createObjectNode().set("value", parsed);
        } catch (JsonProcessingException e) {
            return JSON.createObjectNode().put("raw_arguments", arguments);
        }
    }

    private static List<JsonNode> textBlocks(JsonNode content) {
        List<JsonNode> blocks = new ArrayList<>();
        if (content == null || content.isNull()) {
            return blocks;
        }
        if (content.isTextual()) {
            blocks.add(JSON.createObjectNode().put("type", "text").put("text", content.asText()));
        } else {
            for (JsonNode part : content) {
                if (part.path("type").asText().equals("text")) {
                    blocks.add(JSON.createObjectNode().put("type", "text").put("text", part.path("text").asText()));
                }
            }
        }
        return blocks;
    }

    private static JsonNode content(JsonNode content) {
        if (content == null || content.isNull()) {
            return JSON.getNodeFactory().textNode("");
        }
        if (content.isTextual()) {
            return content;
        }
        ArrayNode blocks = JSON.createArrayNode();
        for (JsonNode part : content) {
            switch (part.path("type").asText()) {
                case "text" -> blocks.add(JSON.createObjectNode().put("type", "text").put("text", part.path("text").asText()));
                case "image_url" -> blocks.add(image(part.path("image_url").path("url").asText()));
                default -> { }
            }
        }
        return blocks;
    }

    private static ObjectNode image(String url) {
        ObjectNode image = JSON.createObjectNode().put("type", "image");
        ObjectNode source = image.putObject("source");
        if (url.startsWith("data:") && url.contains(";base64,")) {
            source.put("type", "base64").put("media_type", url.substring(5, url.indexOf(';')))
                    .put("data", url.substring(url.indexOf(";base64,") + 8));
        } else {
            source.put("type", "url").put("url", url);
        }
        return image;
    }

    /** OpenAI's finish_reason for an Anthropic stop_reason. */
    static String finishReason(String stopReason) {
        if (stopReason == null) {
            return null;
        }
        return switch (stopReason) {
            case "end_turn", "stop_sequence", "pause_turn" -> "stop";
            case "max_tokens" -> "length";
            case "tool_use" -> "tool_calls";
            case "refusal" -> "content_filter";
            default -> stopReason;
        };
    }

    static ObjectNode toOpenAiResponse(JsonNode message, String fallbackModel) {
        ObjectNode out = JSON.createObjectNode();
        out.put("id", message.path("id").asText("chatcmpl-unknown"));
        out.put("object", "chat.completion");
        out.put("created", System.currentTimeMillis() / 1000);
        out.put("model", message.path("model").asText(fallbackModel));
        StringBuilder text = new StringBuilder();
        ArrayNode toolCalls = JSON.createArrayNode();
        for (JsonNode block : message.path("content")) {
            switch (block.path("type").asText()) {
                case "text" -> {
                    if (!text.isEmpty()) {
                        text.append('\n');
                    }
                    text.append(block.path("text").asText());
                }
                case "tool_use" -> {
                    ObjectNode call = toolCalls.addObject().put("id", block.path("id").asText()).put("type", "function");
                    call.putObject("function").put("name", block.path("name").asText())
                            .put("arguments", block.path("input").toString());
                }
                default -> { }
            }
        }
        ObjectNode choice = out.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode reply = choice.putObject("message").put("role", "assistant");
        if (text.isEmpty() && !toolCalls.isEmpty()) {
            reply.putNull("content");
        } else {
            reply.put("content", text.toString());
        }
        if (!toolCalls.isEmpty()) {
            reply.set("tool_calls", toolCalls);
        }
        choice.put("finish_reason", finishReason(message.path("stop_reason").asText(null)));
        JsonNode usage = message.path("usage");
        long prompt = usage.path("input_tokens").asLong() + usage.path("cache_creation_input_tokens").asLong()
                + usage.path("cache_read_input_tokens").asLong();
        long completion = usage.path("output_tokens").asLong();
        ObjectNode u = out.putObject("usage").put("prompt_tokens", prompt).put("completion_tokens", completion)
                .put("total_tokens", prompt + completion);
        if (usage.path("cache_read_input_tokens").asLong() > 0) {
            u.putObject("prompt_tokens_details").put("cached_tokens", usage.path("cache_read_input_tokens").asLong());
        }
        return out;
    }

    /**
     * Turns Anthropic stream events into OpenAI {@code chat.completion.chunk} events, one call per event;
     * returns the text to send (possibly empty).
     */
    static final class StreamTranslator {
        private final String model;
        private final boolean includeUsage;
        private final long created = System.currentTimeMillis() / 1000;
        private String id = "chatcmpl-unknown";
        private int toolIndex = -1;
        private long prompt;
        private long completion;
        private boolean done;

        StreamTranslator(String model, boolean includeUsage) {
            this.model = model;
            this.includeUsage = includeUsage;
        }

        boolean done() {
            return done;
        }

        String translate(String event, JsonNode data) {
            return switch (event) {
                case "message_start" -> {
                    id = data.path("message").path("id").asText(id);
                    JsonNode usage = data.path("message").path("usage");
                    prompt = usage.path("input_tokens").asLong() + usage.path("cache_creation_input_tokens").asLong()
                            + usage.path("cache_read_input_tokens").asLong();
                    ObjectNode delta = JSON.createObjectNode().put("role", "assistant").put("content", "");
                    yield chunk(delta, null);
                }
                case "content_block_start" -> {
                    JsonNode block = data.path("content_block");
                    if (!block.path("type").asText().equals("tool_use")) {
                        yield "";
                    }
                    toolIndex++;
                    ObjectNode delta = JSON.createObjectNode();
                    ObjectNode call = delta.putArray("tool_calls").addObject().put("index", toolIndex)
                            .put("id", block.path("id").asText()).put("type", "function");
                    call.putObject("function").put("name", block.path("name").asText()).put("arguments", "");
                    yield chunk(delta, null);
                }
                case "content_block_delta" -> {
                    JsonNode delta = data.path("delta");
                    yield switch (delta.path("type").asText()) {
                        case "text_delta" -> chunk(JSON.createObjectNode().put("content", delta.path("text").asText()), null);
                        case "input_json_delta" -> {
                            ObjectNode d = JSON.createObjectNode();
                            d.putArray("tool_calls").addObject().put("index", Math.max(toolIndex, 0))
                                    .putObject("function").put("arguments", delta.path("partial_json").asText());
                            yield chunk(d, null);
                        }
                        default -> "";
                    };
                }
                case "message_delta" -> {
                    JsonNode usage = data.path("usage");
                    if (usage.has("output_tokens")) {
                        completion = usage.path("output_tokens").asLong();
                    }
                    yield chunk(JSON.createObjectNode(), finishReason(data.path("delta").path("stop_reason").asText(null)));
                }
                case "message_stop" -> {
                    done = true;
                    StringBuilder out = new StringBuilder();
                    if (includeUsage) {
                        ObjectNode last = base();
                        last.putArray("choices");
                        last.putObject("usage").put("prompt_tokens", prompt).put("completion_tokens", completion)
                                .put("total_tokens", prompt + completion);
                        out.append("data: ").append(last).append("\n\n");
                    }
                    yield out.append("data: [DONE]\n\n").toString();
                }
                case "error" -> {
                    done = true;
                    ObjectNode error = JSON.createObjectNode();
                    error.putObject("error").put("message", data.path("error").path("message").asText("upstream error"))
                            .put("type", data.path("error").path("type").asText("api_error"));
                    yield "data: " + error + "\n\ndata: [DONE]\n\n";
                }
                default -> "";
            };
        }

        private ObjectNode base() {
            return JSON.createObjectNode().put("id", id).put("object", "chat.completion.chunk").put("created", created)
                    .put("model", model);
        }

        private String chunk(ObjectNode delta, String finishReason) {
            ObjectNode chunk = base();
            ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0);
            choice.set("delta", delta);
            if (finishReason == null) {
                choice.putNull("finish_reason");
            } else {
                choice.put("finish_reason", finishReason);
            }
            return "data: " + chunk + "\n\n";
        }
    }
}
