package io.kongjava.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.kongjava.kongclient.EventOutcome;
import io.kongjava.kongclient.PdkHandler;
import io.kongjava.kongclient.PluginServerClient;
import io.kongjava.protocol.KongCall;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** kong.log.serialize's {@code tries}: each upstream attempt with the fields Kong's balancer phase gives it. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LogRecordTriesTest {

    @TempDir
    Path dir;

    static final class Recorder implements PluginServerClient {
        final CompletableFuture<Map<?, ?>> record = new CompletableFuture<>();

        @Override
        public Object call(KongCall call) {
            return Map.of("Name", "recorder", "Id", 1L, "Config", Map.of());
        }

        @Override
        public EventOutcome handleEvent(long instanceId, String eventName, PdkHandler kong) {
            try {
                // Kong's side answers kong.log.serialize with the record's JSON text
                String json = (String) ((PdkHandler.PdkAnswer.Value) kong.answer("kong.log.serialize", List.of())).value();
                record.complete(new com.fasterxml.jackson.databind.ObjectMapper().readValue(json, Map.class));
            } catch (Exception e) {
                record.completeExceptionally(e);
            }
            return new EventOutcome.Returned(0);
        }

        @Override
        public void close() {
        }
    }

    @Test
    void eachTryHasKongsBalancerFieldsInMillisecondsAndNanoseconds() throws Exception {
        HttpServer upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        upstream.createContext("/", exchange -> {
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        upstream.start();
        Recorder plugin = new Recorder();
        long before = System.currentTimeMillis();
        try (Gateway gateway = OnePluginGateway.onRoute(dir, upstream.getAddress().getPort(), "recorder", "log", plugin)
                .start(new InetSocketAddress("127.0.0.1", 0));
                HttpClient http = HttpClient.newHttpClient()) {
            assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.address().getPort() + "/r")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(200);

            List<?> tries = (List<?>) plugin.record.get(10, TimeUnit.SECONDS).get("tries");
            assertThat(tries).singleElement().asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
                    .containsKeys("balancer_start", "balancer_start_ns", "balancer_latency", "balancer_latency_ns")
                    .containsEntry("ip", "127.0.0.1").containsEntry("port", upstream.getAddress().getPort())
                    .satisfies(attempt -> {
                        long startMs = ((Number) attempt.get("balancer_start")).longValue();
                        long startNs = ((Number) attempt.get("balancer_start_ns")).longValue();
                        assertThat(startMs).isBetween(before, System.currentTimeMillis());
                        assertThat(startNs / 1_000_000).isEqualTo(startMs);
                    });
        } finally {
            upstream.stop(0);
        }
    }
}
