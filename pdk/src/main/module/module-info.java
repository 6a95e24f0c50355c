/**
 * Kong's PDK for plugins written in Java: {@link io.kongjava.pdk.KongPlugin}, one package per Kong
 * namespace, and the configuration schema.
 *
 * <p>Not exported: {@code io.kongjava.pdk.internal} (the wire and JSON encodings) and, except to the plugin
 * server and the test kit, {@code io.kongjava.pdk.bridge} (the PDK over a transport). A plugin that is a
 * named module itself opens the package of its configuration record to this module, which builds the record.
 */
@SuppressWarnings("module") // the server and the test kit are automatic modules, absent when this one compiles
module io.kongjava.pdk {
    requires io.kongjava.catalogue;

    exports io.kongjava.pdk;
    exports io.kongjava.pdk.client;
    exports io.kongjava.pdk.client.tls;
    exports io.kongjava.pdk.cluster;
    exports io.kongjava.pdk.ctx;
    exports io.kongjava.pdk.entity;
    exports io.kongjava.pdk.filter;
    exports io.kongjava.pdk.exchange;
    exports io.kongjava.pdk.ip;
    exports io.kongjava.pdk.log;
    exports io.kongjava.pdk.metrics;
    exports io.kongjava.pdk.nginx;
    exports io.kongjava.pdk.node;
    exports io.kongjava.pdk.plugin;
    exports io.kongjava.pdk.request;
    exports io.kongjava.pdk.response;
    exports io.kongjava.pdk.router;
    exports io.kongjava.pdk.schema;
    exports io.kongjava.pdk.service;
    exports io.kongjava.pdk.service.request;
    exports io.kongjava.pdk.service.response;
    exports io.kongjava.pdk.vault;

    exports io.kongjava.pdk.bridge to io.kongjava.server, io.kongjava.pdk.testkit;
}
