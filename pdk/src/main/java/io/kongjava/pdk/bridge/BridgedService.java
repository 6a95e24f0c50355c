package io.kongjava.pdk.bridge;

import static io.kongjava.pdk.bridge.Calls.required;

import io.kongjava.catalogue.PdkFunction;
import io.kongjava.pdk.PdkException;
import io.kongjava.pdk.service.Service;
import io.kongjava.pdk.service.request.ServiceRequest;
import io.kongjava.pdk.service.response.ServiceResponse;

/** {@code kong.service} over a {@link Bridge}: one Kong PDK function per method, named from the catalogue. */
record BridgedService(Calls calls, ServiceRequest request, ServiceResponse response) implements Service {

    BridgedService(Calls calls) {
        this(calls, new BridgedServiceRequest(calls), new BridgedServiceResponse(calls));
    }

    @Override public boolean setUpstream(String host) throws PdkException { return calls.succeeded(PdkFunction.SERVICE_SET_UPSTREAM, required(host, "host")); }

    @Override
    public void setTarget(String host, int port) throws PdkException {
        calls.run(PdkFunction.SERVICE_SET_TARGET, required(host, "host"), PdkFunction.SERVICE_SET_TARGET.checked(2, port));
    }

    @Override public void setRetries(int retries) throws PdkException { calls.run(PdkFunction.SERVICE_SET_RETRIES, PdkFunction.SERVICE_SET_RETRIES.checked(1, retries)); }

    @Override
    public void setTimeouts(int connectTimeoutMs, int writeTimeoutMs, int readTimeoutMs) throws PdkException {
        PdkFunction f = PdkFunction.SERVICE_SET_TIMEOUTS;
        calls.run(f, f.checked(1, connectTimeoutMs), f.checked(2, writeTimeoutMs), f.checked(3, readTimeoutMs));
    }

    @Override public boolean setTlsVerify(boolean on) throws PdkException { return calls.succeeded(PdkFunction.SERVICE_SET_TLS_VERIFY, on); }
    @Override public boolean setTlsVerifyDepth(int depth) throws PdkException { return calls.succeeded(PdkFunction.SERVICE_SET_TLS_VERIFY_DEPTH, depth); }
}
