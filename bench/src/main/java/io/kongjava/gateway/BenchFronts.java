package io.kongjava.gateway;

import io.kongjava.relay.ResponseRelay;

/**
 * The gateway's own virtual-thread HTTP server as the response relay's listener, for the relay benchmark's
 * A/B of front servers (it lives in the gateway's package because the server is package-private there).
 */
public final class BenchFronts {

    private BenchFronts() {
    }

    public static ResponseRelay.ListenerFactory virtualThreadServer() {
        return (address, handler) -> {
            VirtualThreadHttpServer server = new VirtualThreadHttpServer(address, 1024, Gateway.HeaderLimits.NGINX_DEFAULT, handler,
                    (status, message) -> ("{\"message\":\"" + message + "\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return new ResponseRelay.Listener() {
                @Override
                public int port() {
                    return server.address().getPort();
                }

                @Override
                public void close() {
                    server.close();
                }
            };
        };
    }
}
