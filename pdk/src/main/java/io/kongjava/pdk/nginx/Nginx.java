package io.kongjava.pdk.nginx;

import io.kongjava.pdk.PdkException;
import java.util.Map;
import java.util.Optional;

/**
 * {@code kong.nginx}: nginx internals.
 *
 * <p>Phases: {@code get_subsystem} and {@code get_statistics} in all; {@code get_var} in rewrite, access,
 * response and preread (raises in the log timer); {@code get_tls1_version_str} in certificate, rewrite and
 * access on TLS connections; {@code get_ctx}, {@code set_ctx} and {@code req_start_time} in every request
 * phase, the log timer included (on a copy).
 */
public interface Nginx {

    /** {@code kong.nginx.get_subsystem()}: {@code http} or {@code stream}. */
    String getSubsystem() throws PdkException;

    /**
     * {@code kong.nginx.get_statistics()}: connection counters ({@code connections_active},
     * {@code connections_reading}, {@code connections_writing}, {@code connections_waiting},
     * {@code connections_accepted}, {@code connections_handled}, {@code total_requests}).
     */
    Map<String, Long> getStatistics() throws PdkException;

    /** {@code kong.nginx.get_var(name)}: an nginx variable, e.g. {@code request_id}; empty when unset. */
    Optional<String> getVar(String name) throws PdkException;

    /** {@code kong.nginx.get_tls1_version_str()}: e.g. {@code TLSv1.3}; empty on plain connections. */
    Optional<String> getTls1VersionStr() throws PdkException;

    /** {@code kong.nginx.get_ctx(key)}: a value of {@code ngx.ctx}, e.g. {@code KONG_ACCESS_START}. */
    Optional<Object> getCtx(String key) throws PdkException;

    /** {@code kong.nginx.set_ctx(key, value)}. */
    void setCtx(String key, Object value) throws PdkException;

    /** {@code kong.nginx.req_start_time()}: when nginx started the request, in seconds since the epoch. */
    double reqStartTime() throws PdkException;
}
