package io.kongjava.plugins.aiproxyadvanced;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Server-sent events as Anthropic and Vertex send them: lines split anywhere by the network (inside a UTF-8
 * character too), LF or CRLF, {@code event:} and {@code data:} fields, comments ignored.
 */
final class SseEvents implements EventDecoder {

    private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
    private final StringBuilder data = new StringBuilder();
    private String event;
    private boolean hasData;

    @Override
    public void feed(byte[] bytes, int offset, int length, List<AnthropicEvent> out) {
        for (int i = offset; i < offset + length; i++) {
            if (bytes[i] == '\n') {
                endLine(out);
            } else {
                line.write(bytes[i]);
            }
        }
    }

    @Override
    public void finish(List<AnthropicEvent> out) {
        if (line.size() > 0) {
            endLine(out);
        }
        dispatch(out);
    }

    private void endLine(List<AnthropicEvent> out) {
        String text = line.toString(StandardCharsets.UTF_8);
        line.reset();
        if (text.endsWith("\r")) {
            text = text.substring(0, text.length() - 1);
        }
        if (text.isEmpty()) {
            dispatch(out);
            return;
        }
        if (text.startsWith(":")) {
            return;
        }
        int colon = text.indexOf(':');
        String field = colon < 0 ? text : text.substring(0, colon);
        String value = colon < 0 ? "" : text.substring(colon + 1);
        if (value.startsWith(" ")) {
            value = value.substring(1);
        }
        if (field.equals("event")) {
            event = value;
        } else if (field.equals("data")) {
            if (hasData) {
                data.append('\n');
            }
            data.append(value);
            hasData = true;
        }
    }

    private void dispatch(List<AnthropicEvent> out) {
        if (hasData) {
            out.add(new AnthropicEvent(event == null ? "message" : event, data.toString()));
        }
        event = null;
        data.setLength(0);
        hasData = false;
    }
}
