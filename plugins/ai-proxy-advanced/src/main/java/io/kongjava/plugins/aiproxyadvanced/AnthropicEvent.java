package io.kongjava.plugins.aiproxyadvanced;

import java.nio.charset.StandardCharsets;

/** One event of Anthropic's Messages stream: its type and its JSON data, whichever provider it came from. */
record AnthropicEvent(String type, String data) {

    byte[] sse() {
        return ("event: " + type + "\ndata: " + data + "\n\n").getBytes(StandardCharsets.UTF_8);
    }
}
