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

    Rejection(int status, String type, String message) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
    }
}
