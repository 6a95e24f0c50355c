package io.kongjava.plugins.aiproxyadvanced;

import io.kongjava.plugins.ai.SseParser;
import java.util.List;

/**
 * Server-sent events as Anthropic and Vertex send them ({@link SseParser}: lines split anywhere by the network,
 * inside a UTF-8 character too, LF or CRLF, comments ignored), each one an {@link AnthropicEvent}.
 */
final class SseEvents implements EventDecoder {

    /** Where the parser's events go during the current feed or finish call. */
    private List<AnthropicEvent> out;
    private final SseParser parser = new SseParser((event, data) -> out.add(new AnthropicEvent(event, data)));

    @Override
    public void feed(byte[] bytes, int offset, int length, List<AnthropicEvent> out) {
        this.out = out;
        parser.feed(bytes, offset, length);
    }

    @Override
    public void finish(List<AnthropicEvent> out) {
        this.out = out;
        parser.finish();
    }
}
