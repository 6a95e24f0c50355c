package io.kongjava.pdk.bridge;

import static io.kongjava.pdk.bridge.Calls.required;

import io.kongjava.catalogue.PdkFunction;
import io.kongjava.pdk.PdkException;
import io.kongjava.pdk.client.tls.ClientTls;
import java.util.Optional;

/** {@code kong.client.tls} over a {@link Bridge}: one Kong PDK function per method, named from the catalogue. */
record BridgedClientTls(Calls calls) implements ClientTls {

    @Override public boolean requestClientCertificate() throws PdkException { return calls.succeeded(PdkFunction.CLIENT_TLS_REQUEST_CLIENT_CERTIFICATE); }
    @Override public boolean disableSessionReuse() throws PdkException { return calls.succeeded(PdkFunction.CLIENT_TLS_DISABLE_SESSION_REUSE); }
    @Override public Optional<String> getFullClientCertificateChain() throws PdkException { return calls.optionalText(PdkFunction.CLIENT_TLS_GET_FULL_CLIENT_CERTIFICATE_CHAIN); }
    @Override public void setClientVerify(String result) throws PdkException { calls.run(PdkFunction.CLIENT_TLS_SET_CLIENT_VERIFY, required(result, "result")); }
}
