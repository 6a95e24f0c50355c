package io.kongjava.kongclient;

/** How an event (one phase of one plugin for one request) ended, seen from Kong. */
public sealed interface EventOutcome {

    /** The plugin returned {@code "ret"}. */
    record Returned(int pdkCalls) implements EventOutcome {
    }

    /** The plugin called {@code kong.response.exit} or {@code error}; Kong sent no Step for it. */
    record Terminated(int pdkCalls, String method) implements EventOutcome {
    }

    /** A PDK function raised in Kong; Kong abandons the event without telling the server. */
    record Raised(int pdkCalls, String method, String message) implements EventOutcome {
    }
}
