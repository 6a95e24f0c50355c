package io.kongjava.pdk.service.request;

import io.kongjava.pdk.PdkException;
import java.util.List;
import java.util.Map;

/**
 * {@code kong.service.request}: the request Kong sends upstream.
 *
 * <p>Phases: rewrite and access; {@code enable_tls}/{@code disable_tls} in preread (stream only).
 */
public interface ServiceRequest {

    /**
     * {@code kong.service.request.enable_buffering()}: buffers this request's upstream response so that
     * {@code kong.service.response.get_raw_body} works in the response phase.
     */
    void enableBuffering() throws PdkException;

    /** {@code kong.service.request.set_scheme(scheme)}: {@code http} or {@code https}. */
    void setScheme(String scheme) throws PdkException;

    /** {@code kong.service.request.set_path(path)}: must start with {@code /}. */
    void setPath(String path) throws PdkException;

    /** {@code kong.service.request.set_raw_query(query)}: without the leading {@code ?}. */
    void setRawQuery(String query) throws PdkException;

    /** {@code kong.service.request.set_method(method)}: e.g. {@code POST}. */
    void setMethod(String method) throws PdkException;

    /** {@code kong.service.request.set_query(args)}: replaces the whole query; an empty list = a flag. */
    void setQuery(Map<String, List<String>> args) throws PdkException;

    /** {@code kong.service.request.clear_query_arg(name)}. */
    void clearQueryArg(String name) throws PdkException;

    /** {@code kong.service.request.set_header(name, value)}: replaces every value of the header. */
    void setHeader(String name, String value) throws PdkException;

    /** {@code kong.service.request.set_header(name, values)}: a header with several values. */
    void setHeader(String name, List<String> values) throws PdkException;

    /** {@code kong.service.request.add_header(name, value)}: adds a value, keeping existing ones. */
    void addHeader(String name, String value) throws PdkException;

    /** {@code kong.service.request.clear_header(name)}. */
    void clearHeader(String name) throws PdkException;

    /** {@code kong.service.request.set_headers(headers)}: sets each header given (others are kept). */
    void setHeaders(Map<String, List<String>> headers) throws PdkException;

    /** {@code kong.service.request.set_raw_body(body)}: the whole body (Kong sets Content-Length). */
    void setRawBody(byte[] body) throws PdkException;

    /** {@code kong.service.request.set_raw_body(body)} with text (UTF-8). */
    void setRawBody(String body) throws PdkException;

    /**
     * {@code kong.service.request.set_body(args)}: Kong encodes {@code args} according to the request's
     * Content-Type (JSON, form, multipart).
     *
     * @return whether Kong accepted it
     */
    boolean setBody(Map<String, ?> args) throws PdkException;

    /** {@code kong.service.request.set_body(args, mimetype)}: encodes as {@code mimetype} and sets Content-Type. */
    boolean setBody(Map<String, ?> args, String mimetype) throws PdkException;

    /** {@code kong.service.request.enable_tls()} (stream preread). */
    boolean enableTls() throws PdkException;

    /** {@code kong.service.request.disable_tls()} (stream preread). */
    boolean disableTls() throws PdkException;
}
