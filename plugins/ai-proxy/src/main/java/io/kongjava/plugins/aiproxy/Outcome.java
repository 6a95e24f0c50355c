package io.kongjava.plugins.aiproxy;

/** How an exchange with the provider ended, as written to {@code ai.proxy.meta.outcome}. */
enum Outcome {
    COMPLETE("complete"),
    /** The provider answered an error status (passed to the client unchanged). */
    UPSTREAM_ERROR("upstream_error"),
    /** The provider sent an {@code error} event in the middle of a stream. */
    STREAM_ERROR("stream_error"),
    /** The provider's response ended before its last byte or event. */
    TRUNCATED("truncated"),
    UPSTREAM_TIMEOUT("upstream_timeout"),
    UPSTREAM_UNREACHABLE("upstream_unreachable"),
    CLIENT_DISCONNECTED("client_disconnected"),
    /** The plugin refused the request (bad body, model, size...). */
    REJECTED("rejected");

    final String label;

    Outcome(String label) {
        this.label = label;
    }
}
