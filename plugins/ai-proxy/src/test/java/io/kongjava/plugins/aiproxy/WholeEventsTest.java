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
}
