package io.kongjava.gateway;

import io.kongjava.kongclient.KongPluginInstances;

/** A plugin the gateway runs: its entity, what its server dumped, and the client for that server. */
record ConfiguredPlugin(DeclarativeConfig.PluginEntity entity, PluginServerProcesses.Dumped dumped, KongPluginInstances instances) {

    KongPluginInstances.PluginEntity rpcEntity() {
        return new KongPluginInstances.PluginEntity(entity.id(), entity.name(), entity.config(), 1);
    }

    boolean has(String phase) {
        return dumped.phases().contains(phase);
    }

    /** Kong runs a plugin's rewrite phase only when it is global: a route or service is not known yet. */
    boolean runsIn(String phase) {
        return has(phase) && (!"rewrite".equals(phase) || (entity.routeId() == null && entity.serviceId() == null));
    }
}
