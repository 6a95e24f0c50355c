package io.kongjava.pdk.bridge;

import static io.kongjava.pdk.bridge.Calls.required;

import io.kongjava.catalogue.PdkFunction;
import io.kongjava.pdk.PdkException;
import io.kongjava.pdk.node.MemoryStats;
import io.kongjava.pdk.node.Node;

/** {@code kong.node} over a {@link Bridge}: one Kong PDK function per method, named from the catalogue. */
record BridgedNode(Calls calls) implements Node {

    @Override public String getId() throws PdkException { return calls.text(PdkFunction.NODE_GET_ID); }
    @Override public String getHostname() throws PdkException { return calls.text(PdkFunction.NODE_GET_HOSTNAME); }
    @Override public MemoryStats getMemoryStats() throws PdkException { return MemoryStats.fromKong(calls.map(PdkFunction.NODE_GET_MEMORY_STATS)); }

    @Override
    public MemoryStats getMemoryStats(String unit, int scale) throws PdkException {
        return MemoryStats.fromKong(calls.map(PdkFunction.NODE_GET_MEMORY_STATS, required(unit, "unit"), scale));
    }
}
