package io.kongjava.catalogue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Checks the catalogue against Kong's PDK as it is available offline: the TypeScript typings of npm's
 * kong-pdk, which Kong generates from its Lua PDK (kong/pdk/*.lua) and which {@code ./test.sh} installs.
 */
class AgainstKongTypingsTest {

    private static final Path TYPINGS = Path.of("../testing/js-pluginserver/node_modules/kong-pdk/kong").toAbsolutePath().normalize();
    /** {@code    getHeaders(max_headers?: number): Promise<...>} in an interface of a .d.ts file. */
    private static final Pattern METHOD = Pattern.compile("^\\s{4}([a-zA-Z0-9]+)\\((.*?)\\):\\s*Promise", Pattern.MULTILINE);

    /** Kong's function name to its parameter names, as the typings list them. */
    private static Map<String, List<String>> kongFunctions;

    /** Per test rather than per class, so that each skipped test reports the reason. */
    @BeforeEach
    void readTypings() throws IOException {
        boolean installed = Files.isDirectory(TYPINGS);
        if (!installed && "true".equals(System.getenv("CI"))) {
            throw new IllegalStateException("CI must install kong-pdk: (cd testing/js-pluginserver && npm ci)");
        }
        assumeTrue(installed, "kong-pdk is not installed; run (cd testing/js-pluginserver && npm ci) to check the catalogue against Kong's PDK");
        if (kongFunctions != null) {
            return;
        }
        Map<String, List<String>> read = new TreeMap<>();
        try (Stream<Path> files = Files.walk(TYPINGS)) {
            for (Path file : files.filter(p -> p.toString().endsWith(".d.ts")).toList()) {
                String namespace = namespaceOf(TYPINGS.relativize(file).toString());
                Matcher m = METHOD.matcher(Files.readString(file));
                while (m.find()) {
                    read.put(namespace + snakeCase(m.group(1)), parameterNames(m.group(2)));
                }
            }
        }
        assertThat(read).as("functions read from " + TYPINGS).hasSizeGreaterThan(100);
        kongFunctions = read;
    }

    @Test
    void everyFunctionOfKongsPdkIsInTheCatalogue() {
        List<String> missing = kongFunctions.keySet().stream().filter(name -> PdkFunction.byKongName(name).isEmpty()).toList();
        assertThat(missing).as("Kong's PDK functions the catalogue does not list").isEmpty();
    }

    @Test
    void whatTheTypingsLackIsExplained() {
        for (PdkFunction f : PdkFunction.values()) {
            boolean explained = f.note().filter(n -> n.kind() == PdkFunction.Note.Kind.NOT_IN_TYPINGS).isPresent();
            assertThat(explained).as(f.kongName() + (explained ? " is said to be missing from the typings but is there"
                    : " is not in Kong's typings and the catalogue does not say why")).isEqualTo(!kongFunctions.containsKey(f.kongName()));
        }
    }

    @Test
    void argumentRangesNameKongsParameters() {
        for (PdkFunction f : PdkFunction.values()) {
            List<String> parameters = kongFunctions.get(f.kongName());
            for (PdkFunction.ArgRange range : f.ranges()) {
                if (parameters != null && range.position() <= parameters.size()) {
                    assertThat(parameters.get(range.position() - 1)).as(f.kongName() + " argument #" + range.position())
                            .isEqualTo(range.name());
                }
            }
        }
    }

    /** {@code service/request.d.ts} is {@code kong.service.request.}; an {@code index.d.ts} is its folder's. */
    private static String namespaceOf(String relative) {
        String path = relative.replace('\\', '/').replaceAll("\\.d\\.ts$", "").replaceAll("(^|/)index$", "");
        return path.isEmpty() ? "kong." : "kong." + path.replace('/', '.') + ".";
    }

    private static String snakeCase(String camel) {
        return camel.replaceAll("([A-Z])", "_$1").toLowerCase(java.util.Locale.ROOT);
    }

    private static List<String> parameterNames(String declaration) {
        List<String> names = new ArrayList<>();
        for (String parameter : declaration.split(",")) {
            Matcher m = Pattern.compile("^\\s*([a-zA-Z0-9_]+)\\??\\s*:").matcher(parameter);
            if (m.find()) {
                names.add(m.group(1));
            }
        }
        return names;
    }
}
