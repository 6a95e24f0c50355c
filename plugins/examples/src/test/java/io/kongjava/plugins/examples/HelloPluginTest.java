package io.kongjava.plugins.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kongjava.pdk.InvalidConfigException;
import io.kongjava.pdk.Phase;
import io.kongjava.pdk.testkit.PluginTester;
import io.kongjava.pdk.testkit.TestRequest;
import io.kongjava.pdk.testkit.TestRun;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Also the test kit's usage example: a plugin tested without Kong. */
class HelloPluginTest {

    @Test
    void greetsTheHostTheClientCalled() throws Exception {
        TestRun run = PluginTester.of(new HelloPlugin())
                .configJson("{\"message\":\"hi\"}")
                .run(TestRequest.get("http://example.test:8000/").header("Host", "example.test:8000"));

        assertThat(run.responseHeaders().get("x-hello-from-java")).isEqualTo(List.of("Java says hi to example.test:8000"));
        assertThat(run.responseHeaders().get("x-java-pid")).isEqualTo(List.of(String.valueOf(ProcessHandle.current().pid())));
        assertThat(run.phasesRun()).containsExactly(Phase.ACCESS);
        assertThat(run.failures()).isEmpty();
    }

    @Test
    void saysHelloWhenNoMessageIsConfigured() throws Exception {
        TestRun run = PluginTester.of(new HelloPlugin()).configJson("{\"message\":null}")
                .run(TestRequest.get("http://localhost/"));

        assertThat(run.responseHeaders().get("x-hello-from-java")).isEqualTo(List.of("Java says hello to localhost"));
        assertThat(run.pdkCalls()).first().isEqualTo("kong.request.get_header[host]");
    }

    @Test
    void kongsSchemaForThePluginComesFromItsConfigRecord() {
        var descriptor = PluginTester.of(new HelloPlugin()).descriptor();

        assertThat(descriptor.phases()).containsExactly(Phase.ACCESS);
        assertThat(descriptor.toDumpInfo().get("Schema").toString()).contains("message");
    }

    @Test
    void aConfigKongWouldRejectIsRejectedHereToo() {
        assertThatThrownBy(() -> PluginTester.of(new HelloPlugin()).configJson("{\"message\":42}"))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("message");
    }
}
