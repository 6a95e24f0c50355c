package io.kongjava.pdk.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.kongjava.pdk.KongPlugin;
import io.kongjava.pdk.schema.PluginDescriptor;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Compiles plugin sources with the processor against the real PDK, as a plugin's build does. */
class KongPluginProcessorTest {

    @TempDir
    Path output;

    record Compilation(boolean success, List<String> errors, List<String> warnings, Path output) {
        String serviceFile() throws IOException {
            return Files.readString(output.resolve(KongPluginProcessor.SERVICE_FILE));
        }
    }

    private Compilation compile(String... sources) {
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        List<JavaFileObject> units = new ArrayList<>();
        for (String source : sources) {
            String className = source.replaceFirst("(?s).*?package ([\\w.]+);.*?(class|interface|record) (\\w+).*", "$1.$3");
            units.add(new SimpleJavaFileObject(java.net.URI.create("string:///" + className.replace('.', '/') + ".java"),
                    JavaFileObject.Kind.SOURCE) {
                @Override
                public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                    return source;
                }
            });
        }
        var task = compiler.getTask(null, null, diagnostics,
                List.of("-d", output.toString(), "-classpath", System.getProperty("java.class.path"), "-proc:full"), null, units);
        task.setProcessors(List.of(new KongPluginProcessor()));
        boolean success = task.call();
        List<String> errors = diagnostics.getDiagnostics().stream()
                .filter(d -> d.getKind() == Diagnostic.Kind.ERROR)
                .map(d -> d.getMessage(Locale.ROOT)).toList();
        List<String> warnings = diagnostics.getDiagnostics().stream()
                .filter(d -> d.getKind() == Diagnostic.Kind.WARNING || d.getKind() == Diagnostic.Kind.MANDATORY_WARNING)
                .map(d -> d.getMessage(Locale.ROOT)).toList();
        return new Compilation(success, errors, warnings, output);
    }

    private static final String HELLO = """
            package demo;

            import io.kongjava.pdk.Kong;
            import io.kongjava.pdk.KongPlugin;
            import java.util.Optional;

            @KongPlugin.Info(name = "demo-hello", version = "1.2.3", priority = 1000)
            public final class Hello implements KongPlugin<Hello.Config> {
                public record Config(Optional<String> message) {
                }

                @Override
                public void access(Kong kong, Config config) {
                }

                /** A second plugin, nested: registered under its binary name. */
                @KongPlugin.Info(name = "demo-nested", version = "0.1", priority = -5)
                public static final class Nested implements KongPlugin<Config> {
                }
            }
            """;

    @Test
    void aValidPluginIsRegisteredAndTheServerDescribesIt() throws Exception {
        Compilation compilation = compile(HELLO);

        assertThat(compilation.errors()).isEmpty();
        assertThat(compilation.success()).isTrue();
        assertThat(compilation.serviceFile()).isEqualTo("demo.Hello\ndemo.Hello$Nested\n");

        try (URLClassLoader loader = new URLClassLoader(new URL[] {output.toUri().toURL()}, getClass().getClassLoader())) {
            @SuppressWarnings("rawtypes") // ServiceLoader wants the raw class of a generic service
            ServiceLoader<KongPlugin> plugins = ServiceLoader.load(KongPlugin.class, loader);
            List<PluginDescriptor> described = plugins.stream().map(provider -> PluginDescriptor.of(provider.get())).toList();
            assertThat(described).extracting(PluginDescriptor::name, PluginDescriptor::version, PluginDescriptor::priority)
                    .containsExactly(tuple("demo-hello", "1.2.3", 1000),
                            tuple("demo-nested", "0.1", -5));
            assertThat(described.getFirst().configType().getName()).isEqualTo("demo.Hello$Config");
        }
    }

    @Test
    void entriesOfAnEarlierCompilationAreKept() throws Exception {
        Files.createDirectories(output.resolve("META-INF/services"));
        Files.writeString(output.resolve(KongPluginProcessor.SERVICE_FILE), "demo.Earlier # from an incremental build\n");

        Compilation compilation = compile(HELLO);

        assertThat(compilation.errors()).isEmpty();
        assertThat(compilation.serviceFile()).isEqualTo("demo.Earlier\ndemo.Hello\ndemo.Hello$Nested\n");
    }

    @Test
    void aRecordWithoutComponentsCanBeAPlugin() throws Exception {
        Compilation compilation = compile("""
                package demo;
                @io.kongjava.pdk.KongPlugin.Info(name = "demo-record", version = "1.0.0", priority = 5)
                public record Stateless() implements io.kongjava.pdk.KongPlugin<Stateless.Config> {
                    public record Config(String path) {}
                }
                """);

        assertThat(compilation.errors()).isEmpty();
        assertThat(compilation.serviceFile()).isEqualTo("demo.Stateless\n");
        assertThat(compilation.warnings()).as("it has no phase: Kong would never call it")
                .anySatisfy(w -> assertThat(w).contains("plugin demo.Stateless overrides no phase method"));
    }

    @Test
    void aMisspeltPhaseMethodIsWarnedAboutAndARealOneIsNot() throws Exception {
        Compilation misspelt = compile("""
                package demo;
                import io.kongjava.pdk.Kong;
                @io.kongjava.pdk.KongPlugin.Info(name = "typo", version = "1.0.0", priority = 5)
                public final class Typo implements io.kongjava.pdk.KongPlugin<Typo.Config> {
                    public record Config() {}
                    public void acess(Kong kong, Config config) {}
                }
                """);
        assertThat(misspelt.warnings()).anySatisfy(w -> assertThat(w).contains("plugin demo.Typo overrides no phase method"));

        assertThat(compile(HELLO).warnings()).noneSatisfy(w -> assertThat(w).contains("plugin demo.Hello overrides no phase method"));
    }

    @Test
    void aPluginWithoutInfoDoesNotCompile() {
        Compilation compilation = compile("""
                package demo;
                public class Bare implements io.kongjava.pdk.KongPlugin<Bare.Config> {
                    public record Config(String path) {}
                }
                """);

        assertThat(compilation.success()).isFalse();
        assertThat(compilation.errors()).singleElement().asString()
                .contains("demo.Bare needs @KongPlugin.Info(name = \"...\", version = \"x.y.z\", priority = ...)");
        assertThat(output.resolve(KongPluginProcessor.SERVICE_FILE)).doesNotExist();
    }

    @Test
    void aBadNameOrVersionIsAnErrorOnTheAnnotation() {
        Compilation compilation = compile("""
                package demo;
                @io.kongjava.pdk.KongPlugin.Info(name = "Demo Plugin", version = "1.0.0-SNAPSHOT", priority = 1)
                public class Named implements io.kongjava.pdk.KongPlugin<Named.Config> {
                    public record Config(String path) {}
                }
                """);

        assertThat(compilation.success()).isFalse();
        assertThat(compilation.errors()).containsExactlyInAnyOrder(
                "invalid plugin name \"Demo Plugin\": use lower-case letters, digits, '-' and '_' (it is the name in Kong's plugins setting)",
                "invalid plugin version \"1.0.0-SNAPSHOT\": Kong wants x.y.z (or x.y)");
    }

    @Test
    void aMissingPriorityIsJavacsOwnError() {
        Compilation compilation = compile("""
                package demo;
                @io.kongjava.pdk.KongPlugin.Info(name = "demo", version = "1.0.0")
                public class NoPriority implements io.kongjava.pdk.KongPlugin<NoPriority.Config> {
                    public record Config(String path) {}
                }
                """);

        assertThat(compilation.success()).isFalse();
        assertThat(compilation.errors()).anySatisfy(error -> assertThat(error).contains("priority"));
    }

    @Test
    void theConfigTypeMustBeARecordNamedAsTypeArgument() {
        Compilation compilation = compile("""
                package demo;
                @io.kongjava.pdk.KongPlugin.Info(name = "raw", version = "1.0.0", priority = 1)
                @SuppressWarnings("rawtypes")
                public class Raw implements io.kongjava.pdk.KongPlugin {
                }
                """, """
                package demo;
                public abstract class Base<C extends Record> implements io.kongjava.pdk.KongPlugin<C> {
                }
                """, """
                package demo;
                @io.kongjava.pdk.KongPlugin.Info(name = "bound", version = "1.0.0", priority = 1)
                public class Bound extends Base<Bound.Config> {
                    public record Config(String path) {}
                }
                """);

        assertThat(compilation.success()).isFalse();
        assertThat(compilation.errors()).singleElement().asString()
                .contains("demo.Raw must name its config record as KongPlugin's type argument").contains("raw KongPlugin");
    }

    @Test
    void everyConfigComponentMustHaveAKongSchemaTypeAndEachOneThatHasNoneIsNamed() {
        Compilation compilation = compile("""
                package demo;
                import java.util.*;
                @io.kongjava.pdk.KongPlugin.Info(name = "odd", version = "1.0.0", priority = 1)
                public class Odd implements io.kongjava.pdk.KongPlugin<Odd.Config> {
                    public enum Mode { FAST, SAFE }
                    public record Limit(Optional<Integer> per, java.time.Duration window) {}
                    public record Config(String name, Optional<List<Limit>> limits, Map<Integer, String> byCode, char c,
                                         Set<Mode> modes, Map<String, List<Long>> quotas, List<Optional<String>> nested,
                                         Object anything) {}
                }
                """);

        assertThat(compilation.success()).isFalse();
        assertThat(compilation.errors()).containsExactlyInAnyOrder(
                "Limit.window: type java.time.Duration has no Kong schema type (use String, int/long/double/boolean and their boxes,"
                        + " enums, records, List, Set, Map<String, V>, Optional)",
                "Config.byCode: map keys must be String (Kong map keys are strings)",
                "Config.c: type char has no Kong schema type (use String, int/long/double/boolean and their boxes, enums, records,"
                        + " List, Set, Map<String, V>, Optional)",
                "Config.nested[]: Optional is only allowed as a record component's own type",
                "Config.anything: type java.lang.Object has no Kong schema type (use String, int/long/double/boolean and their boxes,"
                        + " enums, records, List, Set, Map<String, V>, Optional)");
    }

    @Test
    void aDefaultThatCannotBindToItsComponentIsAnErrorOnTheAnnotation() {
        Compilation compilation = compile("""
                package demo;
                import io.kongjava.pdk.schema.Default;
                import io.kongjava.pdk.schema.KongName;
                import java.util.*;
                @io.kongjava.pdk.KongPlugin.Info(name = "guard", version = "1.0.0", priority = 1)
                public class Guard implements io.kongjava.pdk.KongPlugin<Guard.Config> {
                    public enum Mode { ENFORCE, @KongName("dry-run") DRY_RUN }
                    public record Limits(@Default("ten") int perMinute, @Default("1.5") double burst) {}
                    public record Config(@Default("ENFORCE") Mode mode, @Default("dry-run") Mode fallback, @Default("abc") int times,
                                         @Default("yes") boolean strict, @Default("2") OptionalLong cap, @Default("x") OptionalInt bad,
                                         @Default("anything") String note, Limits limits) {}
                }
                """);

        assertThat(compilation.success()).isFalse();
        assertThat(compilation.errors()).containsExactlyInAnyOrder(
                "Config.mode: @Default(\"ENFORCE\") is not one of [enforce, dry-run] (the constants' Kong names)",
                "Config.times: @Default(\"abc\") is not an integer",
                "Config.strict: @Default(\"yes\") is not true or false",
                "Config.bad: @Default(\"x\") is not an integer",
                "Limits.perMinute: @Default(\"ten\") is not an integer");
    }

    @Test
    void thePluginServerMustBeAbleToCreateIt() {
        Compilation compilation = compile("""
                package demo;
                @io.kongjava.pdk.KongPlugin.Info(name = "hidden", version = "1.0.0", priority = 1)
                class Hidden implements io.kongjava.pdk.KongPlugin<Hidden.Config> {
                    public record Config(String path) {}
                }
                """, """
                package demo;
                @io.kongjava.pdk.KongPlugin.Info(name = "needs-args", version = "1.0.0", priority = 1)
                public class NeedsArgs implements io.kongjava.pdk.KongPlugin<NeedsArgs.Config> {
                    public record Config(String path) {}
                    public NeedsArgs(String greeting) {}
                }
                """, """
                package demo;
                @io.kongjava.pdk.KongPlugin.Info(name = "not-a-plugin", version = "1.0.0", priority = 1)
                public class NotAPlugin {
                }
                """);

        assertThat(compilation.errors()).containsExactlyInAnyOrder(
                "plugin class demo.Hidden must be public (and static when nested): the plugin server creates it through ServiceLoader",
                "plugin class demo.NeedsArgs needs a public constructor without arguments: the plugin server creates it through ServiceLoader",
                "@KongPlugin.Info is only for classes that implement KongPlugin");
    }
}
