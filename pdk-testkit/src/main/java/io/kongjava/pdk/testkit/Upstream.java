package io.kongjava.pdk.testkit;

import java.util.List;
import java.util.Map;

/**
 * One scripted answer of an upstream, for a test to put behind a response filter: played in process by
 * {@link FilterTester#exchange(String, String, Map, String, Upstream)} for a filter the relay calls the upstream for,
 * or served over HTTP by {@link FakeUpstream} for a filter that makes the call itself.
 *
 * <pre>{@code
 * Upstream.answer(200, Map.of("content-type", List.of("application/json")), "{\"ok\":true}");
 * Upstream.sse("event: ping\ndata: {}\n\n", "event: message_stop\ndata: {}\n\n"); // each event its own chunk
 * Upstream.breaksOff(200, Map.of(), "first half");   // the connection drops mid-body
 * Upstream.noAnswer();                               // the connection drops before any answer
 * }</pre>
 */
public sealed interface Upstream {

    /** A whole answer: the head, then each chunk written and flushed on its own, then a clean end. */
    record Answer(int status, Map<String, List<String>> headers, List<String> chunks) implements Upstream {
        public Answer {
            headers = Map.copyOf(headers);
            chunks = List.copyOf(chunks);
        }
    }

    /** The head and the chunks, then the connection is dropped before the body ends. */
    record BreaksOff(int status, Map<String, List<String>> headers, List<String> chunks) implements Upstream {
        public BreaksOff {
            headers = Map.copyOf(headers);
            chunks = List.copyOf(chunks);
        }
    }

    /** The connection is dropped without an answer (as an upstream that crashed or reset it). */
    record NoAnswer() implements Upstream {
    }

    static Answer answer(int status, Map<String, List<String>> headers, String... chunks) {
        return new Answer(status, headers, List.of(chunks));
    }

    /** A 200 {@code text/event-stream} answer, one chunk per event. */
    static Answer sse(String... events) {
        return new Answer(200, Map.of("content-type", List.of("text/event-stream")), List.of(events));
    }

    static BreaksOff breaksOff(int status, Map<String, List<String>> headers, String... chunks) {
        return new BreaksOff(status, headers, List.of(chunks));
    }

    static NoAnswer noAnswer() {
        return new NoAnswer();
    }
}
