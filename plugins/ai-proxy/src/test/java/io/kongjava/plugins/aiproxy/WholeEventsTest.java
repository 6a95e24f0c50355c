package io.kongjava.plugins.aiproxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class WholeEventsTest {

    @Test
    void wholeEventsPassOnOnlyCompleteEvents() throws Exception {
        AiResponseFilter.WholeEvents events = new AiResponseFilter.WholeEvents();
        ByteArrayOutputStream client = new ByteArrayOutputStream();
        byte[] first = "event: a\ndata: 1\n\nevent: b\ndata: {\"par".getBytes(StandardCharsets.UTF_8);

        events.write(client, first, first.length);

        assertThat(client.toString(StandardCharsets.UTF_8)).isEqualTo("event: a\ndata: 1\n\n");
        assertThat(events.pendingBytes()).isPositive();
        byte[] rest = "tial\":2}\r\n\r\n".getBytes(StandardCharsets.UTF_8);
        events.write(client, rest, rest.length);
        assertThat(client.toString(StandardCharsets.UTF_8)).endsWith("event: b\ndata: {\"partial\":2}\r\n\r\n");
        assertThat(events.pendingBytes()).isZero();
    }

    @Test
    void eventsEndAtABlankLineInAnyOfTheThreeLineEndingsAndTheBytesGoOnUnchanged() throws Exception {
        String stream = "event: a\ndata: 1\n\n" + "event: b\r\ndata: 2\r\n\r\n" + "event: c\rdata: 3\r\r" + "event: d\ndata: 4\n\n";
        byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
        for (int size = 1; size <= bytes.length; size++) {
            AiResponseFilter.WholeEvents events = new AiResponseFilter.WholeEvents();
            ByteArrayOutputStream client = new ByteArrayOutputStream();
            java.util.List<Integer> boundaries = new java.util.ArrayList<>();
            for (int i = 0; i < bytes.length; i += size) {
                byte[] chunk = java.util.Arrays.copyOfRange(bytes, i, Math.min(bytes.length, i + size));
                events.write(client, chunk, chunk.length);
                boundaries.add(client.size());
            }
            assertThat(client.toString(StandardCharsets.UTF_8)).as("chunks of %d", size).isEqualTo(stream);
            assertThat(events.pendingBytes()).isZero();
            String sent = stream.substring(0, boundaries.getFirst());
            // a CRLF event may leave at the CR of its blank line when its LF is in the next chunk
            assertThat(sent.isEmpty() || sent.endsWith("\n\n") || sent.endsWith("\r\n\r\n") || sent.endsWith("\r\n\r") || sent.endsWith("\r\r"))
                    .as("chunks of %d: only whole events leave, got %s", size, sent).isTrue();
        }
    }

    @Test
    void aStreamOfBareCarriageReturnsIsPassedOnEventByEvent() throws Exception {
        AiResponseFilter.WholeEvents events = new AiResponseFilter.WholeEvents();
        ByteArrayOutputStream client = new ByteArrayOutputStream();
        byte[] first = "event: a\rdata: 1\r\revent: b\rdata: 2".getBytes(StandardCharsets.UTF_8);

        events.write(client, first, first.length);

        assertThat(client.toString(StandardCharsets.UTF_8)).isEqualTo("event: a\rdata: 1\r\r");
    }
}
