package io.kongjava.testing.clouds;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * Writes AWS's binary event-stream framing ({@code application/vnd.amazon.eventstream}) from its published layout,
 * without the SDK: total length, headers length, the prelude's CRC32, string headers, the payload, and the CRC32
 * of the whole message.
 */
public final class EventStreamFrames {

    private EventStreamFrames() {
    }

    /** Bedrock's {@code chunk} event. */
    public static byte[] event(String eventType, byte[] payload) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(":event-type", eventType);
        headers.put(":content-type", "application/json");
        headers.put(":message-type", "event");
        return frame(headers, payload);
    }

    /** An exception, e.g. {@code throttlingException}. */
    public static byte[] exception(String exceptionType, byte[] payload) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(":exception-type", exceptionType);
        headers.put(":content-type", "application/json");
        headers.put(":message-type", "exception");
        return frame(headers, payload);
    }

    public static byte[] frame(Map<String, String> headers, byte[] payload) {
        ByteArrayOutputStream encodedHeaders = new ByteArrayOutputStream();
        headers.forEach((name, value) -> {
            byte[] n = name.getBytes(StandardCharsets.UTF_8);
            byte[] v = value.getBytes(StandardCharsets.UTF_8);
            encodedHeaders.write(n.length);
            encodedHeaders.writeBytes(n);
            encodedHeaders.write(7);  // string
            encodedHeaders.write((v.length >> 8) & 0xff);
            encodedHeaders.write(v.length & 0xff);
            encodedHeaders.writeBytes(v);
        });
        byte[] h = encodedHeaders.toByteArray();
        int total = 4 + 4 + 4 + h.length + payload.length + 4;
        ByteBuffer buffer = ByteBuffer.allocate(total);
        buffer.putInt(total).putInt(h.length);
        CRC32 prelude = new CRC32();
        prelude.update(buffer.array(), 0, 8);
        buffer.putInt((int) prelude.getValue());
        buffer.put(h).put(payload);
        CRC32 message = new CRC32();
        message.update(buffer.array(), 0, total - 4);
        buffer.putInt((int) message.getValue());
        return buffer.array();
    }
}
