package io.kongjava.pdk.bridge;

import io.kongjava.pdk.Kong;

/**
 * Builds the {@link Kong} a plugin's phase method receives, over a {@link Bridge} (the plugin server's
 * MsgPack:1 event, or the test kit's in-process emulation). Cheap: one per event.
 */
public final class KongPdk {

    private KongPdk() {
    }

    /** The PDK over {@code bridge}. */
    public static Kong over(Bridge bridge) {
        return new BridgedKong(bridge);
    }
}
