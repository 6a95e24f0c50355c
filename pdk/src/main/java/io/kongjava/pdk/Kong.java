package io.kongjava.pdk;

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

/**
 * Kong's PDK as seen from a Java plugin, one accessor per Kong namespace ({@code kong.request},
 * {@code kong.service.request}, ...). Every method is a synchronous call into Kong for the current
 * request; see each namespace for the phases where Kong allows it.
 */
public interface Kong {

    /** {@code kong.client}, and {@code kong.client.tls} through {@link Client#tls()}. */
    Client client();

    /** {@code kong.ctx.shared}: values shared with the other plugins (Lua ones too) of this request. */
    Ctx ctx();

    /** {@code kong.ip}. */
    Ip ip();

    /** {@code kong.log}: Kong's error log and the serialized log record. */
    Log log();

    /** {@code kong.nginx}. */
    Nginx nginx();

    /** {@code kong.node}. */
    Node node();

    /** {@code kong.cluster}. */
    Cluster cluster();

    /** {@code kong.plugin}. */
    Plugin plugin();

    /** {@code kong.request}: the request as the client sent it. */
    Request request();

    /** {@code kong.response}: the response to the client. */
    Response response();

    /** {@code kong.router}: the matched route and service. */
    Router router();

    /** {@code kong.service}, with {@code kong.service.request} and {@code kong.service.response}. */
    Service service();

    /** {@code kong.vault}. */
    Vault vault();
}
