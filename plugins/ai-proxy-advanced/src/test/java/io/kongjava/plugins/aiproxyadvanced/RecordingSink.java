package io.kongjava.plugins.aiproxyadvanced;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A client that records what it was sent, and refuses to be answered twice. */
final class RecordingSink implements ClientSink {

    int status;
    List<Map.Entry<String, String>> headers;
    final ByteArrayOutputStream body = new ByteArrayOutputStream();
    boolean streaming;
    boolean ended;
    int answers;

    @Override
    public void send(int status, List<Map.Entry<String, String>> headers, byte[] bytes) {
        answers++;
        this.status = status;
        this.headers = headers;
        body.writeBytes(bytes);
        ended = true;
    }

    @Override
    public void beginStream(List<Map.Entry<String, String>> headers) {
        answers++;
        this.status = 200;
        this.headers = headers;
        streaming = true;
    }

    @Override
    public void write(byte[] bytes) throws IOException {
        if (!streaming || ended) {
            throw new IOException("write outside a stream");
        }
        body.writeBytes(bytes);
    }

    @Override
    public void end() {
        ended = true;
    }

    String text() {
        return body.toString(StandardCharsets.UTF_8);
    }

    /** The event types of the SSE the client got, in order. */
    List<String> eventTypes() {
        List<String> types = new ArrayList<>();
        for (String line : text().split("\n")) {
            if (line.startsWith("event: ")) {
                types.add(line.substring(7));
            }
        }
        return types;
    }
}
