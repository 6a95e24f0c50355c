package io.kongjava.pdk.response;

import io.kongjava.pdk.PdkException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code kong.response}: the response Kong sends to the client.
 *
 * <p>Phases: the getters in response and in the log timer (from Kong's snapshot); the setters,
 * {@code exit} and {@code error} in rewrite, access and response. {@code exit} and {@code error} end the
 * request: Kong never answers them, and every later PDK call of the handler fails with a
 * {@link PdkException}, so return from the handler right after them.
 */
public interface Response {

    /** {@code kong.response.get_status()}. */
    int getStatus() throws PdkException;

    /** {@code kong.response.get_header(name)}: the first value; empty when absent. */
    Optional<String> getHeader(String name) throws PdkException;

    /** {@code kong.response.get_headers()}. */
    Map<String, List<String>> getHeaders() throws PdkException;

    /** {@code kong.response.get_headers(max_headers)}. */
    Map<String, List<String>> getHeaders(int maxHeaders) throws PdkException;

    /**
     * {@code kong.response.get_source()}: {@code service} (from upstream), {@code exit} (a plugin called
     * exit) or {@code error} (Kong or nginx failed).
     */
    String getSource() throws PdkException;

    /** {@code kong.response.set_status(status)}. */
    void setStatus(int status) throws PdkException;

    /** {@code kong.response.set_header(name, value)}: replaces every value of the header. */
    void setHeader(String name, String value) throws PdkException;

    /** {@code kong.response.set_header(name, values)}: a header with several values. */
    void setHeader(String name, List<String> values) throws PdkException;

    /** {@code kong.response.add_header(name, value)}: adds a value, keeping existing ones. */
    void addHeader(String name, String value) throws PdkException;

    /** {@code kong.response.clear_header(name)}. */
    void clearHeader(String name) throws PdkException;

    /** {@code kong.response.set_headers(headers)}: sets each header given (others are kept). */
    void setHeaders(Map<String, List<String>> headers) throws PdkException;

    /** {@code kong.response.exit(status)}: ends the request with an empty body. */
    default void exit(int status) throws PdkException {
        exit(status, "", Map.of());
    }

    /** {@code kong.response.exit(status, body)}. */
    default void exit(int status, String body) throws PdkException {
        exit(status, body, Map.of());
    }

    /** {@code kong.response.exit(status, body, headers)} with a text body ({@code null} = empty). */
    void exit(int status, String body, Map<String, List<String>> headers) throws PdkException;

    /** {@code kong.response.exit(status, body, headers)} with a binary body ({@code null} = empty). */
    void exit(int status, byte[] body, Map<String, List<String>> headers) throws PdkException;

    /**
     * {@code kong.response.exit(status, table, headers)}: Kong encodes {@code jsonBody} as JSON and sets
     * {@code Content-Type: application/json} unless {@code headers} set one.
     */
    void exitJson(int status, Object jsonBody, Map<String, List<String>> headers) throws PdkException;

    /** {@code kong.response.error(status)}: Kong's standard error body for the status. */
    default void error(int status) throws PdkException {
        error(status, null, Map.of());
    }

    /** {@code kong.response.error(status, message)}. */
    default void error(int status, String message) throws PdkException {
        error(status, message, Map.of());
    }

    /**
     * {@code kong.response.error(status, message, headers)}: Kong's standard error body, in the format the
     * client's Accept header asks for (JSON {@code {"message": ...}} by default); {@code null} message =
     * Kong's default text for the status.
     */
    void error(int status, String message, Map<String, List<String>> headers) throws PdkException;
}
