package io.kongjava.pdk.ip;

import io.kongjava.pdk.PdkException;

/** {@code kong.ip}. Phases: all. */
public interface Ip {

    /** {@code kong.ip.is_trusted(address)}: whether the address is in Kong's {@code trusted_ips}. */
    boolean isTrusted(String address) throws PdkException;
}
