package io.kongjava.plugins.aiproxy;

/**
 * A request the plugin refuses, with the status and message the client gets.
 *
 * @see AiProxyPlugin#errorBody
 */
final class Rejection extends Exception {

    final int status;
    final String type;

    Rejection(int status, String type, String message) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
    }
}
