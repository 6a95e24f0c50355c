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

    @KongPlugin.Info(name = "java-file-log", version = "1.0.0", priority = 9)
    static class FileLog implements KongPlugin<Config> {
        @Override public void log(Kong kong, Config config) { }
    }

    /** Overrides phases out of Kong's order, through a superclass and an intermediate interface. */
    interface AccessDefault extends KongPlugin<Config> {
        @Override
        default void access(Kong kong, Config config) { }
    }

    @KongPlugin.Info(name = "multi-base", version = "0.1", priority = 1000)
    static class Base implements AccessDefault {
        @Override public void log(Kong kong, Config config) { }
    }

    @KongPlugin.Info(name = "multi", version = "0.1", priority = 1000)
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
    @KongPlugin.Info(name = "filtering", version = "1.0.0", priority = 1)
    static class Filtering implements KongPlugin<Config>, io.kongjava.pdk.filter.FiltersResponse<Config> {
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

    @KongPlugin.Info(name = "idle", version = "1.0.0", priority = 1)
    static class Idle implements KongPlugin<Config> {
    }

    @Test
    void aPluginWithoutPhasesHasNone() {
        assertThat(PluginDescriptor.of(new Idle()).phases()).isEmpty();
        assertThat(PluginDescriptor.of(new Idle()).toDumpInfo().get("Phases")).isEqualTo(List.of());
    }

    @KongPlugin.Info(name = "java-file-log", version = "1.0.0-SNAPSHOT", priority = 9)
    static class SnapshotVersion implements KongPlugin<Config> {
    }

    @KongPlugin.Info(name = "Java File Log", version = "1.0.0", priority = 9)
    static class SpacedName implements KongPlugin<Config> {
    }

    static class Unannotated implements KongPlugin<Config> {
    }

    @Test
    void invalidNamesAndVersionsAreRefused() {
        assertThatThrownBy(() -> PluginDescriptor.of(new SnapshotVersion()))
                .hasMessageContaining("java-file-log").hasMessageContaining("x.y.z");
        assertThatThrownBy(() -> PluginDescriptor.of(new SpacedName())).hasMessageContaining("invalid name");
        assertThatThrownBy(() -> PluginDescriptor.of(new Unannotated()))
                .hasMessageContaining(Unannotated.class.getName()).hasMessageContaining("@KongPlugin.Info");
    }

    /** Passes KongPlugin's parameter on to a subclass, which names the record. */
    abstract static class Generic<T extends Record> implements KongPlugin<T> {
    }

    @KongPlugin.Info(name = "bound-later", version = "1.0.0", priority = 1)
    static class BoundLater extends Generic<Config> {
    }

    @KongPlugin.Info(name = "left-open", version = "1.0.0", priority = 1)
    @SuppressWarnings("rawtypes")
    static class LeftOpen extends Generic {
    }

    @Test
    void theConfigTypeIsKongPluginsTypeArgument() {
        assertThat(PluginDescriptor.of(new FileLog()).configType()).isEqualTo(Config.class);
        assertThat(PluginDescriptor.of(new Multi()).configType()).isEqualTo(Config.class);
        assertThat(PluginDescriptor.of(new BoundLater()).configType()).isEqualTo(Config.class);
        assertThatThrownBy(() -> PluginDescriptor.of(new LeftOpen()))
                .hasMessageContaining("left-open").hasMessageContaining("implements KongPlugin<MyConfig>");
    }

    record Broken(Object anything) {
    }

    @KongPlugin.Info(name = "broken", version = "1.0.0", priority = 1)
    static class BrokenConfig implements KongPlugin<Broken> {
    }

    @Test
    void anUnmappableConfigNamesThePlugin() {
        assertThatThrownBy(() -> PluginDescriptor.of(new BrokenConfig())).hasMessageStartingWith("plugin broken: ");
    }

    @Test
    void schemaIsTheDerivedOne() {
        assertThat(PluginDescriptor.of(new FileLog()).schema()).isEqualTo(KongSchema.derive("java-file-log", Config.class));
        assertThat(PluginDescriptor.of(new FileLog()).schema()).containsEntry("name", "java-file-log");
        assertThat(PluginDescriptor.of(new FileLog()).toDumpInfo()).containsEntry("Priority", 9L).isInstanceOf(Map.class);
    }
}
