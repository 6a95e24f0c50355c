package io.kongjava.server;

import io.kongjava.pdk.bridge.Bridge;

/** One event's PDK bridge, as a phase runs against it: Kong over a socket ({@link Event}) or in process. */
interface EventBridge extends Bridge {

    /** Whether the event is over: the plugin ended the request, or Kong abandoned the event. */
    boolean ended();
}
