package io.kongjava.plugins.aiproxyadvanced;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kongjava.testing.anthropic.Usage;
import io.kongjava.testing.clouds.ClaudeStream;
import io.kongjava.testing.clouds.EventStreamFrames;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Bedrock's binary frames and Anthropic's SSE, decoded however the network splits them. */
class StreamDecodingTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static byte[] bedrockStream(List<ObjectNode> events) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (ObjectNode event : events) {
            ObjectNode chunk = JSON.createObjectNode().put("bytes", Base64.getEncoder().encodeToString(event.toString().getBytes(StandardCharsets.UTF_8)));
            out.writeBytes(EventStreamFrames.event("chunk", chunk.toString().getBytes(StandardCharsets.UTF_8)));
        }
        return out.toByteArray();
    }

    static List<AnthropicEvent> decode(EventDecoder decoder, byte[] bytes, int piece) throws IOException {
        List<AnthropicEvent> out = new ArrayList<>();
        for (int i = 0; i < bytes.length; i += piece) {
            decoder.feed(bytes, i, Math.min(piece, bytes.length - i), out);
        }
        decoder.finish(out);
        return out;
    }

    @Test
    void bedrockFramesDecodeToClaudesEventsWhateverTheSplit() throws Exception {
        List<ObjectNode> events = ClaudeStream.events("msg_1", "m", "héllo wörld ✓", new Usage(5, 3, 1, 2));
        events.getLast().putObject("amazon-bedrock-invocationMetrics").put("inputTokenCount", 5);
        byte[] stream = bedrockStream(events);
        for (int piece : new int[] {1, 7, 64, stream.length}) {
            List<AnthropicEvent> decoded = decode(new BedrockEvents(), stream, piece);
            assertThat(decoded).extracting(AnthropicEvent::type).containsExactlyElementsOf(events.stream().map(e -> e.path("type").asText()).toList());
            assertThat(decoded.get(2).data()).contains("héllo");
            assertThat(decoded.getLast().data()).doesNotContain("invocationMetrics");
        }
    }

    @Test
    void aCorruptFrameIsAnErrorNotSilentlyDropped() {
        byte[] stream = bedrockStream(ClaudeStream.events("msg_1", "m", "hi", new Usage(1, 1, 0, 0)));
        stream[20] ^= 0x55;
        assertThatThrownBy(() -> decode(new BedrockEvents(), stream, 16)).isInstanceOf(IOException.class).hasMessageContaining("corrupt");
    }

    @Test
    void aFrameLargerThanAnyEventIsRefusedBeforeTheDecoderHoldsItWhole() {
        byte[] huge = EventStreamFrames.event("chunk", ("{\"bytes\":\"" + "A".repeat(io.kongjava.plugins.ai.SseParser.MAX_EVENT_BYTES + 4096) + "\"}")
                .getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> decode(new BedrockEvents(), huge, 64 * 1024)).isInstanceOf(IOException.class)
                .hasMessageContaining("frame larger than 4 MiB");
    }

    @Test
    void aChunkWithoutAClaudeEventOrWithBytesThatAreNoBase64IsAnErrorNotDataNull() {
        byte[] empty = EventStreamFrames.event("chunk", "{}".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> decode(new BedrockEvents(), empty, 64)).isInstanceOf(IOException.class).hasMessageContaining("without a Claude event");
        byte[] notBase64 = EventStreamFrames.event("chunk", "{\"bytes\":\"%%%\"}".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> decode(new BedrockEvents(), notBase64, 64)).isInstanceOf(IOException.class).hasMessageContaining("not base64");
    }

    @Test
    void anExceptionFrameBecomesAnthropicsErrorEvent() throws Exception {
        byte[] frame = EventStreamFrames.exception("throttlingException", "{\"message\":\"Too many tokens\"}".getBytes(StandardCharsets.UTF_8));
        List<AnthropicEvent> decoded = decode(new BedrockEvents(), frame, 5);
        assertThat(decoded).singleElement().satisfies(event -> {
            assertThat(event.type()).isEqualTo("error");
            assertThat(JSON.readTree(event.data()).path("error").path("type").asText()).isEqualTo("rate_limit_error");
        });
    }

    @Test
    void sseSplitInsideACharacterAndWithCrlfDecodesWhole() throws Exception {
        byte[] sse = "event: content_block_delta\r\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"text\":\"✓✓\"}}\r\n\r\n: ping\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
                .getBytes(StandardCharsets.UTF_8);
        for (int piece : new int[] {1, 3, sse.length}) {
            List<AnthropicEvent> decoded = decode(new SseEvents(), sse, piece);
            assertThat(decoded).extracting(AnthropicEvent::type).containsExactly("content_block_delta", "message_stop");
            assertThat(decoded.getFirst().data()).contains("✓✓");
        }
    }
}
