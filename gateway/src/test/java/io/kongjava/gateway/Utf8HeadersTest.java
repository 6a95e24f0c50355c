package io.kongjava.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.kongjava.kongclient.EventOutcome;
import io.kongjava.kongclient.PdkHandler;
import io.kongjava.kongclient.PluginServerClient;
import io.kongjava.protocol.KongCall;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Header values that are UTF-8 on the wire: a plugin reads them as text, as it does under Kong (whose string of the
 * bytes our server decodes as UTF-8), the text it sets goes upstream as UTF-8, and the client's bytes pass unchanged.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class Utf8HeadersTest {

    @TempDir
    Path dir;

    /** Reads x-user and sends it on, with a mark, as x-seen. */
    static final class EchoingServer implements PluginServerClient {
        final CompletableFuture<Object> seen = new CompletableFuture<>();

        @Override
        public Object call(KongCall call) {
            return Map.of("Name", "echo", "Id", 1L, "Config", Map.of());
        }

        @Override
        public EventOutcome handleEvent(long instanceId, String eventName, PdkHandler kong) {
            Object user = ((PdkHandler.PdkAnswer.Value) kong.answer("kong.request.get_header", List.of("x-user"))).value();
            seen.complete(user);
            kong.answer("kong.service.request.set_header", List.of("x-seen", user + " ✓"));
            return new EventOutcome.Returned(0);
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aUtf8ValueIsTextToThePluginAndTheTextItSetsIsUtf8Upstream() throws Exception {
        try (ServerSocket upstream = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
            CompletableFuture<String> upstreamHead = CompletableFuture.supplyAsync(() -> {
                try (Socket s = upstream.accept()) {
                    String head = new String(readHead(s.getInputStream()), StandardCharsets.UTF_8);
                    s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".getBytes(StandardCharsets.US_ASCII));
                    return head;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            EchoingServer plugin = new EchoingServer();
            try (Gateway gateway = OnePluginGateway.onRoute(dir, upstream.getLocalPort(), "echo", "access", plugin)
                    .start(new InetSocketAddress("127.0.0.1", 0));
                    Socket client = new Socket("127.0.0.1", gateway.address().getPort())) {
                client.getOutputStream().write("GET /r HTTP/1.1\r\nHost: gw\r\nX-User: Zoë\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.UTF_8));

                String answer = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

                assertThat(answer).startsWith("HTTP/1.1 200");
                assertThat(plugin.seen.get(5, TimeUnit.SECONDS)).isEqualTo("Zoë");
                assertThat(upstreamHead.get(5, TimeUnit.SECONDS).toLowerCase(java.util.Locale.ROOT))
                        .contains("\r\nx-user: zoë\r\n").contains("\r\nx-seen: zoë ✓\r\n");
            }
        }
    }

    private static byte[] readHead(InputStream in) throws Exception {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
            matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toByteArray();
    }
}
