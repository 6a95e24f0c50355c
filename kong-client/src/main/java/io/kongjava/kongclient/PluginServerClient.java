package io.kongjava.kongclient;

import io.kongjava.protocol.KongCall;
import java.io.IOException;

/**
 * A plugin server as Kong's side uses it: its methods called, and events run with Kong answering the plugin's PDK
 * calls. {@link KongRpcClient} reaches a server over its Unix socket as Kong does; an in-process server (the local
 * gateway's {@code --plugins-in-process}) runs the plugins on the caller's thread.
 */
public interface PluginServerClient extends AutoCloseable {

    /** Sends Kong's {@code call} and returns the server's result. */
    Object call(KongCall call) throws IOException, RpcErrorException;

    /**
     * Runs one event as Kong's plugin.lua does: the phase of {@code instanceId}, each PDK call answered by {@code kong},
     * until the plugin returns, ends the request, or a PDK function raises.
     */
    EventOutcome handleEvent(long instanceId, String eventName, PdkHandler kong) throws IOException, RpcErrorException;

    /**
     * Tells the server that Kong's side has run every phase of the request {@code requestId} ({@code $kong_request_id}),
     * log phases included. Kong's protocol has no such message, so a server over the socket is not told and holds what
     * its plugins exchanged for the request until it expires; a server in the caller's JVM forgets it now.
     */
    default void requestEnded(String requestId) {
    }

    @Override
    void close();
}
