package io.kongjava.pdk.bridge;

import static io.kongjava.pdk.bridge.Calls.headerArg;
import static io.kongjava.pdk.bridge.Calls.headerValues;
import static io.kongjava.pdk.bridge.Calls.required;

import io.kongjava.catalogue.PdkFunction;
import io.kongjava.pdk.PdkException;
import io.kongjava.pdk.service.request.ServiceRequest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code kong.service.request} over a {@link Bridge}: one Kong PDK function per method, named from the catalogue. */
record BridgedServiceRequest(Calls calls) implements ServiceRequest {

    @Override public void enableBuffering() throws PdkException { calls.run(PdkFunction.SERVICE_REQUEST_ENABLE_BUFFERING); }
    @Override public void setScheme(String scheme) throws PdkException { calls.run(PdkFunction.SERVICE_REQUEST_SET_SCHEME, PdkFunction.SERVICE_REQUEST_SET_SCHEME.checked(1, required(scheme, "scheme"))); }
    @Override public void setPath(String path) throws PdkException { calls.run(PdkFunction.SERVICE_REQUEST_SET_PATH, PdkFunction.SERVICE_REQUEST_SET_PATH.checked(1, required(path, "path"))); }
    @Override public void setRawQuery(String query) throws PdkException { calls.run(PdkFunction.SERVICE_REQUEST_SET_RAW_QUERY, required(query, "query")); }
    @Override public void setMethod(String method) throws PdkException { calls.run(PdkFunction.SERVICE_REQUEST_SET_METHOD, PdkFunction.SERVICE_REQUEST_SET_METHOD.checked(1, required(method, "method"))); }

    @Override
    public void setQuery(Map<String, List<String>> args) throws PdkException {
        Map<String, Object> out = new LinkedHashMap<>();
        required(args, "args").forEach((name, values) -> {
            required(name, "query argument name");
            if (values == null || values.isEmpty()) {
                out.put(name, Boolean.TRUE);
            } else {
                values.forEach(v -> required(v, "value of query argument " + name));
                out.put(name, values.size() == 1 ? values.get(0) : List.copyOf(values));
            }
        });
        calls.run(PdkFunction.SERVICE_REQUEST_SET_QUERY, out);
    }

    @Override public void clearQueryArg(String name) throws PdkException { calls.run(PdkFunction.SERVICE_REQUEST_CLEAR_QUERY_ARG, required(name, "name")); }
    @Override public void setHeader(String name, String value) throws PdkException { calls.run(PdkFunction.SERVICE_REQUEST_SET_HEADER, required(name, "name"), required(value, "value")); }

    @Override
    public void setHeader(String name, List<String> values) throws PdkException {
        calls.run(PdkFunction.SERVICE_REQUEST_SET_HEADER, required(name, "name"), headerValues(values, name, PdkFunction.SERVICE_REQUEST_SET_HEADER));
    }

    @Override public void addHeader(String name, String value) throws PdkException { calls.run(PdkFunction.SERVICE_REQUEST_ADD_HEADER, required(name, "name"), required(value, "value")); }
    @Override public void clearHeader(String name) throws PdkException { calls.run(PdkFunction.SERVICE_REQUEST_CLEAR_HEADER, required(name, "name")); }
    @Override public void setHeaders(Map<String, List<String>> headers) throws PdkException { calls.run(PdkFunction.SERVICE_REQUEST_SET_HEADERS, headerArg(required(headers, "headers"), PdkFunction.SERVICE_REQUEST_SET_HEADERS)); }
    @Override public void setRawBody(byte[] body) throws PdkException { calls.run(PdkFunction.SERVICE_REQUEST_SET_RAW_BODY, required(body, "body")); }
    @Override public void setRawBody(String body) throws PdkException { calls.run(PdkFunction.SERVICE_REQUEST_SET_RAW_BODY, required(body, "body")); }
    @Override public boolean setBody(Map<String, ?> args) throws PdkException { return calls.succeeded(PdkFunction.SERVICE_REQUEST_SET_BODY, required(args, "args")); }

    @Override
    public boolean setBody(Map<String, ?> args, String mimetype) throws PdkException {
        return calls.succeeded(PdkFunction.SERVICE_REQUEST_SET_BODY, required(args, "args"), mimetype);
    }

    @Override public boolean enableTls() throws PdkException { return calls.succeeded(PdkFunction.SERVICE_REQUEST_ENABLE_TLS); }
    @Override public boolean disableTls() throws PdkException { return calls.succeeded(PdkFunction.SERVICE_REQUEST_DISABLE_TLS); }
}
