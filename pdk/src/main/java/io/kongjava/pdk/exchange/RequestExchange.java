package io.kongjava.pdk.exchange;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Hands values from one Java plugin to another for the same Kong request, inside one plugin-server
 * process. Kong's own channels cannot do it for figures known only after the response: Kong runs external
 * log handlers later, on a snapshot whose {@code kong.log.serialize()} was taken before they start, and
 * {@code kong.ctx.shared} is copied into that snapshot at the same moment.
 *
 * <p>Requests are named by a key both plugins can read, normally Kong's request id ({@code request.id} in
 * the serialized log record, {@code $kong_request_id} in nginx). A value is published as a stage that
 * completes when the producer knows it (e.g. when a streamed upstream response ends); readers wait for it
 * for a bounded time. Entries are forgotten a while after they complete, or after a longer bound if they
 * never do, so an abandoned request leaks nothing.
 */
public interface RequestExchange {

    /** Publishes {@code value} under ({@code requestId}, {@code key}), replacing an earlier one. */
    void publish(String requestId, String key, CompletionStage<?> value);

    /** The stage published under ({@code requestId}, {@code key}), if any and not yet forgotten. */
    Optional<CompletionStage<?>> lookup(String requestId, String key);

    /**
     * Waits at most {@code timeout} for the value published under ({@code requestId}, {@code key}).
     * Empty when nothing was published, when the stage failed, or when it did not complete in time.
     */
    Optional<Object> await(String requestId, String key, Duration timeout) throws InterruptedException;

    /**
     * Forgets what was published under ({@code requestId}, {@code key}) now, for a value its producer knows no
     * reader needs any more (a fallback once the real value is there), rather than holding it until it expires.
     */
    void forget(String requestId, String key);

    /**
     * Forgets everything published for {@code requestId} now, for a host that knows the request's last reader has run
     * (the local gateway once the request's log phases ended). Kong's protocol says nothing of a request's end, so
     * under Kong entries are forgotten only as they expire.
     */
    void forgetRequest(String requestId);
}
