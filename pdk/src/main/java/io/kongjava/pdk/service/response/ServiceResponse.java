package io.kongjava.pdk.service.response;

import io.kongjava.pdk.PdkException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code kong.service.response}: the upstream's response as received.
 *
 * <p>Phases: response only (bodies only when the response was buffered: a plugin implementing
 * {@code response}, or {@code kong.service.request.enable_buffering()}). Nothing here works in the log
 * timer: use the serialized log record.
 */
public interface ServiceResponse {

    /** {@code kong.service.response.get_status()}. */
    int getStatus() throws PdkException;

    /** {@code kong.service.response.get_header(name)}: the first value; empty when absent. */
    Optional<String> getHeader(String name) throws PdkException;

    /** {@code kong.service.response.get_headers()}. */
    Map<String, List<String>> getHeaders() throws PdkException;

    /** {@code kong.service.response.get_headers(max_headers)}. */
    Map<String, List<String>> getHeaders(int maxHeaders) throws PdkException;

    /** {@code kong.service.response.get_raw_body()}: the whole buffered upstream body. */
    byte[] getRawBody() throws PdkException;

    /** {@code kong.service.response.get_body()}: parsed by Content-Type; empty when unparseable. */
    Optional<Object> getBody() throws PdkException;

    /**
     * {@code kong.service.response.get_body(mimetype, max_args)}. A {@code null} mimetype means the
     * response's Content-Type, read with one more call; empty when there is none.
     */
    Optional<Object> getBody(String mimetype, int maxArgs) throws PdkException;
}
