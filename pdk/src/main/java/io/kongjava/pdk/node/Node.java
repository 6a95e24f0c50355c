package io.kongjava.pdk.node;

import io.kongjava.pdk.PdkException;

/** {@code kong.node}: this Kong node. Phases: all. */
public interface Node {

    /** {@code kong.node.get_id()}: the node's UUID. */
    String getId() throws PdkException;

    /** {@code kong.node.get_hostname()}. */
    String getHostname() throws PdkException;

    /** {@code kong.node.get_memory_stats()}, sizes in bytes. */
    MemoryStats getMemoryStats() throws PdkException;

    /**
     * {@code kong.node.get_memory_stats(unit, scale)}: Kong formats sizes in {@code unit} ({@code b},
     * {@code k}, {@code m}, {@code g}) with {@code scale} decimals; the record converts them back to bytes
     * and keeps Kong's text in {@link MemoryStats#raw()}.
     */
    MemoryStats getMemoryStats(String unit, int scale) throws PdkException;
}
