package io.kongjava.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.kongjava.catalogue.KongLogLevel;
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
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What plugins write with kong.log.* reaches the gateway's log, named by plugin, under kong.conf's log_level, as in Kong's error.log. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PluginLogLinesTest {

    @TempDir
    Path dir;
    private HttpServer upstream;
    private Gateway gateway;
    private final Logger kongLog = Logger.getLogger("kong");
    private final List<String> written = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            written.add(record.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    /** A "chatty" plugin writing at three levels in access, and calling a function Kong refuses in its log phase. */
    static final class ChattyServer implements PluginServerClient {
        @Override
        public Object call(KongCall call) {
            return Map.of("Name", "chatty", "Id", 1L, "Config", Map.of());
        }

        @Override
        public EventOutcome handleEvent(long instanceId, String eventName, PdkHandler kong) {
            if (eventName.equals("access")) {
                kong.answer("kong.log.err", List.of("no key, ", "refusing"));
                kong.answer("kong.log.notice", List.of("checked the request"));
                kong.answer("kong.log.debug", List.of("details"));
            }
            return new EventOutcome.Returned(0);
        }

        @Override
        public void close() {
        }
    }

    @BeforeEach
    void start() throws Exception {
        kongLog.setLevel(java.util.logging.Level.ALL);
        kongLog.addHandler(capture);
        upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        upstream.createContext("/", exchange -> {
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        upstream.start();
    }

    @AfterEach
    void stop() {
        kongLog.removeHandler(capture);
        if (gateway != null) {
            gateway.close();
        }
        upstream.stop(0);
    }

    private void request(KongLogLevel level) throws Exception {
        gateway = OnePluginGateway.onRoute(dir, upstream.getAddress().getPort(), "chatty", "access", new ChattyServer())
                .logLevel(level).start(new InetSocketAddress("127.0.0.1", 0));
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.address().getPort() + "/r"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
        }
        gateway.close();
        gateway = null;
    }

    @Test
    void underKongsDefaultLevelNoticeAndMoreSevereLinesAreWrittenWithThePluginsName() throws Exception {
        request(KongLogLevel.DEFAULT);

        assertThat(written).containsExactly("error [chatty] no key, refusing", "notice [chatty] checked the request");
    }

    @Test
    void logLevelDebugShowsEveryLine() throws Exception {
        request(KongLogLevel.DEBUG);

        assertThat(written).containsExactly("error [chatty] no key, refusing", "notice [chatty] checked the request", "debug [chatty] details");
    }
}
