package io.kongjava.archetype;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a plugin author does: generate a project from the archetype and build it. Both Maven runs use a
 * local repository of their own, holding what {@code mvn install} of this reactor would have put there
 * (the published modules, the parent, the archetype), so the user's {@code ~/.m2} never receives these
 * snapshots. Every other artifact is read from the outer build's local repository as a {@code file://}
 * mirror: no network.
 */
class ArchetypeIT {

    /** Directory of each module a plugin project needs, with its artifactId. */
    private static final Map<String, String> PUBLISHED = Map.of(
            "pdk-catalogue", "kong-java-pdk-catalogue",
            "protocol", "kong-java-protocol",
            "kong-client", "kong-java-kong-client",
            "http", "kong-java-http",
            "relay", "kong-java-relay",
            "pdk", "kong-java-pdk",
            "pdk-processor", "kong-java-pdk-processor",
            "kong-emulation", "kong-java-emulation",
            "pdk-testkit", "kong-java-pdk-testkit");

    private static final String ARCHETYPE_PLUGIN = "org.apache.maven.plugins:maven-archetype-plugin:3.3.1:generate";

    @TempDir
    Path work;

    @Test
    void generatesAPluginProjectWhoseBuildAndTestsPass() throws Exception {
        Path mvn = Path.of(System.getProperty("maven.home", "/nonexistent"), "bin", "mvn");
        assumeThat(Files.isExecutable(mvn)).as("no Maven at maven.home to run the generated build with").isTrue();
        Path root = Path.of(System.getProperty("reactor.root")).toRealPath();
        String version = System.getProperty("project.version");
        Path repo = work.resolve("repo");

        install(repo, "kong-java-pdk-parent", version, root.resolve("pom.xml"), null);
        for (var module : PUBLISHED.entrySet()) {
            Path dir = root.resolve(module.getKey());
            install(repo, module.getValue(), version, dir.resolve("pom.xml"),
                    dir.resolve("target").resolve(module.getValue() + "-" + version + ".jar"));
        }
        install(repo, "kong-java-plugin-archetype", version, root.resolve("archetype/pom.xml"), Path.of(System.getProperty("archetype.jar")));
        Path settings = work.resolve("settings.xml");
        Files.writeString(settings, """
                <settings>
                  <mirrors>
                    <mirror><id>outer-build</id><mirrorOf>*</mirrorOf><url>%s</url></mirror>
                  </mirrors>
                </settings>
                """.formatted(Path.of(System.getProperty("outer.repository")).toUri()));
        List<String> maven = List.of(mvn.toString(), "-B", "-ntp", "-s", settings.toString(), "-Dmaven.repo.local=" + repo);

        run(work, maven, ARCHETYPE_PLUGIN, "-DinteractiveMode=false",
                "-DarchetypeGroupId=io.kongjava", "-DarchetypeArtifactId=kong-java-plugin-archetype", "-DarchetypeVersion=" + version,
                "-DgroupId=com.example.kong", "-DartifactId=My-Greeting", "-Dversion=1.0.0-SNAPSHOT", "-Dpackage=com.example.kong");
        Path project = work.resolve("My-Greeting");
        assertThat(project.resolve("src/main/java/com/example/kong/HelloPlugin.java")).content()
                .as("Kong's plugin names are lower case: the artifactId's, lower-cased")
                .contains("@KongPlugin.Info(name = \"my-greeting\", version = \"0.1.0\", priority = 1000)");

        run(project, maven, "verify");
        Path report = project.resolve("target/surefire-reports/TEST-com.example.kong.HelloPluginTest.xml");
        Matcher counts = Pattern.compile("tests=\"(\\d+)\" errors=\"(\\d+)\" skipped=\"(\\d+)\" failures=\"(\\d+)\"")
                .matcher(Files.readString(report));
        assertThat(counts.find()).as("test counts in %s", report).isTrue();
        assertThat(List.of(counts.group(1), counts.group(2), counts.group(3), counts.group(4))).containsExactly("2", "0", "0", "0");
        assertThat(project.resolve("target/classes/META-INF/services/io.kongjava.pdk.KongPlugin")).hasContent("com.example.kong.HelloPlugin");
        assertThat(project.resolve("target/My-Greeting-1.0.0-SNAPSHOT.jar")).exists();
    }

    /** Puts a pom (and jar) where {@code mvn install} would: a locally installed artifact, as Maven sees it. */
    private static void install(Path repo, String artifactId, String version, Path pom, Path jar) throws IOException {
        Path dir = repo.resolve("io/kongjava").resolve(artifactId).resolve(version);
        Files.createDirectories(dir);
        Files.copy(pom, dir.resolve(artifactId + "-" + version + ".pom"), StandardCopyOption.REPLACE_EXISTING);
        if (jar != null) {
            assertThat(jar).as("the reactor builds %s before this test", artifactId).exists();
            Files.copy(jar, dir.resolve(artifactId + "-" + version + ".jar"), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void run(Path dir, List<String> maven, String... arguments) throws Exception {
        List<String> command = new ArrayList<>(maven);
        command.addAll(List.of(arguments));
        Path log = Files.createTempFile(dir, "mvn", ".log");
        Process process = new ProcessBuilder(command).directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean ended = process.waitFor(3, TimeUnit.MINUTES);
        if (!ended) {
            process.destroyForcibly();
        }
        String output = Files.readString(log);
        assertThat(ended && process.exitValue() == 0)
                .as("%s in %s ended %s:%n%s", String.join(" ", arguments), dir,
                        ended ? "with " + process.exitValue() : "not within 3 minutes",
                        output.lines().skip(Math.max(0, output.lines().count() - 60)).reduce("", (a, b) -> a + b + "\n"))
                .isTrue();
    }
}
