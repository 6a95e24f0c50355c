package io.kongjava.pdk.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kongjava.pdk.filter.CallsUpstream;
import io.kongjava.pdk.filter.HttpFields;
import io.kongjava.pdk.filter.ResponseFilter;
import io.kongjava.pdk.filter.StreamEnd;
import io.kongjava.pdk.filter.UpstreamAnswer;
import io.kongjava.pdk.filter.UpstreamRequest;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * How to unit-test a response filter over a whole exchange, without Kong: {@link FilterTester#exchange} plays the
 * relay, {@link Upstream} scripts the upstream's answer and {@link FakeUpstream} serves it over HTTP to a filter that
 * makes the upstream call itself.
 */
class UpstreamExchangeTest {

    static final Map<String, List<String>> JSON = Map.of("content-type", List.of("application/json"));

    /**
     * A filter that calls the upstream itself: it tries its upstreams in order and serves the first that does not
     * answer 5xx, streaming its body as it comes. A 5xx or a failed connection before the first byte moves on.
     */
    static final class FirstHealthy implements ResponseFilter, CallsUpstream {
        final List<String> upstreams;
        final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

        FirstHealthy(String... upstreams) {
            this.upstreams = List.of(upstreams);
        }

        @Override
        public void callUpstream(UpstreamRequest request, UpstreamAnswer answer) throws IOException {
            IOException last = null;
            for (String upstream : upstreams) {
                HttpResponse<InputStream> response;
                try {
                    response = http.send(HttpRequest.newBuilder(URI.create(upstream + request.url().getRawPath()))
                            .POST(HttpRequest.BodyPublishers.ofByteArray(request.body())).build(), HttpResponse.BodyHandlers.ofInputStream());
                } catch (IOException e) {
                    last = e;
                    continue;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException(e);
                }
                if (response.statusCode() >= 500) {
                    response.body().close();
                    last = new IOException(upstream + " answered " + response.statusCode());
                    continue;
                }
                HttpFields headers = new HttpFields();
                response.headers().map().forEach((name, values) -> values.forEach(value -> headers.add(name, value)));
                answer.head(response.statusCode(), headers);
                try (InputStream body = response.body()) {
                    byte[] buffer = new byte[8192];
                    for (int read; (read = body.read(buffer)) != -1; ) {
                        answer.body(Arrays.copyOf(buffer, read));
                    }
                }
                return;
            }
            throw last;
        }
    }

    @Test
    void aFilterThatCallsTheUpstreamItselfFailsOverFromA503AndStreamsTheOtherAnswer() throws Exception {
        try (FakeUpstream busy = FakeUpstream.start(); FakeUpstream healthy = FakeUpstream.start()) {
            busy.enqueue(Upstream.answer(503, JSON, "{\"error\":\"overloaded\"}"));
            healthy.enqueue(Upstream.sse("event: message_start\ndata: {}\n\n", "event: message_stop\ndata: {}\n\n"));

            FilterTester.Relayed relayed = FilterTester.of(new FirstHealthy(busy.url(), healthy.url()))
                    .exchange("POST", "http://service.test/v1/messages", JSON, "{\"stream\":true}");

            assertThat(relayed.status()).isEqualTo(200);
            assertThat(relayed.headers()).containsEntry("content-type", List.of("text/event-stream"))
                    .as("hop-by-hop headers stop at the relay").doesNotContainKey("transfer-encoding");
            assertThat(relayed.body()).isEqualTo("event: message_start\ndata: {}\n\nevent: message_stop\ndata: {}\n\n");
            assertThat(relayed.end()).isEqualTo(new StreamEnd.Completed(200));
            assertThat(busy.takeRequest().body()).isEqualTo("{\"stream\":true}");
            assertThat(healthy.takeRequest().path()).isEqualTo("/v1/messages");
            assertThat(busy.requestCount() + healthy.requestCount()).isEqualTo(2);
        }
    }

    @Test
    void whenEveryUpstreamFailsBeforeAnsweringTheClientGetsKongs502() throws Exception {
        try (FakeUpstream dropping = FakeUpstream.start(); FakeUpstream busy = FakeUpstream.start()) {
            dropping.enqueue(Upstream.noAnswer());
            busy.enqueue(Upstream.answer(503, JSON, "{}"));

            FilterTester.Relayed relayed = FilterTester.of(new FirstHealthy(dropping.url(), busy.url()))
                    .exchange("POST", "http://service.test/v1/messages", JSON, "{}");

            assertThat(relayed.status()).isEqualTo(502);
            assertThat(relayed.body()).isEqualTo("{\"message\":\"An invalid response was received from the upstream server\"}");
            assertThat(relayed.end()).isInstanceOfSatisfying(StreamEnd.UpstreamFailed.class, failed -> {
                assertThat(failed.started()).as("the client got no byte of an answer").isFalse();
                assertThat(failed.message()).contains("answered 503");
            });
        }
    }

    @Test
    void anUpstreamThatBreaksOffMidStreamEndsTheClientsBodyWhereItIs() throws Exception {
        try (FakeUpstream upstream = FakeUpstream.start()) {
            upstream.enqueue(Upstream.breaksOff(200, Map.of("content-type", List.of("text/event-stream")), "event: message_start\ndata: {}\n\n"));

            FilterTester.Relayed relayed = FilterTester.of(new FirstHealthy(upstream.url()))
                    .exchange("POST", "http://service.test/v1/messages", JSON, "{}");

            assertThat(relayed.status()).isEqualTo(200);
            assertThat(relayed.body()).isEqualTo("event: message_start\ndata: {}\n\n");
            assertThat(relayed.end()).isInstanceOfSatisfying(StreamEnd.UpstreamFailed.class,
                    failed -> assertThat(failed.started()).as("the client had the first event").isTrue());
        }
    }

    @Test
    void aFilterTheRelayCallsTheUpstreamForIsGivenAScriptedAnswer() {
        FilterTester.Relayed relayed = FilterTester.of(new FilterTesterTest.WholeLines())
                .exchange("GET", "http://service.test/lines", Map.of(), "",
                        Upstream.answer(200, Map.of("content-type", List.of("text/plain")), "one\ntw", "o\nthree"));

        assertThat(relayed.pieces()).as("whole lines as soon as each is complete, the rest at the end")
                .containsExactly("one\n", "two\n", "three");
        assertThat(relayed.headers()).containsEntry("x-lines", List.of("counted"));
        assertThat(relayed.end()).isEqualTo(new StreamEnd.Completed(200));
        assertThat(relayed.logFields()).containsEntry("lines.count", 2);
        assertThat(relayed.sent().url()).hasToString("http://service.test/lines");
    }

    @Test
    void aFilterThatThrowsAfterTheFirstBytesEndsTheBodyThereAndIsNamed() {
        ResponseFilter failsOnSecond = new ResponseFilter() {
            int chunks;

            @Override
            public byte[] onChunk(byte[] chunk) {
                if (++chunks == 2) {
                    throw new IllegalStateException("cannot read the second chunk");
                }
                return chunk;
            }
        };

        FilterTester.Relayed relayed = FilterTester.of(failsOnSecond)
                .exchange("GET", "http://service.test/", Map.of(), "", Upstream.answer(200, Map.of(), "first ", "second"));

        assertThat(relayed.status()).isEqualTo(200);
        assertThat(relayed.body()).isEqualTo("first ");
        assertThat(relayed.end()).isInstanceOfSatisfying(StreamEnd.FilterFailed.class,
                failed -> assertThat(failed.message()).contains("cannot read the second chunk"));
    }

    @Test
    void aFilterThatThrowsBeforeAnyByteGivesTheClientKongs500() {
        ResponseFilter refusesHeaders = new ResponseFilter() {
            @Override
            public void onHeaders(io.kongjava.pdk.filter.ResponseHead head) {
                throw new IllegalStateException("no");
            }
        };

        FilterTester.Relayed relayed = FilterTester.of(refusesHeaders)
                .exchange("GET", "http://service.test/", Map.of(), "", Upstream.answer(200, Map.of(), "body"));

        assertThat(relayed.status()).isEqualTo(500);
        assertThat(relayed.body()).isEqualTo("{\"message\":\"An unexpected error occurred\"}");
        assertThat(relayed.end()).isInstanceOf(StreamEnd.FilterFailed.class);
    }

    @Test
    void theUpstreamMustComeFromWhereTheFilterLooksForIt() throws Exception {
        assertThatThrownBy(() -> FilterTester.of(new FilterTesterTest.WholeLines()).exchange("GET", "http://service.test/", Map.of(), ""))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("Upstream.answer");
        assertThatThrownBy(() -> FilterTester.of(new FirstHealthy("http://127.0.0.1:1"))
                .exchange("GET", "http://service.test/", Map.of(), "", Upstream.answer(200, Map.of())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("FakeUpstream");
    }

    @Test
    void aFakeUpstreamAskedMoreOftenThanScriptedSaysSo() throws Exception {
        try (FakeUpstream upstream = FakeUpstream.start()) {
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(upstream.url() + "/x"))
                    .POST(HttpRequest.BodyPublishers.ofString("hi")).build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));

            assertThat(response.statusCode()).isEqualTo(599);
            assertThat(response.body()).contains("no answer enqueued");
            assertThat(upstream.takeRequest()).satisfies(seen -> {
                assertThat(seen.method()).isEqualTo("POST");
                assertThat(seen.path()).isEqualTo("/x");
                assertThat(seen.body()).isEqualTo("hi");
            });
        }
    }
}
