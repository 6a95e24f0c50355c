package io.kongjava.protocol;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePacker;
import org.msgpack.core.MessageUnpacker;

/**
 * Converts between MessagePack and the Java values both sides of the protocol use: {@code null},
 * {@link Boolean}, {@link Long} (every integer width), {@link Double} (float32 and float64), {@link String}
 * (msgpack str), {@code byte[]} (msgpack bin), {@link List} and {@link Map} (insertion order kept).
 */
public final class MsgPackValues {

    /** Largest str, bin, array or map accepted from a peer, so a corrupt header cannot ask for gigabytes. */
    public static final int DEFAULT_MAX_LENGTH = 256 * 1024 * 1024;

    /**
     * Most values a PDK call carries are tens of bytes: msgpack-core's default first buffer of 8 KB, two per in-process
     * call, was more than half of what the local gateway allocated per how-to request (an allocation profile).
     */
    private static final MessagePack.PackerConfig SMALL_FIRST = new MessagePack.PackerConfig().withBufferSize(256);

    private MsgPackValues() {
    }

    /**
     * {@code value} as the other side of the socket would read it (a Java value packed and unpacked): what an
     * in-process bridge hands on, so that a plugin sees the types and copies it would see over MsgPack:1.
     *
     * @throws IllegalArgumentException when {@code value} holds something MessagePack cannot carry
     */
    public static Object acrossTheWire(Object value) {
        // Built directly rather than packed and unpacked: the bytes were a fifth of what the local gateway allocated
        // per how-to request. Whatever the direct copy cannot mirror exactly goes through the bytes.
        return switch (value) {
            case null -> null;
            case String s -> wellFormed(s) ? s : throughTheBytes(s);
            case byte[] bytes -> bytes.clone();
            case Boolean b -> b;
            case Long l -> l;
            case Integer i -> (long) i;
            case Short s -> (long) s;
            case Byte b -> (long) b;
            case BigInteger big -> throughTheBytes(big);
            case Double d -> d;
            case Float f -> (double) f;
            case List<?> list -> {
                List<Object> copy = new ArrayList<>(list.size());
                for (Object element : list) {
                    copy.add(acrossTheWire(element));
                }
                yield copy;
            }
            case Packable typed -> throughTheBytes(typed);
            case Map<?, ?> map -> {
                Map<Object, Object> copy = new LinkedHashMap<>(Math.max(4, map.size() * 2));
                for (Map.Entry<?, ?> entry : map.entrySet()) {
                    Object key = acrossTheWire(entry.getKey());
                    copy.put(key instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : key, acrossTheWire(entry.getValue()));
                }
                yield copy;
            }
            case CharSequence cs -> acrossTheWire(cs.toString());
            default -> throughTheBytes(value); // refused there, with pack's message
        };
    }

    /** {@code value} packed and unpacked: the reference {@link #acrossTheWire} mirrors. */
    static Object throughTheBytes(Object value) {
        try (MessageBufferPacker packer = SMALL_FIRST.newBufferPacker()) {
            pack(packer, value);
            return unpack(MessagePack.newDefaultUnpacker(packer.toByteArray()));
        } catch (IOException e) {
            throw new IllegalArgumentException("value cannot cross the wire: " + e.getMessage(), e);
        }
    }

    /** No unpaired surrogate, so UTF-8 carries {@code s} unchanged (the encoder replaces one). */
    private static boolean wellFormed(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) {
                if (!Character.isHighSurrogate(c) || i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    return false;
                }
                i++;
            }
        }
        return true;
    }

    public static void pack(MessagePacker packer, Object value) throws IOException {
        switch (value) {
            case null -> packer.packNil();
            case String s -> packer.packString(s);
            case byte[] bytes -> {
                packer.packBinaryHeader(bytes.length);
                packer.writePayload(bytes);
            }
            case Boolean b -> packer.packBoolean(b);
            case Long l -> packer.packLong(l);
            case Integer i -> packer.packInt(i);
            case Short s -> packer.packShort(s);
            case Byte b -> packer.packByte(b);
            case BigInteger big -> packer.packBigInteger(big);
            case Double d -> packer.packDouble(d);
            case Float f -> packer.packDouble(f);
            case List<?> list -> {
                packer.packArrayHeader(list.size());
                for (Object element : list) {
                    pack(packer, element);
                }
            }
            case Packable typed -> typed.packTo(packer);
            case Map<?, ?> map -> {
                packer.packMapHeader(map.size());
                for (Map.Entry<?, ?> entry : map.entrySet()) {
                    pack(packer, entry.getKey());
                    pack(packer, entry.getValue());
                }
            }
            case CharSequence cs -> packer.packString(cs.toString());
            default -> throw new IllegalArgumentException(
                    "cannot send a " + value.getClass().getName() + " to Kong; use null, Boolean, Long, Double, String, byte[], List or Map"
                    + " (the PDK's bridge turns a plugin's values into these)");
        }
    }

    public static Object unpack(MessageUnpacker unpacker) throws IOException {
        return unpack(unpacker, DEFAULT_MAX_LENGTH);
    }

    public static Object unpack(MessageUnpacker unpacker, int maxLength) throws IOException {
        MessageFormat format = unpacker.getNextFormat();
        switch (format.getValueType()) {
            case NIL -> {
                unpacker.unpackNil();
                return null;
            }
            case BOOLEAN -> {
                return unpacker.unpackBoolean();
            }
            case INTEGER -> {
                if (format == MessageFormat.UINT64) {
                    BigInteger big = unpacker.unpackBigInteger();
                    return big.bitLength() < 64 ? (Object) big.longValue() : (Object) big.doubleValue();
                }
                return unpacker.unpackLong();
            }
            case FLOAT -> {
                return unpacker.unpackDouble();
            }
            case STRING -> {
                int length = checked(unpacker.unpackRawStringHeader(), maxLength, "str");
                return new String(unpacker.readPayload(length), StandardCharsets.UTF_8);
            }
            case BINARY -> {
                int length = checked(unpacker.unpackBinaryHeader(), maxLength, "bin");
                return unpacker.readPayload(length);
            }
            case ARRAY -> {
                int size = checked(unpacker.unpackArrayHeader(), maxLength, "array");
                List<Object> list = new ArrayList<>(Math.min(size, 1024));
                for (int i = 0; i < size; i++) {
                    list.add(unpack(unpacker, maxLength));
                }
                return list;
            }
            case MAP -> {
                int size = checked(unpacker.unpackMapHeader(), maxLength, "map");
                Map<Object, Object> map = new LinkedHashMap<>(Math.min(size, 1024) * 2);
                for (int i = 0; i < size; i++) {
                    Object key = unpack(unpacker, maxLength);
                    map.put(key instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : key, unpack(unpacker, maxLength));
                }
                return map;
            }
            case EXTENSION -> {
                // Kong decodes ext types to nil; do the same rather than fail.
                var header = unpacker.unpackExtensionTypeHeader();
                unpacker.readPayload(checked(header.getLength(), maxLength, "ext"));
                return null;
            }
            default -> throw new ProtocolException("unknown MessagePack type " + format);
        }
    }

    private static int checked(int length, int maxLength, String what) throws ProtocolException {
        if (length < 0 || length > maxLength) {
            throw new ProtocolException(what + " of " + Integer.toUnsignedString(length) + " elements/bytes exceeds the limit of " + maxLength);
        }
        return length;
    }
}
