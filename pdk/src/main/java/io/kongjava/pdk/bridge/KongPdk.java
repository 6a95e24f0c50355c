package io.kongjava.pdk.bridge;

import io.kongjava.pdk.Kong;
import io.kongjava.pdk.exchange.ProcessRequestExchange;
import io.kongjava.pdk.exchange.RequestExchange;

/**
 * Builds the {@link Kong} a plugin's phase method receives, over a {@link Bridge} (the plugin server's
 * MsgPack:1 event, or the test kit's in-process emulation). Cheap: one per event.
 */
public final class KongPdk {

    private KongPdk() {
    }

    /** The PDK over {@code bridge}, with the process-wide {@link ProcessRequestExchange#shared()}. */
    public static Kong over(Bridge bridge) {
        return over(bridge, ProcessRequestExchange.shared());
    }

    /** The PDK over {@code bridge}, with {@code exchange} as {@code kong.exchange()}. */
    public static Kong over(Bridge bridge, RequestExchange exchange) {
        return new BridgedKong(bridge, exchange);
    }
}
