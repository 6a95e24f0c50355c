package io.kongjava.pdk.bridge;

import static io.kongjava.pdk.bridge.Calls.headerArg;
import static io.kongjava.pdk.bridge.Calls.headerValues;
import static io.kongjava.pdk.bridge.Calls.required;

import io.kongjava.catalogue.KongStatusTexts;
import io.kongjava.catalogue.PdkFunction;
import io.kongjava.pdk.PdkException;
import io.kongjava.pdk.internal.Wire;
import io.kongjava.pdk.response.Response;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** {@code kong.response} over a {@link Bridge}: one Kong PDK function per method, named from the catalogue. */
record BridgedResponse(Calls calls) implements Response {

    @Override public int getStatus() throws PdkException { return calls.intValue(PdkFunction.RESPONSE_GET_STATUS); }
    @Override public Optional<String> getHeader(String name) throws PdkException { return calls.firstText(PdkFunction.RESPONSE_GET_HEADER, required(name, "name")); }
    @Override public Map<String, List<String>> getHeaders() throws PdkException { return calls.headers(PdkFunction.RESPONSE_GET_HEADERS); }
    @Override public Map<String, List<String>> getHeaders(int maxHeaders) throws PdkException { return calls.headers(PdkFunction.RESPONSE_GET_HEADERS, PdkFunction.RESPONSE_GET_HEADERS.checked(1, maxHeaders)); }
    @Override public String getSource() throws PdkException { return calls.text(PdkFunction.RESPONSE_GET_SOURCE); }
    @Override public void setStatus(int status) throws PdkException { calls.run(PdkFunction.RESPONSE_SET_STATUS, PdkFunction.RESPONSE_SET_STATUS.checked(1, status)); }
    @Override public void setHeader(String name, String value) throws PdkException { calls.run(PdkFunction.RESPONSE_SET_HEADER, required(name, "name"), required(value, "value")); }

    @Override
    public void setHeader(String name, List<String> values) throws PdkException {
        calls.run(PdkFunction.RESPONSE_SET_HEADER, required(name, "name"), headerValues(values, name, PdkFunction.RESPONSE_SET_HEADER));
    }

    @Override public void addHeader(String name, String value) throws PdkException { calls.run(PdkFunction.RESPONSE_ADD_HEADER, required(name, "name"), required(value, "value")); }
    @Override public void clearHeader(String name) throws PdkException { calls.run(PdkFunction.RESPONSE_CLEAR_HEADER, required(name, "name")); }
    @Override public void setHeaders(Map<String, List<String>> headers) throws PdkException { calls.run(PdkFunction.RESPONSE_SET_HEADERS, headerArg(required(headers, "headers"), PdkFunction.RESPONSE_SET_HEADERS)); }

    @Override
    public void exit(int status, String body, Map<String, List<String>> headers) throws PdkException {
        sendExit(status, body == null ? "" : body, headers);
    }

    @Override
    public void exit(int status, byte[] body, Map<String, List<String>> headers) throws PdkException {
        sendExit(status, body == null ? new byte[0] : body, headers);
    }

    @Override
    public void exitJson(int status, Object jsonBody, Map<String, List<String>> headers) throws PdkException {
        Object body = Wire.toWire(required(jsonBody, "jsonBody"));
        if (!(body instanceof Map<?, ?> || body instanceof List<?>)) {
            throw new IllegalArgumentException(PdkFunction.RESPONSE_EXIT.kongName() + ": a JSON body must be a Map or a List");
        }
        sendExit(status, body, headers);
    }

    private void sendExit(int status, Object body, Map<String, List<String>> headers) throws PdkException {
        PdkFunction method = PdkFunction.RESPONSE_EXIT;
        method.checked(1, status);
        Map<String, Object> h = headerArg(headers, method);
        boolean emptyBody = body instanceof String s ? s.isEmpty() : body instanceof byte[] b && b.length == 0;
        if (h.isEmpty()) {
            if (emptyBody) {
                calls.terminal(method, status);
            } else {
                calls.terminal(method, status, body);
            }
        } else {
            calls.terminal(method, status, body, h);
        }
    }

    @Override
    public void error(int status, String message, Map<String, List<String>> headers) throws PdkException {
        PdkFunction method = PdkFunction.RESPONSE_ERROR;
        method.checked(1, status);
        Map<String, Object> h = headerArg(headers, method);
        if (h.isEmpty()) {
            calls.terminal(method, status, message);
        } else {
            // Kong's default text for the status, since a nil message before the headers would be lost.
            String text = message != null ? message
                    : KongStatusTexts.defaultMessage(status);
            calls.terminal(method, status, text, h);
        }
    }
}
