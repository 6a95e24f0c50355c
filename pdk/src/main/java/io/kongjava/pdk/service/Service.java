package io.kongjava.pdk.service;

import io.kongjava.pdk.PdkException;
import io.kongjava.pdk.service.request.ServiceRequest;
import io.kongjava.pdk.service.response.ServiceResponse;

/**
 * {@code kong.service}: where Kong proxies the request.
 *
 * <p>Phases: {@code set_upstream}, {@code set_retries} and {@code set_timeouts} in access;
 * {@code set_target}, {@code set_tls_verify} and {@code set_tls_verify_depth} in rewrite, access and
 * preread.
 */
public interface Service {

    /** {@code kong.service.request}: the request Kong will send upstream. */
    ServiceRequest request();

    /** {@code kong.service.response}: the upstream's response. */
    ServiceResponse response();

    /**
     * {@code kong.service.set_upstream(host)}: proxies to a Kong upstream entity by name.
     *
     * @return false when Kong has no such upstream
     */
    boolean setUpstream(String host) throws PdkException;

    /** {@code kong.service.set_target(host, port)}: proxies to this host and port directly. */
    void setTarget(String host, int port) throws PdkException;

    /** {@code kong.service.set_retries(retries)}. */
    void setRetries(int retries) throws PdkException;

    /** {@code kong.service.set_timeouts(connect, write, read)}, in milliseconds. */
    void setTimeouts(int connectTimeoutMs, int writeTimeoutMs, int readTimeoutMs) throws PdkException;

    /** {@code kong.service.set_tls_verify(on)}: verification of the upstream's certificate. */
    boolean setTlsVerify(boolean on) throws PdkException;

    /** {@code kong.service.set_tls_verify_depth(depth)}. */
    boolean setTlsVerifyDepth(int depth) throws PdkException;
}
