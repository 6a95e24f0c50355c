package io.kongjava.it;

import io.kongjava.it.KongHarness.KongVersion;

/** Every failure mode of {@link KongClientFailClosedTest}, with Kong 3.10's plugin-server Lua as the client. */
class KongClientFailClosedOnKong310Test extends KongClientFailClosedTest {

    @Override
    KongVersion version() {
        return KongVersion.V3_10_DEV;
    }
}
