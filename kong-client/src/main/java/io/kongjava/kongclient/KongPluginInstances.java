package io.kongjava.kongclient;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kongjava.protocol.InstanceInfo;
import io.kongjava.protocol.KongCall;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Kong's instance bookkeeping for one plugin server (kong/runloop/plugin_servers/plugin.lua): an instance
 * per plugin entity, started with the config as JSON text plus Kong's own keys, reused while the entity's
 * {@code __seq__} is unchanged, replaced (and the old one closed) when it changes, and started again when
 * the server answers "no plugin instance" (e.g. after it restarted).
 */
public final class KongPluginInstances {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A configured plugin as Kong holds it: entity id, plugin name, validated config, config sequence. */
    public record PluginEntity(String id, String name, Map<String, Object> config, long seq) {
        public PluginEntity {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(name, "name");
            config = config == null ? Map.of() : config;
        }
    }

    private record Started(long instanceId, long seq) {
    }

    private final PluginServerClient client;
    private final Map<String, Started> instances = new ConcurrentHashMap<>();
    private final Map<String, Object> claims = new ConcurrentHashMap<>();

    public KongPluginInstances(PluginServerClient client) {
        this.client = client;
    }

    public PluginServerClient client() {
        return client;
    }

    /**
     * Runs {@code phase} of {@code plugin}, starting its instance first when needed. On "no plugin instance"
     * Kong forgets the instance and runs the phase again; this does the same, a bounded number of times
     * (Kong retries without a limit).
     */
    public EventOutcome runPhase(PluginEntity plugin, String phase, PdkHandler kong) throws IOException, RpcErrorException {
        RpcErrorException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            long instanceId = instanceFor(plugin);
            try {
                return client.handleEvent(instanceId, phase, kong);
            } catch (RpcErrorException e) {
                if (!e.isNoPluginInstance()) {
                    throw e;
                }
                instances.remove(plugin.id(), new Started(instanceId, plugin.seq()));
                last = e;
            }
        }
        throw last;
    }

    /** The instance id for {@code plugin}, starting an instance if there is none for its current seq. */
    public long instanceFor(PluginEntity plugin) throws IOException, RpcErrorException {
        Started started = instances.get(plugin.id());
        if (started != null && started.seq == plugin.seq()) {
            return started.instanceId;
        }
        // Like Kong's claim on the plugin id: one start per entity, other requests wait for it and reuse it
        // (two concurrent starts would close each other's instance and send requests "no plugin instance").
        synchronized (claims.computeIfAbsent(plugin.id(), key -> new Object())) {
            started = instances.get(plugin.id());
            if (started != null && started.seq == plugin.seq()) {
                return started.instanceId;
            }
            return replace(plugin);
        }
    }

    private long replace(PluginEntity plugin) throws IOException, RpcErrorException {
        long id = startInstance(plugin);
        Started previous = instances.put(plugin.id(), new Started(id, plugin.seq()));
        if (previous != null && previous.instanceId != id) {
            try {
                client.call(new KongCall.CloseInstance(previous.instanceId));
            } catch (RpcErrorException | IOException ignored) {
                // Kong ignores the result and errors of CloseInstance
            }
        }
        return id;
    }

    private long startInstance(PluginEntity plugin) throws IOException, RpcErrorException {
        Map<String, Object> config = new LinkedHashMap<>(plugin.config());
        config.put("__plugin_id", plugin.id());
        config.put("__key__", "plugins:" + plugin.name() + "::::" + plugin.id());
        config.put("__seq__", plugin.seq());
        String json;
        try {
            json = JSON.writeValueAsString(config);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("plugin config cannot be encoded as JSON: " + e.getOriginalMessage(), e);
        }
        return InstanceInfo.idOf(client.call(new KongCall.StartInstance(plugin.name(), json)));
    }

    /** Forgets every instance (Kong does so when the server announces a new pid). */
    public void reset() {
        instances.clear();
    }
}
