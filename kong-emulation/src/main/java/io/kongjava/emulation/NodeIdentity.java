package io.kongjava.emulation;

import java.net.InetAddress;
import java.util.UUID;

/** kong.node.get_id / get_hostname: stable for the life of the process, as Kong's node id is per node. */
final class NodeIdentity {

    static final String ID = UUID.randomUUID().toString();
    static final String HOSTNAME = hostname();

    private NodeIdentity() {
    }

    private static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }
}
