package io.kongjava.protocol;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

/** Writes MsgPack:1 messages, each as one write so that a message is never interleaved with another. */
public final class RpcWriter {

    /**
     * Most messages are a few hundred bytes; msgpack-core's default 8 KB first chunk cost more to allocate and
     * zero than the encoding itself. Larger messages grow chunk by chunk; big strings and binaries are added
     * at their own size.
     */
    private static final MessagePack.PackerConfig PACKER = new MessagePack.PackerConfig().withBufferSize(512);

    private final OutputStream out;

    public RpcWriter(OutputStream out) {
        this.out = out;
    }

    public synchronized void write(RpcMessage message) throws IOException {
        out.write(encode(message));
        out.flush();
    }

    public static byte[] encode(RpcMessage message) {
        try (MessageBufferPacker packer = PACKER.newBufferPacker()) {
            MsgPackValues.pack(packer, asArray(message));
            return packer.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException("in-memory packing failed", e);
        }
    }

    /** The message as the MsgPack:1 array that goes on the wire. */
    static List<Object> asArray(RpcMessage message) {
        return switch (message) {
            case RpcMessage.Request r -> java.util.Arrays.asList((long) RpcMessage.REQUEST, r.msgid(), r.method(), r.params());
            case RpcMessage.Response r -> java.util.Arrays.asList((long) RpcMessage.RESPONSE, r.msgid(), r.error(), r.failed() ? null : r.result());
            case RpcMessage.Notification n -> java.util.Arrays.asList((long) RpcMessage.NOTIFICATION, n.label(), n.value());
        };
    }
}
