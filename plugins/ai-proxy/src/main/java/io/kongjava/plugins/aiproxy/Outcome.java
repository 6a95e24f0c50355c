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
    /** The provider's non-streamed answer was larger than the plugin reads whole: the client got Kong's 502. */
    RESPONSE_TOO_LARGE("response_too_large"),
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

    /** Whether the provider's answer (or part of it) was read, so that Kong's ai-proxy would have logged its model. */
    boolean providerAnswered() {
        return switch (this) {
            case COMPLETE, UPSTREAM_ERROR, STREAM_ERROR, TRUNCATED, RESPONSE_TOO_LARGE, CLIENT_DISCONNECTED -> true;
            case UPSTREAM_TIMEOUT, UPSTREAM_UNREACHABLE, REJECTED, INTERNAL_ERROR, ABANDONED -> false;
        };
    }
}
