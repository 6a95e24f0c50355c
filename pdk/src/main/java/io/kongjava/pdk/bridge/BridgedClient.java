package io.kongjava.pdk.bridge;

import static io.kongjava.pdk.bridge.Calls.required;

import io.kongjava.catalogue.PdkFunction;
import io.kongjava.pdk.PdkException;
import io.kongjava.pdk.client.Client;
import io.kongjava.pdk.client.tls.ClientTls;
import io.kongjava.pdk.entity.Consumer;
import io.kongjava.pdk.entity.Credential;
import java.util.Optional;

/** {@code kong.client} over a {@link Bridge}: one Kong PDK function per method, named from the catalogue. */
record BridgedClient(Calls calls, ClientTls tls) implements Client {

    BridgedClient(Calls calls) {
        this(calls, new BridgedClientTls(calls));
    }

    @Override public String getIp() throws PdkException { return calls.text(PdkFunction.CLIENT_GET_IP); }
    @Override public String getForwardedIp() throws PdkException { return calls.text(PdkFunction.CLIENT_GET_FORWARDED_IP); }
    @Override public int getPort() throws PdkException { return calls.intValue(PdkFunction.CLIENT_GET_PORT); }
    @Override public int getForwardedPort() throws PdkException { return calls.intValue(PdkFunction.CLIENT_GET_FORWARDED_PORT); }

    @Override
    public Optional<Credential> getCredential() throws PdkException {
        return Optional.ofNullable(calls.call(PdkFunction.CLIENT_GET_CREDENTIAL)).filter(Calls::isTable).map(Credential::fromKong);
    }

    @Override
    public Optional<Consumer> getConsumer() throws PdkException {
        return Optional.ofNullable(calls.call(PdkFunction.CLIENT_GET_CONSUMER)).filter(Calls::isTable).map(Consumer::fromKong);
    }

    @Override
    public Optional<Consumer> loadConsumer(String consumerIdOrUsername, boolean searchByUsername) throws PdkException {
        required(consumerIdOrUsername, "consumer id");
        Object v = searchByUsername
                ? calls.call(PdkFunction.CLIENT_LOAD_CONSUMER, consumerIdOrUsername, true)
                : calls.call(PdkFunction.CLIENT_LOAD_CONSUMER, consumerIdOrUsername);
        return Optional.ofNullable(v).filter(Calls::isTable).map(Consumer::fromKong);
    }

    @Override
    public void authenticate(Consumer consumer, Credential credential) throws PdkException {
        if (consumer == null && credential == null) {
            throw new IllegalArgumentException(PdkFunction.CLIENT_AUTHENTICATE.kongName() + ": a consumer or a credential is required");
        }
        if (consumer == null) {
            // A nil first argument followed by a table does not survive Kong's unpack of Args.
            throw new IllegalArgumentException(PdkFunction.CLIENT_AUTHENTICATE.kongName() + ": a credential without a consumer"
                    + " cannot be sent to Kong (a nil argument before a non-nil one is lost); pass the consumer too");
        }
        calls.run(PdkFunction.CLIENT_AUTHENTICATE, consumer.toKong(), credential == null ? null : credential.toKong());
    }

    @Override
    public Optional<String> getProtocol(boolean allowTerminated) throws PdkException {
        return allowTerminated
                ? calls.optionalText(PdkFunction.CLIENT_GET_PROTOCOL, true)
                : calls.optionalText(PdkFunction.CLIENT_GET_PROTOCOL);
    }

}
