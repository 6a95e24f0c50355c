package io.kongjava.gateway;

import io.kongjava.kongclient.KongPluginInstances;
import io.kongjava.kongclient.KongRpcClient;
import io.kongjava.kongclient.PluginServerClient;
import io.kongjava.kongclient.RpcErrorException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Kong's plugins iterator for external plugins: which configured plugins run for a route, one per name, the
 * most specific (route and service, then route, then service, then global), in priority order. One client
 * per plugin server socket.
 */
final class PluginIterator implements AutoCloseable {

    private final DeclarativeConfig config;
    private final Map<String, PluginServerProcesses.Dumped> dumps;
    private final Map<Path, KongPluginInstances> instancesBySocket = new ConcurrentHashMap<>();
    /** The plugin servers of some sockets run in this JVM; every other socket is reached as Kong reaches it. */
    private final Map<Path, PluginServerClient> inProcess;
    /** The configuration does not change while the gateway runs: each route's plugins are resolved once. */
    private final Map<String, RoutePlugins> pluginsByRoute = new ConcurrentHashMap<>();

    /** A route's plugins with what each request asks of them, worked out once. */
    record RoutePlugins(List<ConfiguredPlugin> all, boolean anyResponsePhase, List<ConfiguredPlugin> loggers) {
        static RoutePlugins of(List<ConfiguredPlugin> plugins) {
            return new RoutePlugins(List.copyOf(plugins), plugins.stream().anyMatch(p -> p.has("response")),
                    plugins.stream().filter(p -> p.has("log")).toList());
        }

        boolean isEmpty() {
            return all.isEmpty();
        }
    }

    PluginIterator(DeclarativeConfig config, Map<String, PluginServerProcesses.Dumped> dumps, Map<Path, PluginServerClient> inProcess) {
        this.config = config;
        this.dumps = dumps;
        this.inProcess = Map.copyOf(inProcess);
    }

    /**
     * Starts an instance of every configured plugin, as Kong does at a plugin's first request: a config its plugin
     * refuses (a check the dumped schema cannot express) fails the gateway's start here, at its place in kong.yaml,
     * rather than every request of its routes later.
     */
    void startAll() throws ConfigException {
        for (DeclarativeConfig.PluginEntity entity : config.plugins) {
            ConfiguredPlugin plugin = new ConfiguredPlugin(entity, dumps.get(entity.name()), instancesFor(dumps.get(entity.name())));
            try {
                plugin.instances().instanceFor(plugin.rpcEntity());
            } catch (RpcErrorException e) {
                throw new ConfigException(entity.origin() + " (" + entity.name() + "): the plugin refused its config: " + e.error());
            } catch (IOException e) {
                throw new ConfigException(entity.origin() + " (" + entity.name() + "): cannot start an instance: " + e.getMessage());
            }
        }
    }

    /** The plugins that run for {@code route}, resolved on its first request. */
    RoutePlugins forRoute(DeclarativeConfig.Route route) {
        RoutePlugins known = pluginsByRoute.get(route.id());
        return known != null ? known : pluginsByRoute.computeIfAbsent(route.id(), id -> RoutePlugins.of(resolve(route)));
    }

    List<ConfiguredPlugin> resolve(DeclarativeConfig.Route route) {
        Map<String, DeclarativeConfig.PluginEntity> byName = new LinkedHashMap<>();
        String serviceId = route.service() == null ? null : route.service().id();
        for (DeclarativeConfig.PluginEntity p : config.plugins) {
            if (p.routeId() == null && p.serviceId() == null) {
                byName.putIfAbsent(p.name(), p);
            }
        }
        for (DeclarativeConfig.PluginEntity p : config.plugins) {
            if (p.serviceId() != null && p.serviceId().equals(serviceId) && p.routeId() == null) {
                byName.put(p.name(), p);
            }
        }
        for (DeclarativeConfig.PluginEntity p : config.plugins) {
            if (route.id().equals(p.routeId()) && p.serviceId() == null) {
                byName.put(p.name(), p);
            }
        }
        for (DeclarativeConfig.PluginEntity p : config.plugins) {
            if (route.id().equals(p.routeId()) && p.serviceId() != null && p.serviceId().equals(serviceId)) {
                byName.put(p.name(), p);
            }
        }
        List<ConfiguredPlugin> plugins = new ArrayList<>();
        for (DeclarativeConfig.PluginEntity entity : byName.values()) {
            PluginServerProcesses.Dumped dumped = dumps.get(entity.name());
            plugins.add(new ConfiguredPlugin(entity, dumped, instancesFor(dumped)));
        }
        plugins.sort(Comparator.comparingLong((ConfiguredPlugin p) -> p.dumped().priority()).reversed());
        return plugins;
    }

    private KongPluginInstances instancesFor(PluginServerProcesses.Dumped dumped) {
        return instancesBySocket.computeIfAbsent(dumped.entry().socket(),
                socket -> new KongPluginInstances(inProcess.containsKey(socket) ? inProcess.get(socket)
                        : new KongRpcClient(socket, KongRpcClient.DEFAULT_TIMEOUT, 256)));
    }

    @Override
    public void close() {
        instancesBySocket.values().forEach(i -> i.client().close());
        inProcess.values().forEach(PluginServerClient::close);
    }
}
