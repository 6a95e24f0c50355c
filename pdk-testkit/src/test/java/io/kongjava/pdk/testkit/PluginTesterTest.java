package io.kongjava.pdk.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kongjava.pdk.InvalidConfigException;
import io.kongjava.pdk.Kong;
import io.kongjava.pdk.KongPlugin;
import io.kongjava.pdk.PdkException;
import io.kongjava.pdk.Phase;
import io.kongjava.pdk.schema.Default;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PluginTesterTest {

    /** Blocks requests without a key, tags the upstream request, and logs what it saw. */
    @KongPlugin.Info(name = "key-check", version = "1.0.0", priority = 1000)
    static final class KeyCheck implements KongPlugin<KeyCheck.Config> {
        record Config(@Default("x-key") String header) {
        }

        @Override
        public void access(Kong kong, Config config) throws PdkException {
            if (kong.request().getHeader(config.header()).isEmpty()) {
                kong.response().exitJson(401, Map.of("message", "key required"), Map.of());
                return;
            }
            kong.service().request().setHeader("x-checked", "yes");
            kong.service().request().clearHeader(config.header());
            kong.log().setSerializeValue("key_check.passed", true);
        }

        @Override
        public void log(Kong kong, Config config) throws PdkException {
            kong.log().info("logged " + kong.log().serialize().length() + " bytes");
            kong.request().getMethod(); // raises in Kong's log timer
        }
    }

    @Test
    void anExitEndsTheRequestAndOnlyTheLogPhaseFollows() throws Exception {
        TestRun run = PluginTester.of(new KeyCheck()).configJson("{}").run(TestRequest.get("http://localhost/x"));

        assertThat(run.exit()).hasValueSatisfying(exit -> {
            assertThat(exit.status()).isEqualTo(401);
            assertThat(exit.body()).isEqualTo("{\"message\":\"key required\"}");
        });
        assertThat(run.phasesRun()).containsExactly(Phase.ACCESS, Phase.LOG);
        assertThat(run.serialized().get("source")).isEqualTo("kong");
    }

    @Test
    void upstreamChangesAndSerializeValuesAreVisible() throws Exception {
        TestRun run = PluginTester.of(new KeyCheck()).configJson("{\"header\":\"x-api\"}")
                .run(TestRequest.get("http://localhost/x").header("X-Api", "k"));

        assertThat(run.exit()).isEmpty();
        assertThat(run.upstream().headers().get("x-checked")).isEqualTo(List.of("yes"));
        assertThat(run.upstream().headers().get("x-api")).isEmpty();
        assertThat(run.serialized().get("key_check")).isEqualTo(Map.of("passed", true));
    }

    @KongPlugin.Info(name = "greeter", version = "1.0.0", priority = 1)
    static final class Greeter implements KongPlugin<Greeter.Config> {
        record Config() {
        }

        @Override
        public void access(Kong kong, Config config) throws PdkException {
            String user = kong.request().getHeader("x-user").orElse("nobody");
            kong.service().request().setHeader("x-seen", user + " ✓");
            kong.response().setHeader("x-hi", "hi " + user + " from " + kong.request().getPath());
        }
    }

    @Test
    void textOutsideAsciiGoesInAndComesOutAsTheTextItWas() throws Exception {
        TestRun run = PluginTester.of(new Greeter()).configJson("{}")
                .run(TestRequest.get("http://localhost/caf%C3%A9").header("X-User", "Zoë")
                        .upstreamResponse(200, Map.of(), "ok"));

        assertThat(run.upstream().headers().get("x-seen")).containsExactly("Zoë ✓");
        assertThat(run.responseHeaders().get("x-hi")).containsExactly("hi Zoë from /café");
        assertThat(run.serialized()).extractingByKey("request").asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
                .extractingByKey("headers").asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
                .containsEntry("x-user", "Zoë").containsEntry("x-seen", "Zoë ✓");
    }

    /** Moves the request to another path upstream. */
    @KongPlugin.Info(name = "mover", version = "1.0.0", priority = 1)
    static final class Mover implements KongPlugin<Mover.Config> {
        record Config(java.util.Optional<String> to) {
        }

        @Override
        public void access(Kong kong, Config config) throws PdkException {
            if (config.to().isPresent()) {
                kong.service().request().setPath(config.to().get());
            }
        }
    }

    @Test
    void theLogRecordsUpstreamUriIsWhatKongSentUpstream() throws Exception {
        TestRun moved = PluginTester.of(new Mover()).configJson("{\"to\":\"/v2/a b\"}")
                .run(TestRequest.get("http://localhost/v1/x?q=1").upstreamResponse(200, Map.of(), "ok"));
        TestRun unmoved = PluginTester.of(new Mover()).configJson("{}")
                .run(TestRequest.get("http://localhost/v1/caf%C3%A9").upstreamResponse(200, Map.of(), "ok"));

        assertThat(moved.upstream().path()).isEqualTo("/v2/a%20b");
        assertThat(moved.serialized().get("upstream_uri")).isEqualTo("/v2/a%20b?q=1");
        assertThat(unmoved.serialized().get("upstream_uri")).isEqualTo("/v1/caf%C3%A9");
    }

    @Test
    void callsKongRefusesInAPhaseAreReportedAsFailures() throws Exception {
        TestRun run = PluginTester.of(new KeyCheck()).configJson("{}")
                .run(TestRequest.get("http://localhost/x").header("x-key", "k"));

        assertThat(run.logs()).anySatisfy(line -> assertThat(line.message()).startsWith("logged "));
        assertThat(run.failures()).singleElement().satisfies(failure -> {
            assertThat(failure.phase()).isEqualTo(Phase.LOG);
            assertThat(failure.error()).hasMessageContaining("kong.request.get_method").hasMessageContaining("API disabled");
        });
    }

    @Test
    void anAccessPhaseThatThrowsEndsTheRequestWith500AsThePluginServerDoes() throws Exception {
        TestRun run = PluginTester.of(new Throwing()).configJson("{}").run(TestRequest.get("http://localhost/x")
                .upstreamResponse(200, Map.of(), "from the upstream"), Phase.ACCESS, Phase.RESPONSE, Phase.LOG);

        assertThat(run.failures()).singleElement().satisfies(failure -> assertThat(failure.phase()).isEqualTo(Phase.ACCESS));
        assertThat(run.exit()).hasValueSatisfying(exit -> assertThat(exit.status()).isEqualTo(500));
        assertThat(run.phasesRun()).containsExactly(Phase.ACCESS, Phase.LOG);
        assertThat(run.logs()).anySatisfy(line -> assertThat(line.message()).contains("plugin throwing failed in access")
                .contains("IllegalStateException: the plugin's bug"));
    }

    @Test
    void aResponseFilterCannotCallThePdkOnceTheAccessPhaseIsOverAsUnderTheServer() throws Exception {
        FilterTester tester = PluginTester.of(new PdkInFilter()).configJson("{}")
                .responseFilter(TestRequest.get("http://localhost/x")).orElseThrow();
        tester.headers(200, Map.of());
        assertThatThrownBy(() -> tester.chunk("data")).isInstanceOf(PdkException.class).hasMessageContaining("the access phase is over");
    }

    /** Keeps the access phase's Kong for its filter: a mistake the kit must show. */
    @KongPlugin.Info(name = "pdk-in-filter", version = "1.0.0", priority = 1)
    static final class PdkInFilter implements KongPlugin<PdkInFilter.Config>, io.kongjava.pdk.filter.FiltersResponse<PdkInFilter.Config> {
        record Config() {
        }

        @Override
        public java.util.Optional<io.kongjava.pdk.filter.ResponseFilter> responseFilter(Kong kong, Config config) {
            return java.util.Optional.of(new io.kongjava.pdk.filter.ResponseFilter() {
                @Override
                public byte[] onChunk(byte[] chunk) throws Exception {
                    kong.log().info("chunk");
                    return chunk;
                }
            });
        }
    }

    @Test
    void aRequestCanCarryWhatEarlierPluginsAndKongConfDecided() throws Exception {
        TestRun run = PluginTester.of(new WhoIsIt()).configJson("{}").run(TestRequest.get("http://localhost/x")
                .consumer(Map.of("id", "c-1", "username", "ann"), Map.of("id", "k-1"))
                .ctxShared("tier", "gold")
                .clientIp("10.0.0.2").trustedIps("10.0.0.0/8").header("X-Forwarded-Proto", "https"));

        assertThat(run.failures()).isEmpty();
        assertThat(run.responseHeaders().get("x-who")).isEqualTo(List.of("ann gold https"));
    }

    /** Answers who the earlier plugins said the client is. */
    @KongPlugin.Info(name = "who-is-it", version = "1.0.0", priority = 1)
    static final class WhoIsIt implements KongPlugin<WhoIsIt.Config> {
        record Config() {
        }

        @Override
        public void access(Kong kong, Config config) throws PdkException {
            String user = kong.client().getConsumer().flatMap(c -> c.username()).orElse("nobody");
            Object tier = kong.ctx().shared().get("tier").orElse("none");
            kong.response().setHeader("x-who", user + " " + tier + " " + kong.request().getForwardedScheme());
        }
    }

    /** A plugin with a bug in access. */
    @KongPlugin.Info(name = "throwing", version = "1.0.0", priority = 1)
    static final class Throwing implements KongPlugin<Throwing.Config> {
        record Config() {
        }

        @Override
        public void access(Kong kong, Config config) {
            throw new IllegalStateException("the plugin's bug");
        }

        @Override
        public void response(Kong kong, Config config) throws PdkException {
            kong.response().setHeader("x-response-ran", "yes");
        }

        @Override
        public void log(Kong kong, Config config) {
        }
    }

    /** Stamps the upstream's answer in its response phase. */
    @KongPlugin.Info(name = "stamp", version = "1.0.0", priority = 1)
    static final class Stamp implements KongPlugin<Stamp.Config> {
        record Config() {
        }

        @Override
        public void response(Kong kong, Config config) throws PdkException {
            kong.response().setHeader("x-stamped", "yes");
        }
    }

    /** Sets a header in access, and reads the upstream's answer in response. */
    @KongPlugin.Info(name = "early-header", version = "1.0.0", priority = 1)
    static final class EarlyHeader implements KongPlugin<EarlyHeader.Config> {
        record Config() {
        }

        @Override
        public void access(Kong kong, Config config) throws PdkException {
            kong.response().setHeader("x-echo-server", "plugin");
        }

        @Override
        public void response(Kong kong, Config config) throws PdkException {
            kong.response().setHeader("x-type-seen", kong.service().response().getHeader("content-type").orElse("none"));
        }
    }

    @Test
    void theUpstreamsHeadersOverrideWhatAccessSetAndAreFoundWhateverTheCaseTheTestGaveThem() throws Exception {
        TestRun run = PluginTester.of(new EarlyHeader()).configJson("{}").run(TestRequest.get("http://localhost/x")
                .upstreamResponse(200, Map.of("X-Echo-Server", List.of("upstream"), "Content-Type", List.of("application/json")), "{}"));

        assertThat(run.failures()).isEmpty();
        assertThat(run.responseHeaders()).as("Kong.response() sets the upstream's headers over the plugin's")
                .containsEntry("x-echo-server", List.of("upstream")).containsEntry("x-type-seen", List.of("application/json"));
    }

    @Test
    void aResponsePhaseRunsOnTheUpstreamsAnswerAndATestWithoutOneIsToldInsteadOfSkippingIt() throws Exception {
        TestRun run = PluginTester.of(new Stamp()).configJson("{}")
                .run(TestRequest.get("http://localhost/x").upstreamResponse(200, Map.of(), "from the upstream"));
        assertThat(run.phasesRun()).containsExactly(Phase.RESPONSE);
        assertThat(run.responseHeaders().get("x-stamped")).containsExactly("yes");

        assertThatThrownBy(() -> PluginTester.of(new Stamp()).configJson("{}").run(TestRequest.get("http://localhost/x")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("stamp has a response phase")
                .hasMessageContaining("upstreamResponse(");
    }

    @Test
    void aFieldThePluginsSchemaDoesNotHaveIsRefusedAsKongRefusesIt() {
        assertThatThrownBy(() -> PluginTester.of(new KeyCheck()).configJson("{\"header\":\"x-api\",\"heder\":\"x-typo\"}"))
                .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.errors()).containsExactly(Map.entry("heder", "unknown field")));
    }

    @Test
    void headerNamesAreLookedUpWhateverTheirCase() throws Exception {
        TestRun run = PluginTester.of(new KeyCheck()).configJson("{}").run(TestRequest.get("http://localhost/x").header("x-key", "k"));

        assertThat(run.upstream().headers()).containsKey("X-Checked").containsKey("x-checked");
    }

    /** Sets the upstream path in the rewrite phase (where Kong's router, which runs after it, sets it again) and a header in access. */
    @KongPlugin.Info(name = "path-rewriter", version = "1.0.0", priority = 1)
    static final class PathRewriter implements KongPlugin<PathRewriter.Config> {
        record Config() {
        }

        @Override
        public void rewrite(Kong kong, Config config) throws PdkException {
            kong.service().request().setPath("/rewritten");
        }

        @Override
        public void access(Kong kong, Config config) throws PdkException {
            kong.response().setHeader("x-seen", "yes");
        }
    }

    @Test
    void aPluginOnARouteOrServiceGetsNoRewritePhaseAsInKong() throws Exception {
        TestRun global = PluginTester.of(new PathRewriter()).configJson("{}").run(TestRequest.get("http://localhost/x"));
        TestRun onRoute = PluginTester.of(new PathRewriter()).onRouteOrService().configJson("{}").run(TestRequest.get("http://localhost/x"));

        assertThat(global.phasesRun()).containsExactly(Phase.REWRITE, Phase.ACCESS);
        assertThat(global.upstream().path()).as("Kong's access.before sets the upstream path from the route again").isNull();
        assertThat(onRoute.phasesRun()).containsExactly(Phase.ACCESS);
        assertThat(onRoute.upstream().path()).as("unchanged: the client's path goes upstream").isNull();
    }
}
