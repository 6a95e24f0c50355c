package io.kongjava.pdk.schema;

import io.kongjava.pdk.Kong;
import io.kongjava.pdk.KongPlugin;
import io.kongjava.pdk.Phase;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What Kong learns about a plugin from the query command ({@code --dump-plugin-info}): name, version,
 * priority (from {@link KongPlugin.Info}), the phases to delegate, and the schema (from the config record,
 * the type argument of {@code KongPlugin}).
 *
 * @param phases the phase methods the plugin class overrides, in Kong's order
 *               (certificate, rewrite, access, response, preread, log)
 * @param schema Kong's plugin schema, see {@link KongSchema}
 * @param configType the configuration record the plugin class names in {@code implements KongPlugin<...>}
 */
public record PluginDescriptor(String name, String version, int priority, List<Phase> phases, Map<String, Object> schema,
                               Class<? extends Record> configType) {

    private static final Pattern VERSION = Pattern.compile("^\\d+\\.\\d+(\\.\\d+)?$");
    private static final Pattern NAME = Pattern.compile("^[a-z0-9][a-z0-9_-]*$");

    public PluginDescriptor {
        phases = List.copyOf(phases);
    }

    /**
     * Describes {@code plugin}.
     *
     * @throws IllegalArgumentException when the class has no {@link KongPlugin.Info}, the name is not a Kong
     *         plugin name (lower-case letters, digits, {@code -} and {@code _}), the version is not
     *         {@code x.y.z} (or {@code x.y}), the config type is not a record named as {@code KongPlugin}'s
     *         type argument, or the record cannot be mapped to a Kong schema; the message says which plugin and why
     */
    public static PluginDescriptor of(KongPlugin<?> plugin) {
        Class<?> pluginClass = plugin.getClass();
        String className = pluginClass.getName();
        KongPlugin.Info info = pluginClass.getAnnotation(KongPlugin.Info.class);
        if (info == null) {
            throw new IllegalArgumentException("plugin " + className
                    + " has no @KongPlugin.Info(name = ..., version = ..., priority = ...)");
        }
        String name = info.name();
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("plugin " + className + ": invalid name '" + name
                    + "' (use lower-case letters, digits, '-' and '_', as in Kong's plugins setting)");
        }
        String version = info.version();
        if (!VERSION.matcher(version).matches()) {
            throw new IllegalArgumentException("plugin " + name + ": version '" + version + "' is not in Kong's x.y.z form");
        }
        Class<? extends Record> configType = configType(pluginClass)
                .orElseThrow(() -> new IllegalArgumentException("plugin " + name + ": " + className
                        + " does not name its config record as the type argument of KongPlugin (implements KongPlugin<MyConfig>)"));
        Map<String, Object> schema;
        try {
            schema = KongSchema.derive(name, configType);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("plugin " + name + ": " + e.getMessage(), e);
        }
        return new PluginDescriptor(name, version, info.priority(), implementedPhases(pluginClass), schema, configType);
    }

    /**
     * The record bound to {@code KongPlugin}'s type parameter by {@code pluginClass}, directly or through
     * superclasses and interfaces that pass their own type parameters on; empty when it is left open or raw.
     */
    public static Optional<Class<? extends Record>> configType(Class<?> pluginClass) {
        Type argument = kongPluginArgument(pluginClass, Map.of());
        if (argument instanceof Class<?> type && type.isRecord()) {
            return Optional.of(type.asSubclass(Record.class));
        }
        return Optional.empty();
    }

    private static Type kongPluginArgument(Class<?> type, Map<TypeVariable<?>, Type> bindings) {
        List<Type> supertypes = new ArrayList<>(List.of(type.getGenericInterfaces()));
        if (type.getGenericSuperclass() != null) {
            supertypes.add(type.getGenericSuperclass());
        }
        for (Type supertype : supertypes) {
            Class<?> raw;
            Map<TypeVariable<?>, Type> next = new HashMap<>();
            if (supertype instanceof ParameterizedType parameterized) {
                raw = (Class<?>) parameterized.getRawType();
                TypeVariable<?>[] variables = raw.getTypeParameters();
                Type[] arguments = parameterized.getActualTypeArguments();
                for (int i = 0; i < variables.length; i++) {
                    Type argument = arguments[i];
                    next.put(variables[i], argument instanceof TypeVariable<?> variable && bindings.containsKey(variable)
                            ? bindings.get(variable) : argument);
                }
            } else if (supertype instanceof Class<?> plain) {
                raw = plain;
            } else {
                continue;
            }
            if (raw == KongPlugin.class) {
                return next.get(KongPlugin.class.getTypeParameters()[0]);
            }
            if (KongPlugin.class.isAssignableFrom(raw)) {
                Type found = kongPluginArgument(raw, next);
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
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
