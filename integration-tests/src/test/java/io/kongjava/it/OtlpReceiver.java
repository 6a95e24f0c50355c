package io.kongjava.it;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A minimal OTLP/HTTP traces receiver on 127.0.0.1: takes protobuf {@code ExportTraceServiceRequest}s on
 * {@code /v1/traces} and decodes the spans' names and attributes from the wire format.
 */
final class OtlpReceiver implements AutoCloseable {

    /** A span as received: its name and its attributes (strings, longs, doubles; arrays as lists of strings). */
    record ReceivedSpan(String name, Map<String, Object> attributes) {
    }

    private final HttpServer server;
    final List<ReceivedSpan> spans = new CopyOnWriteArrayList<>();
    final List<String> contentTypes = new CopyOnWriteArrayList<>();

    OtlpReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/traces", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            contentTypes.add(String.valueOf(exchange.getRequestHeaders().getFirst("Content-Type")));
            spans.addAll(decode(body));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1/traces";
    }

    /** ExportTraceServiceRequest: 1 resource_spans { 2 scope_spans { 2 spans { 5 name, 9 attributes } } }. */
    static List<ReceivedSpan> decode(byte[] request) {
        List<ReceivedSpan> spans = new ArrayList<>();
        for (Field resourceSpans : fields(request)) {
            if (resourceSpans.number != 1) {
                continue;
            }
            for (Field scopeSpans : fields(resourceSpans.bytes)) {
                if (scopeSpans.number != 2) {
                    continue;
                }
                for (Field span : fields(scopeSpans.bytes)) {
                    if (span.number == 2) {
                        spans.add(span(span.bytes));
                    }
                }
            }
        }
        return spans;
    }

    private static ReceivedSpan span(byte[] bytes) {
        String name = null;
        Map<String, Object> attributes = new HashMap<>();
        for (Field field : fields(bytes)) {
            if (field.number == 5) {
                name = new String(field.bytes, StandardCharsets.UTF_8);
            } else if (field.number == 9) {
                String key = null;
                Object value = null;
                for (Field kv : fields(field.bytes)) {
                    if (kv.number == 1) {
                        key = new String(kv.bytes, StandardCharsets.UTF_8);
                    } else if (kv.number == 2) {
                        value = anyValue(kv.bytes);
                    }
                }
                attributes.put(key, value);
            }
        }
        return new ReceivedSpan(name, attributes);
    }

    /** AnyValue: 1 string, 2 bool, 3 int, 4 double, 5 array { 1 values }. */
    private static Object anyValue(byte[] bytes) {
        for (Field field : fields(bytes)) {
            switch (field.number) {
                case 1 -> { return new String(field.bytes, StandardCharsets.UTF_8); }
                case 2 -> { return field.value != 0; }
                case 3 -> { return field.value; }
                case 4 -> { return Double.longBitsToDouble(field.value); }
                case 5 -> {
                    List<Object> values = new ArrayList<>();
                    fields(field.bytes).stream().filter(f -> f.number == 1).forEach(f -> values.add(anyValue(f.bytes)));
                    return values;
                }
                default -> { }
            }
        }
        return null;
    }

    private record Field(int number, long value, byte[] bytes) {
    }

    private static List<Field> fields(byte[] bytes) {
        List<Field> fields = new ArrayList<>();
        int[] at = {0};
        while (at[0] < bytes.length) {
            long tag = varint(bytes, at);
            int number = (int) (tag >>> 3);
            switch ((int) (tag & 7)) {
                case 0 -> fields.add(new Field(number, varint(bytes, at), null));
                case 1 -> {
                    long value = 0;
                    for (int i = 0; i < 8; i++) {
                        value |= (bytes[at[0] + i] & 0xffL) << (8 * i);
                    }
                    at[0] += 8;
                    fields.add(new Field(number, value, null));
                }
                case 2 -> {
                    int length = (int) varint(bytes, at);
                    fields.add(new Field(number, 0, java.util.Arrays.copyOfRange(bytes, at[0], at[0] + length)));
                    at[0] += length;
                }
                case 5 -> at[0] += 4;
                default -> throw new IllegalArgumentException("unexpected protobuf wire type in " + tag);
            }
        }
        return fields;
    }

    private static long varint(byte[] bytes, int[] at) {
        long value = 0;
        for (int shift = 0; ; shift += 7) {
            byte b = bytes[at[0]++];
            value |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
