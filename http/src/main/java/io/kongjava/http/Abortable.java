package io.kongjava.http;

/**
 * An exchange whose answer can be broken off: its connection is closed without the body's proper end (no last
 * chunk, fewer bytes than its Content-Length), so the client sees an incomplete answer rather than a complete one.
 * What nginx does when its upstream fails after the answer's head has gone out.
 */
public interface Abortable {

    /** Breaks the answer off when the exchange closes; what was written so far still goes out first. */
    void abort();

    /** Breaks off {@code exchange}'s answer if it can be broken off; false when it cannot. */
    static boolean abort(com.sun.net.httpserver.HttpExchange exchange) {
        if (exchange instanceof Abortable abortable) {
            abortable.abort();
            return true;
        }
        return false;
    }
}
