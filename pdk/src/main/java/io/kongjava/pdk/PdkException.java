package io.kongjava.pdk;

/**
 * A PDK call did not give a usable answer: Kong returned nothing where a value was required, the call is
 * not possible in this phase, the event has already ended (after {@code kong.response.exit}), or the
 * connection to Kong failed. The message names the PDK function, e.g. {@code kong.request.get_raw_body}.
 */
public class PdkException extends Exception {

    private final String method;

    public PdkException(String method, String message) {
        super(method + ": " + message);
        this.method = method;
    }

    public PdkException(String method, String message, Throwable cause) {
        super(method + ": " + message, cause);
        this.method = method;
    }

    /** The Kong PDK function, e.g. {@code kong.request.get_header}. */
    public String method() {
        return method;
    }
}
