package io.kongjava.pdk.testkit;

import io.kongjava.pdk.KongPlugin;
import static org.assertj.core.api.Assertions.assertThat;

import io.kongjava.pdk.filter.ResponseFilter;
import io.kongjava.pdk.filter.ResponseHead;
import io.kongjava.pdk.filter.StreamEnd;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FilterTesterTest {

    /** Passes whole lines only, each as soon as its newline arrives, and counts them. */
    static final class WholeLines implements ResponseFilter {
        final StringBuilder partial = new StringBuilder();
        int lines;

        @Override
        public void onHeaders(ResponseHead head) {
            head.headers().set("x-lines", "counted");
        }

        @Override
        public byte[] onChunk(byte[] chunk) {
            partial.append(new String(chunk, StandardCharsets.UTF_8));
            int cut = partial.lastIndexOf("\n") + 1;
            String ready = partial.substring(0, cut);
            partial.delete(0, cut);
            lines += (int) ready.chars().filter(c -> c == '\n').count();
            return ready.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public byte[] onEnd() {
            return partial.toString().getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public Map<String, Object> logFields() {
            return Map.of("lines.count", lines);
        }
    }

    /** Filters only requests that ask for it, and says so in a header. */
    @KongPlugin.Info(name = "on-demand", version = "1.0.0", priority = 1)
    static final class OnDemand implements io.kongjava.pdk.KongPlugin<OnDemand.Config>, io.kongjava.pdk.filter.FiltersResponse<OnDemand.Config> {
        record Config(@io.kongjava.pdk.schema.Default("x-lines") String trigger) {
        }

        @Override
        public java.util.Optional<ResponseFilter> responseFilter(io.kongjava.pdk.Kong kong, Config config) throws io.kongjava.pdk.PdkException {
            return kong.request().getHeader(config.trigger()).isPresent() ? java.util.Optional.of(new WholeLines()) : java.util.Optional.empty();
        }
    }

    @Test
    void aPluginsOwnFilterForARequestComesFromItsAccessPhaseOnTheEmulatedKong() throws Exception {
        PluginTester<OnDemand.Config> plugin = PluginTester.of(new OnDemand()).configJson("{}");

        assertThat(plugin.responseFilter(TestRequest.get("http://localhost:8000/"))).isEmpty();
        FilterTester filter = plugin.responseFilter(TestRequest.get("http://localhost:8000/").header("x-lines", "1")).orElseThrow();
        assertThat(filter.headers(200, Map.of()).chunk("a\nb")).isEqualTo("a\n");
        assertThat(filter.end()).isEqualTo("b");
    }

    @Test
    void aFilterIsFedChunkByChunkAndEachStepShowsWhatCameOut() throws Exception {
        FilterTester tester = FilterTester.of(new WholeLines()).headers(200, Map.of("content-type", List.of("text/plain")));

        assertThat(tester.head().headers().first("x-lines")).hasValue("counted");
        assertThat(tester.chunk("one\ntw")).isEqualTo("one\n");
        assertThat(tester.chunk("o\nthr")).isEqualTo("two\n");
        assertThat(tester.end()).isEqualTo("thr");
        assertThat(tester.output()).isEqualTo("one\ntwo\nthr");
        assertThat(tester.pieces()).containsExactly("one\n", "two\n", "thr");
        assertThat(tester.closedWith()).isEqualTo(new StreamEnd.Completed(200));
        assertThat(tester.logFields()).containsEntry("lines.count", 2);
    }
}
