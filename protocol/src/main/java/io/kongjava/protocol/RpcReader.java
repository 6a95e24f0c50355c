package io.kongjava.protocol;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.msgpack.core.MessageInsufficientBufferException;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePackException;
import org.msgpack.core.MessageUnpacker;

/**
 * Reads MsgPack:1 messages from a byte stream. The unpacker pulls bytes as it needs them, so a message may
 * arrive in any number of reads, and several messages may share one read.
 */
public final class RpcReader implements AutoCloseable {

    private final MessageUnpacker unpacker;
    private final int maxLength;

    public RpcReader(InputStream in) {
        this(in, MsgPackValues.DEFAULT_MAX_LENGTH);
    }

    public RpcReader(InputStream in, int maxLength) {
        this.unpacker = MessagePack.newDefaultUnpacker(in);
        this.maxLength = maxLength;
    }

    /**
     * Waits until the next message has started to arrive; {@code false} at a clean end of stream. An
     * exception thrown by the stream while waiting leaves the reader usable.
     */
    public boolean awaitMessage() throws IOException {
        return unpacker.hasNext();
    }

    /**
     * The next message, or {@code null} at a clean end of stream (between messages).
     *
     * @throws ProtocolException for malformed or truncated input
     */
    public RpcMessage read() throws IOException {
        Object value;
        try {
            if (!unpacker.hasNext()) {
                return null;
            }
            value = MsgPackValues.unpack(unpacker, maxLength);
        } catch (MessageInsufficientBufferException | EOFException e) {
            throw new ProtocolException("connection closed in the middle of a message", e);
        } catch (MessagePackException e) {
            throw new ProtocolException("malformed MessagePack: " + e.getMessage(), e);
        }
        return toMessage(value);
    }

    /** Interprets an already decoded value as an RPC message. */
    public static RpcMessage toMessage(Object value) throws ProtocolException {
        if (!(value instanceof List<?> array) || array.isEmpty()) {
            throw new ProtocolException("expected a MessagePack-RPC array, got " + describe(value));
        }
        if (!(array.get(0) instanceof Long kind)) {
            throw new ProtocolException("message kind must be an integer, got " + describe(array.get(0)));
        }
        return switch (kind.intValue()) {
            case RpcMessage.REQUEST -> {
                expectSize(array, 4, "request");
                long msgid = msgid(array.get(1));
                if (!(array.get(2) instanceof String method)) {
                    throw new ProtocolException("request method must be a string, got " + describe(array.get(2)));
                }
                Object params = array.get(3);
                List<Object> paramList;
                if (params == null) {
                    paramList = List.of();
                } else if (params instanceof List<?> list) {
                    paramList = new java.util.ArrayList<>(list);
                } else {
                    paramList = new java.util.ArrayList<>();
                    paramList.add(params);
                }
                yield new RpcMessage.Request(msgid, method, paramList);
            }
            case RpcMessage.RESPONSE -> {
                expectSize(array, 4, "response");
                Object error = array.get(2);
                if (error != null && !(error instanceof String)) {
                    throw new ProtocolException("response error must be a string or nil, got " + describe(error));
                }
                yield new RpcMessage.Response(msgid(array.get(1)), (String) error, array.get(3));
            }
            case RpcMessage.NOTIFICATION -> {
                expectSize(array, 3, "notification");
                if (!(array.get(1) instanceof String label)) {
                    throw new ProtocolException("notification label must be a string, got " + describe(array.get(1)));
                }
                yield new RpcMessage.Notification(label, array.get(2));
            }
            default -> throw new ProtocolException("unknown message kind " + kind);
        };
    }

    private static void expectSize(List<?> array, int size, String kind) throws ProtocolException {
        if (array.size() != size) {
            throw new ProtocolException(kind + " must have " + size + " elements, got " + array.size());
        }
    }

    private static long msgid(Object value) throws ProtocolException {
        if (value instanceof Long id) {
            return id;
        }
        throw new ProtocolException("msgid must be an integer, got " + describe(value));
    }

    static String describe(Object value) {
        if (value == null) {
            return "nil";
        }
        if (value instanceof byte[] bytes) {
            return "bin(" + bytes.length + " bytes)";
        }
        String text = String.valueOf(value);
        return value.getClass().getSimpleName() + " " + (text.length() > 80 ? text.substring(0, 80) + "..." : text);
    }

    @Override
    public void close() throws IOException {
        unpacker.close();
    }
}
