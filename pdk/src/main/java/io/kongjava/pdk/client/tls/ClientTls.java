package io.kongjava.pdk.client.tls;

import io.kongjava.pdk.PdkException;
import java.util.Optional;

/**
 * {@code kong.client.tls}: mutual TLS with the client, on TLS listeners only.
 *
 * <p>Phases: {@code request_client_certificate} and {@code disable_session_reuse} in certificate;
 * the others in rewrite, access and response (not in the log timer).
 */
public interface ClientTls {

    /**
     * {@code kong.client.tls.request_client_certificate()}: asks the client for a certificate during the
     * handshake (Kong's CA-list argument is a cdata and cannot be sent, so none is passed).
     *
     * @return whether Kong accepted the request
     */
    boolean requestClientCertificate() throws PdkException;

    /** {@code kong.client.tls.disable_session_reuse()}: forces a full handshake (certificate phase). */
    boolean disableSessionReuse() throws PdkException;

    /** {@code kong.client.tls.get_full_client_certificate_chain()}: PEM, empty without a client certificate. */
    Optional<String> getFullClientCertificateChain() throws PdkException;

    /**
     * {@code kong.client.tls.set_client_verify(v)}: overrides the verification result seen by upstream
     * ({@code SUCCESS}, {@code NONE} or {@code FAILED:<reason>}).
     */
    void setClientVerify(String result) throws PdkException;
}
