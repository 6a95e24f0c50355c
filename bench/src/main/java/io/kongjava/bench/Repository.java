package io.kongjava.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Paths into the checkout the benchmarks run from (the distribution must have been built). */
final class Repository {

    private Repository() {
    }

    static Path root() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("kong-config"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("run the benchmarks from inside the repository (no kong-config/ above " + Path.of("").toAbsolutePath() + ")");
        }
        return dir;
    }

    static Path bin(String name) {
        Path bin = root().resolve("distribution/target/kong-java-pdk/bin").resolve(name);
        if (!Files.isExecutable(bin)) {
            throw new IllegalStateException(bin + " is missing: build the distribution first (mvn -DskipTests package), or use bench/run.sh");
        }
        return bin;
    }

    /** The bench plugin's own jar (PdkCallsPlugin only), built by the bench module's package phase. */
    static Path pluginJar() throws IOException {
        Path target = root().resolve("bench/target");
        try (Stream<Path> files = Files.exists(target) ? Files.list(target) : Stream.empty()) {
            return files.filter(p -> p.getFileName().toString().endsWith("-plugin.jar")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no *-plugin.jar in " + target
                            + ": run mvn -DskipTests package -pl bench -am, or use bench/run.sh"));
        }
    }
}
