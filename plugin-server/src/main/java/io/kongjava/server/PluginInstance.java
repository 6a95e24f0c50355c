package io.kongjava.server;

import io.kongjava.protocol.InstanceInfo;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** One instance Kong started: a plugin with one validated configuration. */
final class PluginInstance {

    final long id;
    final PluginCatalog.LoadedPlugin plugin;
    final Record config;
    final Map<String, Object> kongConfig;
    final double startTime;
    final AtomicInteger activeEvents = new AtomicInteger();
    volatile long lastUsedNanos = System.nanoTime();

    PluginInstance(long id, PluginCatalog.LoadedPlugin plugin, Record config, Map<String, Object> kongConfig) {
        this.id = id;
        this.plugin = plugin;
        this.config = config;
        this.kongConfig = kongConfig;
        this.startTime = System.currentTimeMillis() / 1000.0;
    }

    String name() {
        return plugin.name();
    }

    /** The plugin entity's id, which Kong adds to every configuration it starts an instance with; or null. */
    String pluginId() {
        return kongConfig.get("__plugin_id") instanceof String id && !id.isEmpty() ? id : null;
    }

    InstanceInfo status(boolean withStartTime) {
        return new InstanceInfo(name(), id, kongConfig, withStartTime ? startTime : null);
    }
}
