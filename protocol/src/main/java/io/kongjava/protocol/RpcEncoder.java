package io.kongjava.protocol;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePacker;
import org.msgpack.core.buffer.MessageBuffer;
import org.msgpack.core.buffer.MessageBufferOutput;

/**
 * Encodes MsgPack:1 messages into one buffer it keeps, for a writer that sends one message at a time (one of
 * Kong's connections). {@link RpcWriter#encode} builds a packer, a chunk list and a copy per message; on the
 * plugin server's hot path that was most of what an access event allocated besides the decoded messages. Not
 * thread-safe: one encoder per connection, whose single holder encodes and writes.
 */
public final class RpcEncoder {

    private static final int INITIAL_BYTES = 1024;
    /** A message bigger than this (a raw body) leaves a buffer that is dropped rather than kept per connection. */
    private static final int KEPT_AT_MOST = 64 * 1024;
    /** Each chunk handed to the packer holds at least this much, so small values do not ask for space one by one. */
    private static final int MIN_CHUNK = 512;

    private final Output output = new Output();
    private final MessagePacker packer = new MessagePack.PackerConfig().newPacker(output);

    /**
     * The message's bytes, valid until the next call: a view of the kept buffer, positioned at 0.
     */
    public ByteBuffer encode(RpcMessage message) {
        if (output.bytes.length > KEPT_AT_MOST) {
            output.bytes = new byte[INITIAL_BYTES];
        }
        output.size = 0;
        try {
            MsgPackValues.pack(packer, RpcWriter.asArray(message));
            packer.flush();
        } catch (IOException e) {
            throw new IllegalStateException("in-memory packing failed", e);
        }
        return ByteBuffer.wrap(output.bytes, 0, output.size);
    }

    private static final class Output implements MessageBufferOutput {
        byte[] bytes = new byte[INITIAL_BYTES];
        int size;

        @Override
        public MessageBuffer next(int minimumSize) {
            ensure(Math.max(minimumSize, MIN_CHUNK));
            return MessageBuffer.wrap(bytes, size, bytes.length - size);
        }

        @Override
        public void writeBuffer(int length) {
            size += length;
        }

        @Override
        public void write(byte[] buffer, int offset, int length) {
            ensure(length);
            System.arraycopy(buffer, offset, bytes, size, length);
            size += length;
        }

        @Override
        public void add(byte[] buffer, int offset, int length) {
            write(buffer, offset, length);
        }

        private void ensure(int more) {
            if (bytes.length - size < more) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
