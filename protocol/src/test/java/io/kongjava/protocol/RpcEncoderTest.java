package io.kongjava.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RpcEncoderTest {

    private final RpcEncoder encoder = new RpcEncoder();

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] copy = new byte[buffer.remaining()];
        buffer.get(copy);
        return copy;
    }

    @Test
    void encodesEachMessageAsRpcWriterDoes() {
        List<RpcMessage> messages = List.of(
                new RpcMessage.Notification(RpcMessage.Notification.SERVER_PID, 4242L),
                RpcMessage.Response.success(7, Map.of("Method", "kong.request.get_header", "Args", List.of("x-hello"))),
                new RpcMessage.Request(9, "plugin.HandleEvent", List.of(Map.of("InstanceId", 3L, "EventName", "access"))),
                RpcMessage.Response.success(8, "x".repeat(600)),
                RpcMessage.Response.success(10, new byte[70_000]));
        for (RpcMessage message : messages) {
            assertThat(bytes(encoder.encode(message))).as(message.toString().substring(0, 40)).isEqualTo(RpcWriter.encode(message));
        }
    }

    @Test
    void aSmallMessageAfterABigOneIsNotMixedWithItsBytes() throws IOException {
        String body = "b".repeat(300_000);
        assertThat(bytes(encoder.encode(RpcMessage.Response.success(1, body)))).isEqualTo(RpcWriter.encode(RpcMessage.Response.success(1, body)));

        byte[] small = bytes(encoder.encode(RpcMessage.Response.success(2, "ok")));

        assertThat(small).isEqualTo(RpcWriter.encode(RpcMessage.Response.success(2, "ok")));
        RpcReader reader = new RpcReader(new ByteArrayInputStream(small));
        assertThat(reader.read()).isEqualTo(RpcMessage.Response.success(2, "ok"));
        assertThat(reader.read()).isNull();
    }

    @Test
    void messagesJustPastTheChunkSizesRoundTrip() throws IOException {
        for (int length : new int[] {0, 1, 505, 511, 512, 513, 1017, 1024, 1025, 8191, 8192, 8193, 65_536, 65_537}) {
            RpcMessage message = RpcMessage.Response.success(length, Map.of("body", "z".repeat(length), "n", (long) length));
            assertThat(new RpcReader(new ByteArrayInputStream(bytes(encoder.encode(message)))).read()).as("length %d", length).isEqualTo(message);
        }
    }
}
