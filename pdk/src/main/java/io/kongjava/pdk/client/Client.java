package io.kongjava.pdk.client;

import io.kongjava.pdk.PdkException;
import io.kongjava.pdk.client.tls.ClientTls;
import io.kongjava.pdk.entity.Consumer;
import io.kongjava.pdk.entity.Credential;
import java.util.Optional;

/**
 * {@code kong.client}: the connecting client and its authenticated consumer.
 *
 * <p>Phases: the address getters work in certificate, rewrite, access, response and preread, but raise in
 * the log timer; credential/consumer getters work in access, response and log; {@code authenticate} only in
 * access.
 */
public interface Client {

    /** {@code kong.client.get_ip}: the address of the direct peer. */
    String getIp() throws PdkException;

    /** {@code kong.client.get_forwarded_ip}: the client address, honouring trusted proxies' headers. */
    String getForwardedIp() throws PdkException;

    /** {@code kong.client.get_port}. */
    int getPort() throws PdkException;

    /** {@code kong.client.get_forwarded_port}. */
    int getForwardedPort() throws PdkException;

    /** {@code kong.client.get_credential}: empty when no plugin authenticated the request. */
    Optional<Credential> getCredential() throws PdkException;

    /** {@code kong.client.get_consumer}: empty when the request has no authenticated consumer. */
    Optional<Consumer> getConsumer() throws PdkException;

    /** {@code kong.client.load_consumer(id)}: looks a consumer up by id (database or cache). */
    default Optional<Consumer> loadConsumer(String consumerId) throws PdkException {
        return loadConsumer(consumerId, false);
    }

    /** {@code kong.client.load_consumer(id, by_username)}: by id, or also by username when asked. */
    Optional<Consumer> loadConsumer(String consumerIdOrUsername, boolean searchByUsername) throws PdkException;

    /**
     * {@code kong.client.authenticate(consumer, credential)}: sets the authenticated consumer and/or
     * credential for the rest of the request. At least one must be non-null. Access phase only.
     */
    void authenticate(Consumer consumer, Credential credential) throws PdkException;

    /** {@code kong.client.get_protocol()}: e.g. {@code http}, {@code https}, {@code grpc}. */
    default Optional<String> getProtocol() throws PdkException {
        return getProtocol(false);
    }

    /**
     * {@code kong.client.get_protocol(allow_terminated)}: with {@code true}, a request that reached Kong
     * over plain HTTP from a TLS-terminating proxy (X-Forwarded-Proto) counts as https.
     */
    Optional<String> getProtocol(boolean allowTerminated) throws PdkException;

    /** {@code kong.client.tls}. */
    ClientTls tls();
}
