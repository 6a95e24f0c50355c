package io.kongjava.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

class RpcReaderTest {

    @Test
    void requestSplitIntoOneByteReadsIsDecoded() throws IOException {
        byte[] bytes = RpcWriter.encode(new RpcMessage.Request(7, "plugin.HandleEvent",
                List.of(Map.of("InstanceId", 12L, "EventName", "access"))));

        RpcMessage message = new RpcReader(new OneByteAtATime(bytes)).read();

        assertThat(message).isEqualTo(new RpcMessage.Request(7, "plugin.HandleEvent",
                List.of(Map.of("InstanceId", 12L, "EventName", "access"))));
    }

    @Test
    void severalMessagesInOneReadAreReadOneAfterTheOther() throws IOException {
        ByteArrayOutputStream both = new ByteArrayOutputStream();
        both.write(RpcWriter.encode(new RpcMessage.Notification("serverPid", 42L)));
        both.write(RpcWriter.encode(RpcMessage.Response.success(3, "ok")));
        RpcReader reader = new RpcReader(new ByteArrayInputStream(both.toByteArray()));

        assertThat(reader.read()).isEqualTo(new RpcMessage.Notification("serverPid", 42L));
        assertThat(reader.read()).isEqualTo(RpcMessage.Response.success(3, "ok"));
        assertThat(reader.read()).isNull();
    }

    @Test
    void strBecomesStringAndBinBecomesBytesAndEveryIntegerWidthBecomesLong() throws IOException {
        MessageBufferPacker packer = MessagePack.newDefaultBufferPacker();
        packer.packArrayHeader(4).packInt(0).packByte((byte) 1).packString("plugin.Step").packArrayHeader(1);
        packer.packMapHeader(4);
        packer.packString("EventId").packLong(4_000_000_000L);
        packer.packString("Data").packBinaryHeader(3).writePayload(new byte[] {1, 2, 3});
        packer.packString("Small").packShort((short) -5);
        packer.packString("Float").packFloat(1.5f);
        packer.close();

        var request = (RpcMessage.Request) new RpcReader(new ByteArrayInputStream(packer.toByteArray())).read();

        Map<?, ?> argument = (Map<?, ?>) request.argument();
        assertThat(request.msgid()).isEqualTo(1L);
        assertThat(argument.get("EventId")).isEqualTo(4_000_000_000L);
        assertThat((byte[]) argument.get("Data")).containsExactly(1, 2, 3);
        assertThat(argument.get("Small")).isEqualTo(-5L);
        assertThat(argument.get("Float")).isEqualTo(1.5d);
    }

    @Test
    void aMultiMegabyteBodyRoundTrips() throws IOException {
        byte[] body = new byte[5 * 1024 * 1024];
        Arrays.fill(body, (byte) 'x');
        Map<String, Object> step = new LinkedHashMap<>();
        step.put("EventId", 1L);
        step.put("Data", body);

        var request = (RpcMessage.Request) new RpcReader(new ChunkedStream(RpcWriter.encode(
                new RpcMessage.Request(9, "plugin.Step", List.of(step))), 4096)).read();

        assertThat((byte[]) ((Map<?, ?>) request.argument()).get("Data")).hasSize(body.length);
    }

    @Test
    void malformedMessagesAreRejectedWithAReason() {
        assertThatThrownBy(() -> read(pack(p -> p.packString("hello"))))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("expected a MessagePack-RPC array");
        assertThatThrownBy(() -> read(pack(p -> p.packArrayHeader(3).packInt(0).packInt(1).packString("m"))))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("request must have 4 elements");
        assertThatThrownBy(() -> read(pack(p -> p.packArrayHeader(4).packInt(7).packInt(1).packString("m").packNil())))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("unknown message kind 7");
        assertThatThrownBy(() -> read(pack(p -> p.packArrayHeader(4).packInt(1).packInt(1).packInt(5).packNil())))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("error must be a string");
        assertThatThrownBy(() -> read(pack(p -> p.packArrayHeader(4).packInt(0).packString("x").packString("m").packNil())))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("msgid must be an integer");
    }

    @Test
    void aMessageCutShortIsAnErrorNotAHang() {
        byte[] whole = RpcWriter.encode(new RpcMessage.Request(1, "plugin.GetStatus", List.of()));
        byte[] cut = Arrays.copyOf(whole, whole.length - 3);

        assertThatThrownBy(() -> read(cut)).isInstanceOf(ProtocolException.class).hasMessageContaining("closed in the middle");
    }

    @Test
    void aLengthBeyondTheLimitIsRefusedBeforeAllocating() {
        byte[] hugeStr = {(byte) 0x94, 0x00, 0x01, (byte) 0xdb, 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff};

        assertThatThrownBy(() -> new RpcReader(new ByteArrayInputStream(hugeStr), 1024).read())
                .isInstanceOf(ProtocolException.class).hasMessageContaining("exceeds the limit");
    }

    @Test
    void garbageBytesAreAProtocolError() {
        assertThatThrownBy(() -> read(new byte[] {(byte) 0xc1}))
                .isInstanceOf(ProtocolException.class);
    }

    @Test
    void unsupportedJavaValuesAreRefusedWithTheirType() {
        assertThatThrownBy(() -> RpcWriter.encode(RpcMessage.Response.success(1, new Object())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("java.lang.Object");
    }

    private static RpcMessage read(byte[] bytes) throws IOException {
        return new RpcReader(new ByteArrayInputStream(bytes)).read();
    }

    interface PackerStep {
        void write(MessageBufferPacker packer) throws IOException;
    }

    private static byte[] pack(PackerStep step) throws IOException {
        MessageBufferPacker packer = MessagePack.newDefaultBufferPacker();
        step.write(packer);
        packer.close();
        return packer.toByteArray();
    }

    /** Hands out one byte per read, as a slow socket might. */
    static final class OneByteAtATime extends ChunkedStream {
        OneByteAtATime(byte[] bytes) {
            super(bytes, 1);
        }
    }

    static class ChunkedStream extends InputStream {
        private final byte[] bytes;
        private final int chunk;
        private int position;

        ChunkedStream(byte[] bytes, int chunk) {
            this.bytes = bytes;
            this.chunk = chunk;
        }

        @Override
        public int read() {
            return position < bytes.length ? bytes[position++] & 0xff : -1;
        }

        @Override
        public int read(byte[] target, int offset, int length) {
            if (position >= bytes.length) {
                return -1;
            }
            int n = Math.min(Math.min(length, chunk), bytes.length - position);
            System.arraycopy(bytes, position, target, offset, n);
            position += n;
            return n;
        }
    }
}
