package io.kongjava.pdk.schema;

import io.kongjava.pdk.Kong;
import io.kongjava.pdk.KongPlugin;
import io.kongjava.pdk.Phase;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What Kong learns about a plugin from the query command ({@code --dump-plugin-info}): name, version,
 * priority, the phases to delegate, and the schema.
 *
 * @param phases the phase methods the plugin class overrides, in Kong's order
 *               (certificate, rewrite, access, response, preread, log)
 * @param schema Kong's plugin schema, see {@link KongSchema}
 */
public record PluginDescriptor(String name, String version, int priority, List<Phase> phases, Map<String, Object> schema) {

    private static final Pattern VERSION = Pattern.compile("^\\d+\\.\\d+(\\.\\d+)?$");
    private static final Pattern NAME = Pattern.compile("^[a-z0-9][a-z0-9_-]*$");

    public PluginDescriptor {
        phases = List.copyOf(phases);
    }

    /**
     * Describes {@code plugin}.
     *
     * @throws IllegalArgumentException when the name is not a Kong plugin name (lower-case letters,
     *         digits, {@code -} and {@code _}), the version is not {@code x.y.z} (or {@code x.y}), or the
     *         config record cannot be mapped to a Kong schema; the message says which plugin and why
     */
    public static PluginDescriptor of(KongPlugin<?> plugin) {
        String className = plugin.getClass().getName();
        String name = plugin.name();
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("plugin " + className + ": invalid name '" + name
                    + "' (use lower-case letters, digits, '-' and '_', as in Kong's plugins setting)");
        }
        String version = plugin.version();
        if (version == null || !VERSION.matcher(version).matches()) {
            throw new IllegalArgumentException("plugin " + name + ": version '" + version + "' is not in Kong's x.y.z form");
        }
        if (plugin.configType() == null) {
            throw new IllegalArgumentException("plugin " + name + ": configType() returned null");
        }
        Map<String, Object> schema;
        try {
            schema = KongSchema.derive(plugin);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("plugin " + name + ": " + e.getMessage(), e);
        }
        return new PluginDescriptor(name, version, plugin.priority(), implementedPhases(plugin.getClass()), schema);
    }

    /** The dump's plugin info object: {@code {"Name", "Version", "Priority", "Phases", "Schema"}}. */
    public Map<String, Object> toDumpInfo() {
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("Name", name);
        info.put("Version", version);
        info.put("Priority", (long) priority);
        info.put("Phases", phases.stream().map(Phase::kongName).toList());
        info.put("Schema", schema);
        return Collections.unmodifiableMap(info);
    }

    /** The phase methods that {@code pluginClass} (or a class or interface between it and KongPlugin) declares. */
    public static List<Phase> implementedPhases(Class<?> pluginClass) {
        Set<Phase> found = EnumSet.noneOf(Phase.class);
        Deque<Class<?>> todo = new ArrayDeque<>();
        Set<Class<?>> seen = new HashSet<>();
        todo.add(pluginClass);
        while (!todo.isEmpty()) {
            Class<?> type = todo.poll();
            if (type == Object.class || type == KongPlugin.class || !seen.add(type)) {
                continue;
            }
            for (Method method : type.getDeclaredMethods()) {
                if (Modifier.isStatic(method.getModifiers()) || Modifier.isAbstract(method.getModifiers())) {
                    continue;
                }
                Class<?>[] params = method.getParameterTypes();
                if (params.length == 2 && params[0] == Kong.class && Record.class.isAssignableFrom(params[1])) {
                    Phase.fromKongName(method.getName()).ifPresent(found::add);
                }
            }
            if (type.getSuperclass() != null) {
                todo.add(type.getSuperclass());
            }
            todo.addAll(List.of(type.getInterfaces()));
        }
        if (io.kongjava.pdk.filter.FiltersResponse.class.isAssignableFrom(pluginClass)) {
            // The server decides in access whether the request's response goes through the relay.
            found.add(Phase.ACCESS);
        }
        return List.copyOf(new ArrayList<>(found));
    }
}
