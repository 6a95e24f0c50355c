package io.kongjava.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A handler of the same JVM served on the caller's thread: the request as given, the answer to the caller's sink. */
class InMemoryExchangeTest {

    static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);
    final ByteArrayOutputStream body = new ByteArrayOutputStream();
    final List<String> heads = new ArrayList<>();

    InMemoryExchange exchange() {
        return new InMemoryExchange("POST", "/v1/messages?beta=true", List.of(new String[] {"x-ticket", "t1"}, new String[] {"X-Many", "a"},
                new String[] {"x-many", "b"}), "{}".getBytes(StandardCharsets.UTF_8), LOOPBACK, LOOPBACK,
                (status, headers, length) -> {
                    heads.add(status + " " + headers.getFirst("content-type") + " " + length);
                    return body;
                });
    }

    @Test
    void theHandlerReadsTheRequestAndItsAnswerGoesToTheSink() throws Exception {
        try (InMemoryExchange exchange = exchange()) {
            assertThat(exchange.getRequestMethod()).isEqualTo("POST");
            assertThat(exchange.getRequestURI().getRawQuery()).isEqualTo("beta=true");
            assertThat(exchange.getRequestHeaders().getFirst("X-TICKET")).isEqualTo("t1");
            assertThat(exchange.getRequestHeaders().get("x-many")).containsExactly("a", "b");
            assertThat(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("{}");
            assertThatThrownBy(exchange::getResponseBody).isInstanceOf(IllegalStateException.class);

            exchange.getResponseHeaders().set("content-type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            exchange.getResponseBody().write("data: one\n\n".getBytes(StandardCharsets.UTF_8));

            assertThat(exchange.answered()).isTrue();
            assertThatThrownBy(() -> exchange.sendResponseHeaders(500, -1)).hasMessageContaining("already sent");
        }
        assertThat(heads).containsExactly("200 text/event-stream 0");
        assertThat(body.toString(StandardCharsets.UTF_8)).isEqualTo("data: one\n\n");
    }

    @Test
    void aClientThatLeavesBeforeTheAnswerEndsIsReportedToTheWatch() throws Exception {
        List<String> left = new ArrayList<>();
        try (InMemoryExchange exchange = exchange()) {
            assertThat(BlockingHttpServer.watchClient(exchange, () -> left.add("left"))).isTrue();
            exchange.sendResponseHeaders(200, 0);

            exchange.clientLeft();
            exchange.clientLeft();
        }
        assertThat(left).containsExactly("left");
    }

    @Test
    void aClientThatLeavesOnceItHasItsWholeAnswerIsNotReported() throws Exception {
        List<String> left = new ArrayList<>();
        try (InMemoryExchange exchange = exchange()) {
            BlockingHttpServer.watchClient(exchange, () -> left.add("left"));
            exchange.sendResponseHeaders(200, 2);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write("ok".getBytes(StandardCharsets.UTF_8));
            }

            exchange.clientLeft();
        }
        assertThat(left).isEmpty();
    }
}
