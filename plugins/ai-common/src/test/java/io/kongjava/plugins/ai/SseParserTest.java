package io.kongjava.plugins.ai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseParserTest {

    private static final String STREAM = "event: message_start\ndata: {\"type\":\"message_start\"}\n\n"
            + ": a comment\r\nevent: content_block_delta\r\ndata: {\"text\":\"héllo ✓\"}\r\n\r\n"
            + "data: line one\ndata: line two\n\n"
            + "event: message_stop\ndata: {}\n\n";

    private static List<String> parse(byte[] bytes, int chunkSize) {
        List<String> events = new ArrayList<>();
        SseParser parser = new SseParser((event, data) -> events.add(event + "=" + data));
        for (int i = 0; i < bytes.length; i += chunkSize) {
            parser.feed(bytes, i, Math.min(chunkSize, bytes.length - i));
        }
        parser.finish();
        return events;
    }

    @Test
    void eventsAreTheSameHoweverTheNetworkSplitsTheBytes() {
        byte[] bytes = STREAM.getBytes(StandardCharsets.UTF_8);
        List<String> whole = parse(bytes, bytes.length);

        assertThat(whole).containsExactly(
                "message_start={\"type\":\"message_start\"}",
                "content_block_delta={\"text\":\"héllo ✓\"}",
                "message=line one\nline two",
                "message_stop={}");
        for (int size = 1; size < 17; size++) {
            assertThat(parse(bytes, size)).as("chunks of %d bytes", size).isEqualTo(whole);
        }
    }

    @Test
    void linesEndingInABareCarriageReturnAreLinesAsTheSseFormatSays() {
        byte[] bytes = STREAM.replace("\r\n", "\n").replace("\n", "\r").getBytes(StandardCharsets.UTF_8);
        List<String> expected = parse(STREAM.getBytes(StandardCharsets.UTF_8), 1000);
        for (int size = 1; size < 17; size++) {
            assertThat(parse(bytes, size)).as("chunks of %d bytes", size).isEqualTo(expected);
        }
    }

    @Test
    void anEventWithoutItsBlankLineIsDispatchedAtTheEnd() {
        assertThat(parse("event: error\ndata: {\"x\":1}".getBytes(StandardCharsets.UTF_8), 4)).containsExactly("error={\"x\":1}");
    }

    @Test
    void anEventThatNeverEndsIsRefusedOnceItPassesTheLimitNotBufferedForever() {
        List<String> events = new ArrayList<>();
        SseParser parser = new SseParser((event, data) -> events.add(data));
        byte[] start = "event: message_start\ndata: {}\n\ndata: ".getBytes(StandardCharsets.UTF_8);
        parser.feed(start, 0, start.length);
        byte[] chunk = "x".repeat(64 * 1024).getBytes(StandardCharsets.UTF_8);
        int fed = 0;
        while (fed < SseParser.MAX_EVENT_BYTES - chunk.length) {
            parser.feed(chunk, 0, chunk.length);
            fed += chunk.length;
        }
        assertThatThrownBy(() -> {
            for (int i = 0; i < 4; i++) {
                parser.feed(chunk, 0, chunk.length);
            }
        }).isInstanceOf(SseParser.OversizedEvent.class).hasMessageContaining("4 MiB");
        assertThat(events).containsExactly("{}");
    }
}
