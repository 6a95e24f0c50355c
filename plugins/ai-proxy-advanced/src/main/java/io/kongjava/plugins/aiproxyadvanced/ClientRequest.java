package io.kongjava.plugins.aiproxyadvanced;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What an Anthropic-native client asked for, checked and parsed in the access phase; each provider turns it into
 * its own call.
 *
 * @param body          the client's Messages API body (its {@code model} is the client's; providers set their own)
 * @param anthropicBeta the client's {@code anthropic-beta} header, or null
 * @param rawQuery      the client's query string ({@code beta=true}), or null
 * @param requestId     Kong's request id, for the error pages the plugin answers itself, or null
 */
record ClientRequest(Operation operation, ObjectNode body, boolean stream, String anthropicBeta, String rawQuery, String requestId) {

    ClientRequest(Operation operation, ObjectNode body, boolean stream, String anthropicBeta, String rawQuery) {
        this(operation, body, stream, anthropicBeta, rawQuery, null);
    }

    enum Operation {
        MESSAGES("messages"), COUNT_TOKENS("count_tokens");

        final String label;

        Operation(String label) {
            this.label = label;
        }
    }

    /** A copy of the body for one provider, which may change it. */
    ObjectNode bodyCopy() {
        return body.deepCopy();
    }
}
