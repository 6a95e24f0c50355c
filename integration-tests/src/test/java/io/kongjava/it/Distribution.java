package io.kongjava.it;

import java.nio.file.Files;
import java.nio.file.Path;

/** The distribution tree that `mvn package` lays out, as Kong and the local gateway use it. */
final class Distribution {

    static final Path HOME = Path.of("../distribution/target/kong-java-pdk").toAbsolutePath().normalize();

    private Distribution() {
    }

    /** The checkout's top directory (tests run in integration-tests/). */
    static Path repositoryRoot() {
        return Path.of("..").toAbsolutePath().normalize();
    }

    static Path bin(String name) {
        Path bin = HOME.resolve("bin").resolve(name);
        if (!Files.isExecutable(bin)) {
            throw new IllegalStateException(bin + " is missing: build the distribution first (mvn package)");
        }
        return bin;
    }
}
