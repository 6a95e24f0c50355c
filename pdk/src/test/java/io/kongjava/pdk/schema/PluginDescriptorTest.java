package io.kongjava.pdk.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kongjava.pdk.Kong;
import io.kongjava.pdk.KongPlugin;
import io.kongjava.pdk.Phase;
import io.kongjava.pdk.internal.Json;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PluginDescriptorTest {

    record Config(String path) {
    }

    static class FileLog implements KongPlugin<Config> {
        @Override public String name() { return "java-file-log"; }
        @Override public String version() { return "1.0.0"; }
        @Override public int priority() { return 9; }
        @Override public Class<Config> configType() { return Config.class; }
        @Override public void log(Kong kong, Config config) { }
    }

    /** Overrides phases out of Kong's order, through a superclass and an intermediate interface. */
    interface AccessDefault extends KongPlugin<Config> {
        @Override
        default void access(Kong kong, Config config) { }
    }

    static class Base implements AccessDefault {
        @Override public String name() { return "multi"; }
        @Override public String version() { return "0.1"; }
        @Override public int priority() { return 1000; }
        @Override public Class<Config> configType() { return Config.class; }
        @Override public void log(Kong kong, Config config) { }
    }

    static class Multi extends Base {
        @Override public void rewrite(Kong kong, Config config) { }
        @Override public void certificate(Kong kong, Config config) { }
        @Override public void shutdown() { }
    }

    @Test
    void dumpInfoForOnePlugin() {
        PluginDescriptor descriptor = PluginDescriptor.of(new FileLog());

        assertThat(descriptor.phases()).containsExactly(Phase.LOG);
        assertThat(Json.write(descriptor.toDumpInfo())).isEqualTo("""
                {"Name":"java-file-log","Version":"1.0.0","Priority":9,"Phases":["log"],"Schema":\
                {"name":"java-file-log","fields":[{"config":{"type":"record","fields":[{"path":{"type":"string","required":true}}]}}]}}""");
    }

    @Test
    void phasesAreTheOverriddenOnesInKongsOrder() {
        assertThat(PluginDescriptor.of(new Multi()).phases())
                .containsExactly(Phase.CERTIFICATE, Phase.REWRITE, Phase.ACCESS, Phase.LOG);
    }

    /** Filters responses but overrides no phase: Kong must still run its access phase, where the filter is attached. */
    static class Filtering implements KongPlugin<Config>, io.kongjava.pdk.filter.FiltersResponse<Config> {
        @Override public String name() { return "filtering"; }
        @Override public String version() { return "1.0.0"; }
        @Override public int priority() { return 1; }
        @Override public Class<Config> configType() { return Config.class; }
        @Override public java.util.Optional<io.kongjava.pdk.filter.ResponseFilter> responseFilter(Kong kong, Config config) {
            return java.util.Optional.empty();
        }
        @Override public void log(Kong kong, Config config) { }
    }

    @Test
    void aPluginThatFiltersResponsesHasTheAccessPhase() {
        assertThat(PluginDescriptor.of(new Filtering()).phases()).containsExactly(Phase.ACCESS, Phase.LOG);
        assertThat(PluginDescriptor.of(new Filtering()).toDumpInfo().get("Phases")).isEqualTo(List.of("access", "log"));
    }

    @Test
    void aPluginWithoutPhasesHasNone() {
        KongPlugin<Config> none = new KongPlugin<>() {
            @Override public String name() { return "idle"; }
            @Override public String version() { return "1.0.0"; }
            @Override public int priority() { return 1; }
            @Override public Class<Config> configType() { return Config.class; }
        };
        assertThat(PluginDescriptor.of(none).phases()).isEmpty();
        assertThat(PluginDescriptor.of(none).toDumpInfo().get("Phases")).isEqualTo(List.of());
    }

    @Test
    void invalidNamesAndVersionsAreRefused() {
        assertThatThrownBy(() -> PluginDescriptor.of(new FileLog() {
            @Override public String version() { return "1.0.0-SNAPSHOT"; }
        })).hasMessageContaining("java-file-log").hasMessageContaining("x.y.z");
        assertThatThrownBy(() -> PluginDescriptor.of(new FileLog() {
            @Override public String name() { return "Java File Log"; }
        })).hasMessageContaining("invalid name");
    }

    record Broken(Object anything) {
    }

    @Test
    void anUnmappableConfigNamesThePlugin() {
        KongPlugin<Broken> broken = new KongPlugin<>() {
            @Override public String name() { return "broken"; }
            @Override public String version() { return "1.0.0"; }
            @Override public int priority() { return 1; }
            @Override public Class<Broken> configType() { return Broken.class; }
        };
        assertThatThrownBy(() -> PluginDescriptor.of(broken)).hasMessageStartingWith("plugin broken: ");
    }

    @Test
    void schemaIsTheDerivedOne() {
        assertThat(PluginDescriptor.of(new FileLog()).schema()).isEqualTo(KongSchema.derive(new FileLog()));
        assertThat(PluginDescriptor.of(new FileLog()).schema()).containsEntry("name", "java-file-log");
        assertThat(PluginDescriptor.of(new FileLog()).toDumpInfo()).containsEntry("Priority", 9L).isInstanceOf(Map.class);
    }
}
