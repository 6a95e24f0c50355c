package io.kongjava.pdk.filter;

/**
 * Thrown by a {@link ResponseFilter} method to refuse the upstream's answer before any of it has left: the client
 * gets Kong's error answer with {@code status} (502 for an answer the gateway will not pass on, say) instead of the
 * 500 that any other failure gives. Once bytes have left, it ends the response as any failure does.
 */
public final class AnswerRefused extends Exception {

    private final int status;

    /**
     * @param status  the status the client gets, 400 to 599
     * @param message why, for the log (the client gets Kong's text for the status)
     */
    public AnswerRefused(int status, String message) {
        super(message);
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("a refusal's status is an error status (400-599): " + status);
        }
        this.status = status;
    }

    public int status() {
        return status;
    }
}
