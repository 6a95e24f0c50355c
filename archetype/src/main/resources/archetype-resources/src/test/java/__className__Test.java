package ${package};

import static org.assertj.core.api.Assertions.assertThat;

import io.kongjava.pdk.testkit.PluginTester;
import io.kongjava.pdk.testkit.TestRequest;
import io.kongjava.pdk.testkit.TestRun;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs the plugin's phases in process, against an emulation of Kong's side of the PDK. */
class ${className}Test {

    @Test
    void greetsTheHostTheClientCalled() throws Exception {
        TestRun run = PluginTester.of(new ${className}())
                .configJson("{\"message\":\"hi\"}")
                .run(TestRequest.get("http://example.test/").header("Host", "example.test"));

        assertThat(run.failures()).isEmpty();
        assertThat(run.responseHeaders().get("x-greeting")).isEqualTo(List.of("hi example.test"));
    }

    @Test
    void kongKnowsItByItsName() {
        assertThat(PluginTester.of(new ${className}()).descriptor().name()).isEqualTo("${pluginName}");
    }
}
