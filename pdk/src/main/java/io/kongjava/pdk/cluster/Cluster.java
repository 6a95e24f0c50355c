package io.kongjava.pdk.cluster;

import io.kongjava.pdk.PdkException;
import java.util.Optional;

/** {@code kong.cluster}. Phases: all. */
public interface Cluster {

    /** {@code kong.cluster.get_id()}: the cluster's UUID; empty if Kong could not tell (e.g. no database). */
    Optional<String> getId() throws PdkException;
}
