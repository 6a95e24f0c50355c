package io.kongjava.it;

import io.kongjava.it.KongHarness.KongVersion;

/** Every log-line check of {@link KongClientLogLineTest}, with Kong 3.10's plugin-server Lua as the client. */
class KongClientLogLineOnKong310Test extends KongClientLogLineTest {

    @Override
    KongVersion version() {
        return KongVersion.V3_10_DEV;
    }
}
