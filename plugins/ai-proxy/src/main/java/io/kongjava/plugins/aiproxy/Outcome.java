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
    REJECTED("rejected"),
    /**
     * The access phase itself failed (the relay could not start, a PDK call failed, an exception): the plugin
     * answered Kong's 500 and nothing was sent to the provider.
     */
    INTERNAL_ERROR("internal_error"),
    /**
     * Kong ended the request while the access phase was still running (a PDK call raised in Kong, e.g. a spooled
     * body Kong could not read back): Kong answered itself and never told the plugin. java-file-log writes this
     * from the {@code ai_pending} block when the measured block does not come.
     */
    ABANDONED("abandoned");

    final String label;

    Outcome(String label) {
        this.label = label;
    }
}
