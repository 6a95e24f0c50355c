package io.kongjava.plugins.aiproxyadvanced;

import java.io.IOException;
import java.util.List;

/** Turns a provider's streamed bytes, in whatever chunks the network delivers, into Anthropic events. */
interface EventDecoder {

    void feed(byte[] bytes, int offset, int length, List<AnthropicEvent> out) throws IOException;

    /** The stream ended: emit whatever complete event is left. */
    void finish(List<AnthropicEvent> out) throws IOException;
}
