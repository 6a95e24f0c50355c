package io.kongjava.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kongjava.catalogue.RpcMethod;
import io.kongjava.protocol.InstanceInfo;
import io.kongjava.protocol.KongCall;
import io.kongjava.protocol.ProtocolException;
import io.kongjava.pdk.InvalidConfigException;
import io.kongjava.pdk.Kong;
import io.kongjava.pdk.KongPlugin;
import io.kongjava.pdk.PdkException;
import io.kongjava.pdk.Phase;
import io.kongjava.pdk.bridge.KongPdk;
import io.kongjava.pdk.exchange.RequestExchange;
import io.kongjava.pdk.schema.ConfigBinder;
import io.kongjava.relay.AfterAccess;
import io.kongjava.relay.ResponseRelay;
import java.lang.System.Logger.Level;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The MsgPack:1 methods Kong calls, with Kong's argument and result shapes. Every failure becomes an error
 * string for Kong; nothing a request carries can stop the server.
 */
final class RpcMethods {

    private static final System.Logger LOG = System.getLogger(RpcMethods.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_LONG_FOR_INTS);

    /** An error answered to Kong as the response's error string. */
    static final class RpcError extends Exception {
        RpcError(String message) {
            super(message, null, false, false);
        }
    }

    private final PluginCatalog catalog;
    private final Registry registry;
    private final RequestExchange exchange;
    volatile ServerObserver observer = ServerObserver.NONE;

    RpcMethods(PluginCatalog catalog, Registry registry, RequestExchange exchange) {
        this.catalog = catalog;
        this.registry = registry;
        this.exchange = exchange;
        for (PluginCatalog.LoadedPlugin loaded : catalog.all()) {
            if (loaded.plugin() instanceof io.kongjava.pdk.exchange.UsesRequestExchange user) {
                user.useRequestExchange(exchange);
            }
        }
    }

    /**
     * Loads and initialises what Kong's first StartInstance and first events need: each plugin's config binding
     * (a probe instance, removed again) and the plugins' own {@code warmUp}.
     */
    void warmUp() {
        for (String name : pluginNames()) {
            try {
                dispatch(RpcMethod.START_INSTANCE.wireName(), Map.of("Name", name, "Config", "{\"__warm_up__\":true}"));
            } catch (RpcError | RuntimeException expected) {
                // a config without its required fields is refused; binding it loaded what binding needs
            }
        }
        registry.instances().removeIf(instance -> instance.kongConfig.containsKey("__warm_up__"));
        warmUpPlugins();
    }

