package io.kongjava.plugins.ai;

/**
 * Lua patterns for the AI plugins' dumped schemas, so that Kong refuses a bad value when the config is stored (the
 * plugin's own checks, {@link UpstreamUrls}, say why in more words at StartInstance, which is too late: every request
 * of a stored config Kong cannot start fails).
 */
public final class UpstreamSchema {

    /** An http or https URL with a host and no white space. */
    public static final String HTTP_URL = "^https?://[^%s/?#]+[^%s]*$";
    public static final String HTTP_URL_ERROR = "must be an http or https URL with a host, without spaces";
    /** An HTTP header name (RFC 9110 token). */
    public static final String HEADER_NAME = "^[%w!#$%%&'*+.^_`|~-]+$";

    private UpstreamSchema() {
    }
}
