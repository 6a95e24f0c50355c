package io.kongjava.pdk.bridge;

import static io.kongjava.pdk.bridge.Calls.required;

import io.kongjava.catalogue.PdkFunction;
import io.kongjava.pdk.Kong;
import io.kongjava.pdk.client.Client;
import io.kongjava.pdk.cluster.Cluster;
import io.kongjava.pdk.ctx.Ctx;
import io.kongjava.pdk.ip.Ip;
import io.kongjava.pdk.log.Log;
import io.kongjava.pdk.nginx.Nginx;
import io.kongjava.pdk.node.Node;
import io.kongjava.pdk.plugin.Plugin;
import io.kongjava.pdk.request.Request;
import io.kongjava.pdk.response.Response;
import io.kongjava.pdk.router.Router;
import io.kongjava.pdk.service.Service;
import io.kongjava.pdk.vault.Vault;
import java.util.Objects;

/**
 * Every PDK namespace over one {@link Bridge}, one class a namespace ({@code BridgedRequest} is {@code
 * kong.request}); the one-function namespaces {@code kong.ip}, {@code kong.cluster} and {@code kong.plugin}
 * are the lambdas below.
 */
final class BridgedKong implements Kong {

    private final Client client;
    private final Ctx ctx;
    private final Ip ip;
    private final Log log;
    private final Nginx nginx;
    private final Node node;
    private final Cluster cluster;
    private final Plugin plugin;
    private final Request request;
    private final Response response;
    private final Router router;
    private final Service service;
    private final Vault vault;

    BridgedKong(Bridge bridge) {
        Calls calls = new Calls(Objects.requireNonNull(bridge, "bridge"));
        this.client = new BridgedClient(calls);
        this.ctx = new BridgedCtx(calls);
        this.ip = address -> calls.bool(PdkFunction.IP_IS_TRUSTED, required(address, "address"));
        this.log = new BridgedLog(calls);
        this.nginx = new BridgedNginx(calls);
        this.node = new BridgedNode(calls);
        this.cluster = () -> calls.optionalText(PdkFunction.CLUSTER_GET_ID);
        this.plugin = () -> calls.text(PdkFunction.PLUGIN_GET_ID);
        this.request = new BridgedRequest(calls);
        this.response = new BridgedResponse(calls);
        this.router = new BridgedRouter(calls);
        this.service = new BridgedService(calls);
        this.vault = new BridgedVault(calls);
    }

    @Override public Client client() { return client; }
    @Override public Ctx ctx() { return ctx; }
    @Override public Ip ip() { return ip; }
    @Override public Log log() { return log; }
    @Override public Nginx nginx() { return nginx; }
    @Override public Node node() { return node; }
    @Override public Cluster cluster() { return cluster; }
    @Override public Plugin plugin() { return plugin; }
    @Override public Request request() { return request; }
    @Override public Response response() { return response; }
    @Override public Router router() { return router; }
    @Override public Service service() { return service; }
    @Override public Vault vault() { return vault; }
}
