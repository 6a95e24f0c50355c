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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a plugin's response phase does to the upstream's headers is what the client gets: a header it clears is gone
 * (Kong: {@code ngx.header[name] = nil}), one it sets replaces the upstream's, one it adds joins them.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ResponsePhaseHeadersTest {

    @TempDir
    Path dir;
    private HttpServer upstream;
    private Gateway gateway;

    /** A "strip" plugin whose response phase clears x-internal and x-powered-by, sets x-set and adds to x-multi. */
    static final class StrippingServer implements PluginServerClient {
        @Override
        public Object call(KongCall call) {
            return Map.of("Name", "strip", "Id", 1L, "Config", Map.of());
        }

        @Override
        public EventOutcome handleEvent(long instanceId, String eventName, PdkHandler kong) {
            if (eventName.equals("response")) {
                kong.answer("kong.response.clear_header", List.of("X-Internal"));
                kong.answer("kong.response.clear_header", List.of("x-powered-by"));
                kong.answer("kong.response.set_header", List.of("x-set", "plugin"));
                kong.answer("kong.response.add_header", List.of("x-multi", "plugin"));
            }
            return new EventOutcome.Returned(0);
        }

        @Override
        public void close() {
        }
    }

    @BeforeEach
    void upstream() throws Exception {
        upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        upstream.createContext("/", exchange -> {
            exchange.getResponseHeaders().add("X-Internal", "secret");
            exchange.getResponseHeaders().add("X-Powered-By", "internal-app/1.2");
            exchange.getResponseHeaders().add("X-Set", "upstream");
            exchange.getResponseHeaders().add("X-Multi", "upstream");
            exchange.sendResponseHeaders(200, 2);
            exchange.getResponseBody().write("ok".getBytes());
            exchange.close();
        });
        upstream.start();
    }

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        upstream.stop(0);
    }

    @Test
    void headersTheResponsePhaseClearsDoNotReachTheClient() throws Exception {
        gateway = OnePluginGateway.onRoute(dir, upstream.getAddress().getPort(), "strip", "response", new StrippingServer())
                .start(new InetSocketAddress("127.0.0.1", 0));

        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.address().getPort() + "/r"))
                    .build(), HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("ok");
            assertThat(response.headers().firstValue("x-internal")).as("cleared by the response phase").isEmpty();
            assertThat(response.headers().allValues("x-powered-by")).as("cleared, whatever its letter case").isEmpty();
            assertThat(response.headers().allValues("x-set")).containsExactly("plugin");
            assertThat(response.headers().allValues("x-multi")).containsExactly("upstream", "plugin");
        }
    }

    /** An "exiter" whose phase sets a header, then exits with the same header and a Content-Type of its own. */
    static final class ExitingServer implements PluginServerClient {
        @Override
        public Object call(KongCall call) {
            return Map.of("Name", "exiter", "Id", 1L, "Config", Map.of());
        }

        @Override
        public EventOutcome handleEvent(long instanceId, String eventName, PdkHandler kong) {
            kong.answer("kong.response.set_header", List.of("x-exit-hdr", "early"));
            kong.answer("kong.response.set_header", List.of("x-cleared", "early"));
            kong.answer("kong.response.exit", List.of(418L, "teapot",
                    Map.of("X-Exit-Hdr", "yes", "Content-Type", "text/plain", "X-Cleared", List.of())));
            return new EventOutcome.Returned(0);
        }

        @Override
        public void close() {
        }
    }

    @Test
    void theExitsOwnHeadersWinOverOnesSetBeforeItInAccessAndInResponse() throws Exception {
        for (String phase : List.of("access", "response")) {
            gateway = OnePluginGateway.onRoute(dir, upstream.getAddress().getPort(), "exiter", phase, new ExitingServer())
                    .start(new InetSocketAddress("127.0.0.1", 0));
            try (HttpClient http = HttpClient.newHttpClient()) {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.address().getPort() + "/r"))
                        .build(), HttpResponse.BodyHandlers.ofString());

                assertThat(response.statusCode()).as(phase).isEqualTo(418);
                assertThat(response.body()).as(phase).isEqualTo("teapot");
                assertThat(response.headers().allValues("x-exit-hdr")).as(phase + ": Kong's send() writes the exit's headers last")
                        .containsExactly("yes");
                assertThat(response.headers().allValues("content-type")).as(phase).containsExactly("text/plain");
                assertThat(response.headers().allValues("x-cleared")).as(phase + ": an empty table clears it").isEmpty();
            }
            gateway.close();
            gateway = null;
        }
    }
}
