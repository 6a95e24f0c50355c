package io.kongjava.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.kongjava.catalogue.RpcMethod;
import io.kongjava.kongclient.EventOutcome;
import io.kongjava.kongclient.PdkHandler;
import io.kongjava.kongclient.PluginServerClient;
import io.kongjava.kongclient.RpcErrorException;
import io.kongjava.protocol.KongCall;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A plugin whose instance cannot start (its plugin refuses the config, a check its dumped schema cannot express): the
 * gateway refuses to start at the plugin's place in kong.yaml; and if the instance fails to start later, the request
 * gets Kong's 500, as Kong raises then, instead of reaching the upstream without the plugin.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class InstanceStartTest {

    @TempDir
    Path dir;

    private final AtomicBoolean refuse = new AtomicBoolean(true);
    private final AtomicInteger upstreamRequests = new AtomicInteger();
    private HttpServer upstream;
    private Gateway gateway;

    /** A plugin server whose "guard" plugin refuses to start while {@link #refuse} is set. */
    final class RefusingServer implements PluginServerClient {
        @Override
        public Object call(KongCall call) throws RpcErrorException {
            if (call instanceof KongCall.StartInstance && refuse.get()) {
                throw new RpcErrorException(RpcMethod.START_INSTANCE.wireName(), "config.limit: value must be greater than 0");
            }
            return Map.of("Name", "guard", "Id", 1L, "Config", Map.of());
        }

        @Override
        public EventOutcome handleEvent(long instanceId, String eventName, PdkHandler kong) {
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
            upstreamRequests.incrementAndGet();
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

    private Gateway gateway() throws Exception {
        return OnePluginGateway.onRoute(dir, upstream.getAddress().getPort(), "guard", "access", new RefusingServer());
    }

    @Test
    void aConfigThePluginRefusesFailsTheStartAtItsPlaceInKongYaml() throws Exception {
        assertThatThrownBy(() -> gateway().startPluginInstances())
                .isInstanceOf(ConfigException.class)
                .hasMessage(dir.resolve("kong.yaml") + ":9: services[0].routes[0].plugins[0] (guard): the plugin refused its config:"
                        + " config.limit: value must be greater than 0");
    }

    @Test
    void anInstanceThatCannotStartLaterAnswers500AndTheUpstreamIsNotCalled() throws Exception {
        gateway = gateway().start(new InetSocketAddress("127.0.0.1", 0));

        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.address().getPort() + "/r"))
                    .build(), HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(500);
            assertThat(response.body()).contains("An unexpected error occurred");
        }
        assertThat(upstreamRequests.get()).isZero();
    }
}
