package io.kongjava.pdk.bridge;

import static io.kongjava.pdk.bridge.Calls.required;

import io.kongjava.catalogue.PdkFunction;
import io.kongjava.pdk.PdkException;
import io.kongjava.pdk.service.response.ServiceResponse;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** {@code kong.service.response} over a {@link Bridge}: one Kong PDK function per method, named from the catalogue. */
record BridgedServiceResponse(Calls calls) implements ServiceResponse {

    @Override public int getStatus() throws PdkException { return calls.intValue(PdkFunction.SERVICE_RESPONSE_GET_STATUS); }
    @Override public Optional<String> getHeader(String name) throws PdkException { return calls.firstText(PdkFunction.SERVICE_RESPONSE_GET_HEADER, required(name, "name")); }
    @Override public Map<String, List<String>> getHeaders() throws PdkException { return calls.headers(PdkFunction.SERVICE_RESPONSE_GET_HEADERS); }
    @Override public Map<String, List<String>> getHeaders(int maxHeaders) throws PdkException { return calls.headers(PdkFunction.SERVICE_RESPONSE_GET_HEADERS, PdkFunction.SERVICE_RESPONSE_GET_HEADERS.checked(1, maxHeaders)); }
    @Override public byte[] getRawBody() throws PdkException { return calls.bytes(PdkFunction.SERVICE_RESPONSE_GET_RAW_BODY); }
    @Override public Optional<Object> getBody() throws PdkException { return calls.value(PdkFunction.SERVICE_RESPONSE_GET_BODY); }

    @Override
    public Optional<Object> getBody(String mimetype, int maxArgs) throws PdkException {
        // See Request.getBody: no nil before max_args.
        String type = mimetype;
        if (type == null) {
            Optional<String> contentType = calls.firstText(PdkFunction.SERVICE_RESPONSE_GET_HEADER, "Content-Type");
            if (contentType.isEmpty()) {
                return Optional.empty();
            }
            type = contentType.get();
        }
        return calls.value(PdkFunction.SERVICE_RESPONSE_GET_BODY, type, maxArgs);
    }
}
