package io.kongjava.testing.anthropic;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the fake answers to the next {@code POST /v1/messages}. Enqueue replies with
 * {@link FakeAnthropic#enqueue}; without one the fake answers a short text message.
 *
 * <p>A {@link Message} is sent as JSON or as a server-sent event stream, whichever the request asked for
 * with {@code "stream": true}, exactly as Anthropic does.
 */
public sealed interface Reply {

    /** An assistant message with one text block. */
    static Message text(String text) {
        return new Message(List.of(new Block.Text(text)), "end_turn", null, null, Duration.ZERO, Duration.ZERO, -1, Duration.ZERO, null);
    }

    /** An Anthropic error body ({@code {"type":"error","error":{...}}}) with this status. */
    static Error error(int status, String type, String message) {
        return new Error(status, type, message, Map.of());
    }

    /** Any body, e.g. an HTML 502 page from a proxy in front of the API. */
    static Raw raw(int status, String contentType, String body) {
        return new Raw(status, contentType, body.getBytes(java.nio.charset.StandardCharsets.UTF_8), Map.of());
    }

    /** Any bytes: a compressed body, a stream of events written out whole. */
    static Raw raw(int status, String contentType, byte[] body) {
        return new Raw(status, contentType, body, Map.of());
    }

    /** Reads the request and answers nothing for this long, then drops the connection. */
    static Silence silence(Duration duration) {
        return new Silence(duration);
    }

    /** A content block of a message. */
    sealed interface Block {
        record Text(String text) implements Block {
        }

        /** A {@code tool_use} block; {@code inputJson} is the tool input as a JSON object text. */
        record ToolUse(String id, String name, String inputJson) implements Block {
        }
    }

    /** An {@code error} event sent in the middle of a stream, after a 200 status. */
    record StreamError(int afterEvents, String type, String message) {
    }

    /**
     * An assistant message.
     *
     * @param usage               the counts to report; {@code null} = estimated from the request and the text
     * @param model               the model to report; {@code null} = the model the request named
     * @param headersDelay        wait before the status line (time to first byte)
     * @param eventDelay          wait between stream events
     * @param truncateAfterEvents end the stream abruptly after this many events ({@code -1}: never)
     * @param silenceAtTruncation how long to keep the connection open and silent before ending it there
     * @param streamError         an {@code error} event mid-stream ({@code null}: none)
     */
    record Message(List<Block> content, String stopReason, Usage usage, String model, Duration headersDelay,
                   Duration eventDelay, int truncateAfterEvents, Duration silenceAtTruncation, StreamError streamError) implements Reply {

        public Message {
            content = List.copyOf(content);
            Objects.requireNonNull(stopReason, "stopReason");
            Objects.requireNonNull(headersDelay, "headersDelay");
            Objects.requireNonNull(eventDelay, "eventDelay");
            Objects.requireNonNull(silenceAtTruncation, "silenceAtTruncation");
        }

        public Message usage(Usage usage) {
            return new Message(content, stopReason, usage, model, headersDelay, eventDelay, truncateAfterEvents, silenceAtTruncation, streamError);
        }

        public Message model(String model) {
            return new Message(content, stopReason, usage, model, headersDelay, eventDelay, truncateAfterEvents, silenceAtTruncation, streamError);
        }

        public Message stopReason(String stopReason) {
            return new Message(content, stopReason, usage, model, headersDelay, eventDelay, truncateAfterEvents, silenceAtTruncation, streamError);
        }

        /** Adds a tool call after the text and makes {@code tool_use} the stop reason. */
        public Message thenToolUse(String id, String name, String inputJson) {
            List<Block> blocks = new ArrayList<>(content);
            blocks.add(new Block.ToolUse(id, name, inputJson));
            return new Message(blocks, "tool_use", usage, model, headersDelay, eventDelay, truncateAfterEvents, silenceAtTruncation, streamError);
        }

        public Message headersDelay(Duration delay) {
            return new Message(content, stopReason, usage, model, delay, eventDelay, truncateAfterEvents, silenceAtTruncation, streamError);
        }

        public Message eventDelay(Duration delay) {
            return new Message(content, stopReason, usage, model, headersDelay, delay, truncateAfterEvents, silenceAtTruncation, streamError);
        }

        /** After this many events the stream falls silent, the connection open, for {@code silence}; then it ends there. */
        public Message silentAfterEvents(int events, Duration silence) {
            return new Message(content, stopReason, usage, model, headersDelay, eventDelay, events, silence, streamError);
        }

        public Message truncatedAfterEvents(int events) {
            return new Message(content, stopReason, usage, model, headersDelay, eventDelay, events, silenceAtTruncation, streamError);
        }

        public Message errorAfterEvents(int events, String type, String message) {
            return new Message(content, stopReason, usage, model, headersDelay, eventDelay, truncateAfterEvents, silenceAtTruncation,
                    new StreamError(events, type, message));
        }
    }

    record Error(int status, String type, String message, Map<String, String> headers) implements Reply {

        public Error {
            headers = Map.copyOf(headers);
        }

        public Error header(String name, String value) {
            Map<String, String> more = new LinkedHashMap<>(headers);
            more.put(name, value);
            return new Error(status, type, message, more);
        }
    }

    record Raw(int status, String contentType, byte[] body, Map<String, String> headers) implements Reply {

        public Raw {
            headers = Map.copyOf(headers);
        }

        /** The same body with one more header, e.g. a content-encoding the client did not ask for. */
        public Raw header(String name, String value) {
            Map<String, String> more = new LinkedHashMap<>(headers);
            more.put(name, value);
            return new Raw(status, contentType, body, more);
        }
    }

    record Silence(Duration duration) implements Reply {
    }
}
