package io.kongjava.pdk;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** What the module exports is the API plugin authors use: the wire encodings and the bridge stay inside. */
class ModuleDescriptorTest {

    @Test
    void onlyTheAuthorsPackagesAreExported() throws Exception {
        Path classes = Path.of(KongPlugin.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        ModuleDescriptor descriptor;
        try (InputStream in = Files.newInputStream(classes.resolve("module-info.class"))) {
            descriptor = ModuleDescriptor.read(in);
        }
        Set<String> packages;
        try (Stream<Path> files = Files.walk(classes)) {
            packages = files.filter(f -> f.toString().endsWith(".class") && !f.endsWith("module-info.class"))
                    .map(f -> classes.relativize(f.getParent()).toString().replace('/', '.'))
                    .collect(Collectors.toSet());
        }
        Map<String, Set<String>> qualified = descriptor.exports().stream().filter(ModuleDescriptor.Exports::isQualified)
                .collect(Collectors.toMap(ModuleDescriptor.Exports::source, ModuleDescriptor.Exports::targets));
        Set<String> open = descriptor.exports().stream().filter(e -> !e.isQualified())
                .map(ModuleDescriptor.Exports::source).collect(Collectors.toSet());

        assertThat(descriptor.name()).isEqualTo("io.kongjava.pdk");
        assertThat(open).doesNotContain("io.kongjava.pdk.internal", "io.kongjava.pdk.bridge")
                .contains("io.kongjava.pdk", "io.kongjava.pdk.request", "io.kongjava.pdk.schema");
        assertThat(qualified).containsExactly(Map.entry("io.kongjava.pdk.bridge", Set.of("io.kongjava.server", "io.kongjava.pdk.testkit")));
        Set<String> unexported = packages.stream().filter(p -> !open.contains(p)).collect(Collectors.toSet());
        assertThat(unexported).as("every other package is part of the API").containsExactlyInAnyOrder(
                "io.kongjava.pdk.internal", "io.kongjava.pdk.bridge");
        assertThat(descriptor.opens()).isEmpty();
    }
}
