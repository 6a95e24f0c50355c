package io.kongjava.pdk.request;

import io.kongjava.pdk.PdkException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code kong.request}: the request as the client sent it (changes for the upstream go through
 * {@code kong.service.request}).
 *
 * <p>Phases: rewrite, access and response. In the log timer only {@code get_header}, {@code get_headers},
 * {@code get_uri_captures} and {@code get_start_time} work (from Kong's snapshot); every other getter
 * raises there, so read the serialized log record instead. Header names are case-insensitive; multimaps
 * are keyed by the lower-case names Kong reports.
 */
public interface Request {

    /** {@code kong.request.get_scheme()}: {@code http} or {@code https}. */
    String getScheme() throws PdkException;

    /** {@code kong.request.get_host()}: the host name, lower case, without port. */
    String getHost() throws PdkException;

    /** {@code kong.request.get_port()}: the port the request came in on. */
    int getPort() throws PdkException;

    /** {@code kong.request.get_forwarded_scheme()}: honours X-Forwarded-Proto from trusted proxies. */
    String getForwardedScheme() throws PdkException;

    /** {@code kong.request.get_forwarded_host()}. */
    String getForwardedHost() throws PdkException;

    /** {@code kong.request.get_forwarded_port()}. */
    int getForwardedPort() throws PdkException;

    /** {@code kong.request.get_forwarded_path()}. */
    String getForwardedPath() throws PdkException;

    /** {@code kong.request.get_forwarded_prefix()}: the prefix stripped by the route, if any. */
    Optional<String> getForwardedPrefix() throws PdkException;

    /** {@code kong.request.get_http_version()}: e.g. 1.1 or 2.0. */
    double getHttpVersion() throws PdkException;

    /** {@code kong.request.get_method()}: e.g. {@code GET}. */
    String getMethod() throws PdkException;

    /** {@code kong.request.get_path()}: the normalized path, without query. */
    String getPath() throws PdkException;

    /** {@code kong.request.get_raw_path()}: the path as sent (not normalized). */
    String getRawPath() throws PdkException;

    /** {@code kong.request.get_path_with_query()}. */
    String getPathWithQuery() throws PdkException;

    /** {@code kong.request.get_raw_query()}: the query string without {@code ?}; empty string if none. */
    String getRawQuery() throws PdkException;

    /**
     * {@code kong.request.get_query_arg(name)}: the first value of a query argument; {@code ""} for a flag
     * without value ({@code ?debug}); empty when absent.
     */
    Optional<String> getQueryArg(String name) throws PdkException;

    /**
     * {@code kong.request.get_query()}: every query argument (Kong's default limit: 100). A flag without value
     * ({@code ?debug}, Lua's {@code true}) is a key with an empty list; {@code ?debug=} has the value {@code ""}. Test
     * presence with {@code containsKey}, not with the values.
     */
    Map<String, List<String>> getQuery() throws PdkException;

    /** {@code kong.request.get_query(max_args)}. */
    Map<String, List<String>> getQuery(int maxArgs) throws PdkException;

    /** {@code kong.request.get_header(name)}: the first value; empty when absent. */
    Optional<String> getHeader(String name) throws PdkException;

    /**
     * {@code kong.request.get_headers()}: every header (Kong's default limit: 100), looked up as Kong's table is:
     * whatever the case, {@code _} for {@code -}.
     */
    Map<String, List<String>> getHeaders() throws PdkException;

    /** {@code kong.request.get_headers(max_headers)}. */
    Map<String, List<String>> getHeaders(int maxHeaders) throws PdkException;

    /**
     * {@code kong.request.get_raw_body(0)}: the whole body, however large (Kong reads a body buffered to a
     * temp file only when given a size; without one it fails the phase, so a size is always sent).
     * Empty array when the request has no body.
     */
    byte[] getRawBody() throws PdkException;

    /**
     * The body if it is at most {@code maxAllowedFileSize} bytes ({@code 0} = no limit). Kong's own
     * {@code get_raw_body(max)} applies the limit only to a body nginx buffered to a file, and its answer to a larger
     * one (nil) cannot cross its plugin-server bridge: the phase dies and Kong answers 500 without telling the plugin.
     * So this asks Kong for the body without a limit and applies the limit here, to any body, where the plugin can
     * answer it (with a 413, say). A body whose {@code Content-Length} is over the limit is refused before Kong sends
     * it (one more call); a chunked one crosses the socket whole first, bounded only by Kong's
     * {@code client_max_body_size}, which is unlimited by default.
     *
     * @throws BodyTooLargeException when the body is larger than the limit
     * @throws PdkException when Kong could not give it
     */
    byte[] getRawBody(long maxAllowedFileSize) throws PdkException;

    /**
     * {@code kong.request.get_body()}: the body parsed by Kong according to its Content-Type (JSON, form,
     * multipart): a {@code Map}, a {@code List} or text; empty when Kong cannot parse it. Empty too, as in Kong, for a
     * body larger than {@code client_body_buffer_size} (8 KiB by default), which nginx keeps in a file that Kong's
     * {@code get_body} reads only when given {@code max_allowed_file_size}: use
     * {@link #getBody(String, int, long) getBody(null, 100, 0)} for a body of any size.
     */
    Optional<Object> getBody() throws PdkException;

    /**
     * {@code kong.request.get_body(mimetype)}: parses as {@code mimetype} whatever the Content-Type says; empty for
     * a body over {@code client_body_buffer_size}, as {@link #getBody()}.
     */
    Optional<Object> getBody(String mimetype) throws PdkException;

    /**
     * {@code kong.request.get_body(mimetype, max_args, max_allowed_file_size)}. A {@code null} mimetype
     * means the request's Content-Type, read with one more call (Kong cannot receive a nil before the
     * other arguments); empty when there is none.
     */
    Optional<Object> getBody(String mimetype, int maxArgs, long maxAllowedFileSize) throws PdkException;

    /** {@code kong.request.get_start_time()}: when Kong received the request, in ms since the epoch. */
    long getStartTime() throws PdkException;

    /** {@code kong.request.get_uri_captures()}. */
    UriCaptures getUriCaptures() throws PdkException;
}
