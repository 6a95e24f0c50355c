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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Log phases run after the answer, in the background, as Kong runs them in a timer; past the gateway's bound a request
 * runs its own on its connection, after its answer: a load the log phases cannot keep up with is slowed, not kept in
 * memory, and no log phase is dropped.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LogPhaseBackPressureTest {

    @TempDir
    Path dir;

    final CountDownLatch release = new CountDownLatch(1);
    final List<String> logPhasesRanOn = new CopyOnWriteArrayList<>();
    HttpServer upstream;
    Gateway gateway;

    /** A plugin server whose one plugin has only a log phase, which waits until the test releases it. */
    final class SlowLogger implements PluginServerClient {
        @Override
        public Object call(KongCall call) {
            return Map.of("Name", "slow-log", "Id", 7L, "Config", Map.of());
        }

        @Override
        public EventOutcome handleEvent(long instanceId, String eventName, PdkHandler kong) throws java.io.IOException {
            logPhasesRanOn.add(Thread.currentThread().getName());
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new java.io.InterruptedIOException();
            }
            return new EventOutcome.Returned(0);
        }

        @Override
        public void close() {
        }
    }

    @AfterEach
    void stop() {
        release.countDown();
        if (gateway != null) {
            gateway.close();
        }
        if (upstream != null) {
            upstream.stop(0);
        }
    }

    @Test
    void pastTheBoundARequestRunsItsLogPhaseAfterItsAnswerOnItsOwnConnection() throws Exception {
        upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        upstream.createContext("/", exchange -> {
            exchange.sendResponseHeaders(200, 2);
            exchange.getResponseBody().write("ok".getBytes());
            exchange.close();
        });
        upstream.start();
        gateway = OnePluginGateway.global(dir, upstream.getAddress().getPort(), "slow-log", "log", new SlowLogger())
                .maxPendingLogPhases(1).start(new InetSocketAddress("127.0.0.1", 0));
        URI uri = URI.create("http://127.0.0.1:" + gateway.address().getPort() + "/r");

        try (HttpClient first = HttpClient.newHttpClient(); HttpClient second = HttpClient.newHttpClient()) {
            // within the bound: the log phase waits in the background
            assertThat(first.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString()).body()).isEqualTo("ok");
            Awaitility.await().until(() -> logPhasesRanOn.size() == 1);
            // past it: the client still gets its answer, while its log phase runs on its connection's thread
            assertThat(second.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString()).body()).isEqualTo("ok");
            Awaitility.await().until(() -> logPhasesRanOn.size() == 2);
        }
        release.countDown();

        assertThat(logPhasesRanOn.get(0)).startsWith("log-phase");
        assertThat(logPhasesRanOn.get(1)).doesNotStartWith("log-phase");
    }
}