    private void warmUpPlugins() {
        for (PluginCatalog.LoadedPlugin plugin : catalog.all()) {
            try {
                plugin.plugin().warmUp();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "plugin " + plugin.name() + " failed to warm up: " + e);
            }
        }
    }

    List<String> pluginNames() {
        return catalog.all().stream().map(PluginCatalog.LoadedPlugin::name).toList();
    }

    /** Every method but HandleEvent and the Steps, which the server routes to events. */
    Object dispatch(String method, Object argument) throws RpcError {
        return switch (decode(method, argument)) {
            case KongCall.StartInstance start -> startInstance(start);
            case KongCall.InstanceStatus status -> instance(status.instanceId()).status(true);
            case KongCall.CloseInstance close -> closeInstance(close.instanceId());
            case KongCall.GetStatus status -> status();
            case KongCall.GetPluginInfo info -> pluginInfo(info.pluginName());
            case KongCall.HandleEvent event -> throw new RpcError(method + " is the server's to route, not a method call");
            case KongCall.Step step -> throw new RpcError(method + " is the server's to route, not a method call");
        };
    }

    /** Kong's call, typed; a malformed one is answered with an error, as any failing call. */
    private static KongCall decode(String method, Object argument) throws RpcError {
        try {
            return KongCall.decode(method, argument);
        } catch (ProtocolException e) {
            throw new RpcError(e.getMessage());
        }
    }

    private InstanceInfo startInstance(KongCall.StartInstance start) throws RpcError {
        String name = start.name();
        PluginCatalog.LoadedPlugin plugin = catalog.find(name)
                .orElseThrow(() -> new RpcError("no plugin named " + name + " in this server"));
        Map<String, Object> kongConfig = decodeConfig(name, start.config());
        Record config = bind(plugin, kongConfig);
        PluginInstance instance = new PluginInstance(registry.nextInstanceId(), plugin, config, kongConfig);
        registry.addInstance(instance, evicted -> observer.instanceClosed(evicted.name(), "evicted"));
        if (!kongConfig.containsKey("__warm_up__")) {
            // the start-up probes' instances are the server's own, gone at once: neither counted nor logged
            observer.instanceStarted(name);
            LOG.log(Level.INFO, () -> "started instance #" + instance.id + " of " + name);
        }
        return instance.status(true);
    }

    private static Map<String, Object> decodeConfig(String name, String config) throws RpcError {
        String text = config == null ? "{}" : config;
        try {
            Object decoded = JSON.readValue(text, Object.class);
            if (decoded instanceof Map<?, ?> map) {
                @SuppressWarnings("unchecked")
                Map<String, Object> typed = (Map<String, Object>) map;
                return typed;
            }
            if (decoded instanceof List<?> list && list.isEmpty()) {
                return new LinkedHashMap<>();
            }
            throw new RpcError("config for " + name + " must be a JSON object");
        } catch (JsonProcessingException e) {
            throw new RpcError("config for " + name + " is not valid JSON: " + e.getOriginalMessage());
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Record bind(PluginCatalog.LoadedPlugin loaded, Map<String, Object> kongConfig) throws RpcError {
        KongPlugin plugin = loaded.plugin();
        try {
            Record config = ConfigBinder.bind(loaded.descriptor().configType(), kongConfig);
            plugin.validate(config);
            return config;
        } catch (InvalidConfigException e) {
            throw new RpcError("invalid config for plugin " + loaded.name() + ": " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "plugin " + loaded.name() + " failed to bind or validate its config", e);
            throw new RpcError("plugin " + loaded.name() + " could not start an instance: " + e);
        }
    }

    private InstanceInfo closeInstance(long id) throws RpcError {
        PluginInstance instance = registry.removeInstance(id);
        if (instance == null) {
            throw noInstance(id);
        }
        observer.instanceClosed(instance.name(), "closed");
        LOG.log(Level.DEBUG, () -> "closed instance #" + id + " of " + instance.name());
        return instance.status(false);
    }

    private PluginInstance instance(long id) throws RpcError {
        PluginInstance instance = registry.instance(id);
        if (instance == null) {
            throw noInstance(id);
        }
        return instance;
    }

    /** A HandleEvent's instance and phase; {@code body} is null when the plugin does not implement the phase. */
    record EventStart(PluginInstance instance, String eventName, Event.PhaseBody body) {
    }

    EventStart eventStart(Object argument) throws RpcError {
        if (!(decode(RpcMethod.HANDLE_EVENT.wireName(), argument) instanceof KongCall.HandleEvent handleEvent)) {
            throw new IllegalStateException("HandleEvent decoded as something else");
        }
        long instanceId = handleEvent.instanceId();
        String eventName = handleEvent.eventName();
        PluginInstance instance = registry.instance(instanceId);
        if (instance == null) {
            throw noInstance(instanceId);
        }
        Phase phase = Phase.fromKongName(eventName)
                .orElseThrow(() -> new RpcError("unknown event " + eventName + " (external plugins have certificate, rewrite, access, response, preread and log)"));
        if (!instance.plugin.descriptor().phases().contains(phase)) {
            return new EventStart(instance, eventName, null);
        }
        return new EventStart(instance, eventName, event -> runPhase(event, instance, phase));
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void runPhase(EventBridge event, PluginInstance instance, Phase phase) throws PdkException {
        KongPlugin plugin = instance.plugin.plugin();
        Record config = instance.config;
        Kong kong = KongPdk.over(event);
        phase.invoke(plugin, kong, config);
        if (phase == Phase.ACCESS && !event.ended()) {
            AfterAccess.filter(plugin, instance.name(), kong, config, ResponseRelay::shared);
        }
    }

    private Map<String, Object> status() {
        Map<String, Object> plugins = new LinkedHashMap<>();
        for (PluginCatalog.LoadedPlugin plugin : catalog.all()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("Name", plugin.name());
            entry.put("Instances", registry.instances().stream()
                    .filter(i -> i.plugin == plugin).map(i -> (Object) i.status(true)).toList());
            plugins.put(plugin.name(), entry);
        }
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("Pid", ProcessHandle.current().pid());
        status.put("Plugins", plugins);
        return status;
    }

    private Map<String, Object> pluginInfo(String name) throws RpcError {
        return catalog.find(name).orElseThrow(() -> new RpcError("no plugin named " + name + " in this server"))
                .descriptor().toDumpInfo();
    }

    private static RpcError noInstance(long id) {
        return new RpcError("no plugin instance #" + id);
    }

    /** A Step's event id, read without building the typed Step (the hot path reads only these two keys). */
    static long stepEventId(String method, Object argument) throws RpcError {
        try {
            return KongCall.id(KongCall.map(argument, method).get(KongCall.EVENT_ID), method + " " + KongCall.EVENT_ID);
        } catch (ProtocolException e) {
            throw new RpcError(e.getMessage());
        }
    }
}
