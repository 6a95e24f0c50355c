package io.kongjava.server;

import io.kongjava.pdk.KongPlugin;
import io.kongjava.pdk.schema.PluginDescriptor;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The plugins this server serves: every {@link KongPlugin} found by {@link ServiceLoader} on the class path
 * and in the jars of the plugins directory. A plugin that cannot be loaded or described is logged and left
 * out; it never stops the others.
 */
public final class PluginCatalog {

    private static final System.Logger LOG = System.getLogger(PluginCatalog.class.getName());

    /** A plugin with what Kong learns about it from the dump. */
    public record LoadedPlugin(KongPlugin<?> plugin, PluginDescriptor descriptor) {
        public String name() {
            return descriptor.name();
        }
    }

    private final Map<String, LoadedPlugin> plugins;

    private PluginCatalog(Map<String, LoadedPlugin> plugins) {
        this.plugins = plugins;
    }

    public static PluginCatalog of(Collection<? extends KongPlugin<?>> plugins) {
        Map<String, LoadedPlugin> byName = new TreeMap<>();
        for (KongPlugin<?> plugin : plugins) {
            add(byName, plugin);
        }
        return new PluginCatalog(byName);
    }

    /** Plugins on the class path plus those in {@code pluginsDirectory}'s jars (which may be {@code null}). */
    public static PluginCatalog load(Path pluginsDirectory) throws IOException {
        ClassLoader loader = PluginCatalog.class.getClassLoader();
        if (pluginsDirectory != null) {
            if (!Files.isDirectory(pluginsDirectory)) {
                throw new IOException("plugins directory " + pluginsDirectory + " does not exist or is not a directory");
            }
            List<URL> jars = new ArrayList<>();
            Map<String, List<Path>> providerJars = new TreeMap<>();
            try (Stream<Path> files = Files.list(pluginsDirectory)) {
                for (Path jar : files.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList()) {
                    jars.add(toUrl(jar));
                    for (String provider : providersIn(jar)) {
                        providerJars.computeIfAbsent(provider, k -> new ArrayList<>()).add(jar);
                    }
                }
            }
            refuseShadowed(pluginsDirectory, providerJars, loader);
            sharedClasses(jars).forEach(warning -> LOG.log(Level.WARNING, warning));
            loader = new URLClassLoader("kong-plugins", jars.toArray(URL[]::new), loader);
        }
        Map<String, LoadedPlugin> byName = new TreeMap<>();
        var providers = ServiceLoader.load(KongPlugin.class, loader).iterator();
        while (true) {
            KongPlugin<?> plugin;
            try {
                if (!providers.hasNext()) {
                    break;
                }
                plugin = providers.next();
            } catch (ServiceConfigurationError e) {
                LOG.log(Level.ERROR, "a plugin could not be loaded and is skipped: " + e.getMessage() + causes(e));
                continue;
            }
            try {
                add(byName, plugin);
            } catch (IllegalStateException twoOfAName) {
                throw new IOException(twoOfAName.getMessage(), twoOfAName);
            }
        }
        return new PluginCatalog(byName);
    }

    /** What a plugin's constructor threw, for instance: ServiceLoader's own message names only the class. */
    static String causes(Throwable e) {
        StringBuilder out = new StringBuilder();
        for (Throwable cause = e.getCause(); cause != null && out.length() < 1000; cause = cause.getCause()) {
            if (cause instanceof java.lang.reflect.InvocationTargetException) {
                continue;
            }
            out.append(": ").append(cause);
        }
        return out.toString();
    }

