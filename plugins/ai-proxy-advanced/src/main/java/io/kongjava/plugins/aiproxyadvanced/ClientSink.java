package io.kongjava.plugins.aiproxyadvanced;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * Where the answer to the client goes. The failover logic writes here and nowhere else; in the plugin server it is
 * the relay ({@link AdvancedFilter}), in tests a recorder.
 * Nothing is sent before {@link #send} or {@link #beginStream}: until then a failed attempt can be retried.
 */
interface ClientSink {

    /** A whole answer. */
    void send(int status, List<Map.Entry<String, String>> headers, byte[] body) throws IOException;

    /** Starts a 200 stream: from here on the client has seen bytes and nothing can be retried. */
    void beginStream(List<Map.Entry<String, String>> headers) throws IOException;

    /** Writes and flushes part of the stream. */
    void write(byte[] bytes) throws IOException;

    /** Ends the stream. */
    void end() throws IOException;
}
