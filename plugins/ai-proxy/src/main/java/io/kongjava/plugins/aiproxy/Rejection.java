package io.kongjava.plugins.aiproxy;

/**
 * A request the plugin refuses, with the status and message the client gets.
 *
 * @see AiProxyPlugin#errorBody
 */
final class Rejection extends Exception {

    final int status;
    final String type;
    /** The model the client asked for, once its body was read; {@code null} before or when it named none. */
    String requestModel;
    /** Whether the client asked for a stream, once its body was read: the line's {@code request_mode}. */
    boolean streamAsked;

    Rejection(int status, String type, String message) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
    }
}