    private static void add(Map<String, LoadedPlugin> byName, KongPlugin<?> plugin) {
        PluginDescriptor descriptor;
        try {
            descriptor = PluginDescriptor.of(plugin);
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "plugin " + plugin.getClass().getName() + " is skipped: " + e.getMessage());
            return;
        }
        LoadedPlugin previous = byName.putIfAbsent(descriptor.name(), new LoadedPlugin(plugin, descriptor));
        if (previous != null) {
            // which one Kong would get would depend on the order jars are found in: refuse rather than guess
            throw new IllegalStateException("two plugins are named " + descriptor.name() + ": " + previous.plugin().getClass().getName()
                    + " (" + source(previous.plugin().getClass()) + ") and " + plugin.getClass().getName() + " (" + source(plugin.getClass())
                    + "); remove or rename one");
        }
    }

    /**
     * Two jars in plugins/ holding the same classes (a library copied twice, in two versions, or shaded into two plugins):
     * the one class loader takes each class from the first jar, so the other's version never runs. Said once per pair.
     */
    static List<String> sharedClasses(List<URL> jars) {
        Map<String, String> firstJar = new java.util.HashMap<>();
        Map<String, List<String>> shared = new TreeMap<>();
        for (URL url : jars) {
            Path jar;
            try {
                jar = Path.of(url.toURI());
            } catch (java.net.URISyntaxException e) {
                continue;
            }
            try (java.util.jar.JarFile file = new java.util.jar.JarFile(jar.toFile())) {
                for (var entries = file.entries(); entries.hasMoreElements(); ) {
                    String name = entries.nextElement().getName();
                    if (!name.endsWith(".class") || name.startsWith("META-INF/") || name.endsWith("module-info.class")) {
                        continue;
                    }
                    String earlier = firstJar.putIfAbsent(name, jar.getFileName().toString());
                    if (earlier != null) {
                        shared.computeIfAbsent(earlier + " and " + jar.getFileName(), k -> new ArrayList<>()).add(name);
                    }
                }
            } catch (IOException e) {
                // an unreadable jar is reported when its classes are loaded
            }
        }
        List<String> warnings = new ArrayList<>();
        shared.forEach((pair, classes) -> warnings.add("plugins directory: " + pair + " hold " + classes.size()
                + " of the same classes (" + classes.getFirst().replace('/', '.').replaceAll("\\.class$", "")
                + (classes.size() > 1 ? ", ..." : "") + "); each is loaded from the first, so keep one copy"));
        return warnings;
    }

    /** The classes a plugin jar declares as {@link KongPlugin} providers. */
    private static List<String> providersIn(Path jar) throws IOException {
        try (java.util.jar.JarFile file = new java.util.jar.JarFile(jar.toFile())) {
            var entry = file.getJarEntry("META-INF/services/" + KongPlugin.class.getName());
            if (entry == null) {
                return List.of();
            }
            String text = new String(file.getInputStream(entry).readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            List<String> providers = new ArrayList<>();
            for (String line : text.split("\\R")) {
                String name = line.replaceFirst("#.*", "").strip();
                if (!name.isEmpty()) {
                    providers.add(name);
                }
            }
            return providers;
        } catch (java.util.zip.ZipException e) {
            throw new IOException("plugin jar " + jar + " is not a jar: " + e.getMessage(), e);
        }
    }

    /**
     * One class loader serves every plugin jar, first found first: a plugin class in two jars (an old and a new version
     * side by side) or also in lib/ would run whichever comes first, silently. That is refused, naming the jars.
     */
    private static void refuseShadowed(Path directory, Map<String, List<Path>> providerJars, ClassLoader parent) throws IOException {
        List<String> problems = new ArrayList<>();
        providerJars.forEach((provider, jars) -> {
            if (jars.size() > 1) {
                problems.add(provider + " is in " + jars.stream().map(p -> p.getFileName().toString()).toList()
                        + " (keep one version's jar)");
            } else if (parent.getResource(provider.replace('.', '/') + ".class") != null) {
                // the same build on the class path too (the gateway running the server in its JVM, a test): the class
                // path's copy is the one loaded, so only say so
                LOG.log(Level.WARNING, provider + " in " + jars.getFirst().getFileName() + " is also on the server's class path,"
                        + " whose copy is the one loaded");
            }
        });
        if (!problems.isEmpty()) {
            throw new IOException("plugins directory " + directory + ": " + String.join("; ", problems));
        }
    }

    private static String source(Class<?> type) {
        var location = type.getProtectionDomain().getCodeSource();
        if (location == null || location.getLocation() == null) {
            return "the server's class path";
        }
        String path = location.getLocation().getPath();
        return path.substring(path.lastIndexOf('/', path.length() - 2) + 1);
    }

    private static URL toUrl(Path jar) throws IOException {
        try {
            return jar.toUri().toURL();
        } catch (MalformedURLException e) {
            throw new IOException("bad plugin jar path " + jar, e);
        }
    }

    public Optional<LoadedPlugin> find(String name) {
        return Optional.ofNullable(plugins.get(name));
    }

    public Collection<LoadedPlugin> all() {
        return plugins.values();
    }
}
