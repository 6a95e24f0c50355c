package io.kongjava.pdk.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.kongjava.pdk.Kong;
import io.kongjava.pdk.KongPlugin;
import io.kongjava.pdk.PdkException;
import io.kongjava.pdk.schema.Default;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code kong.response.error} without a message answers Kong's text for the status, headers or not. */
class ErrorTextsTest {

    @KongPlugin.Info(name = "refuses", version = "1.0.0", priority = 1000)
    static final class Refuses implements KongPlugin<Refuses.Config> {
        record Config(@Default("false") boolean withHeaders) {
        }

        @Override
        public void access(Kong kong, Config config) throws PdkException {
            kong.response().error(413, null, config.withHeaders() ? Map.of("x-limit", List.of("1k")) : Map.of());
        }
    }

    @Test
    void theSameTextWithAndWithoutHeaders() throws Exception {
        for (String config : List.of("{}", "{\"with_headers\":true}")) {
            TestRun run = PluginTester.of(new Refuses()).configJson(config).run(TestRequest.get("http://localhost/x"));
            assertThat(run.exit()).as(config).hasValueSatisfying(exit -> {
                assertThat(exit.status()).isEqualTo(413);
                // Kong's page: the message and the request's id
                assertThat(exit.body()).startsWith("{\n  \"message\":\"Payload too large\",\n  \"request_id\":\"");
            });
        }
    }
}
