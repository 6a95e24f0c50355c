package io.kongjava.pdk.exchange;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The process-wide {@link RequestExchange}: a concurrent map of stages that forgets an entry
 * {@code retainAfterRead} after a reader last received its value, {@code retainAfterCompletion} after its stage
 * completed if nobody reads it, or {@code maxAge} after it was published if it never completes.
 *
 * <p>Expired entries are swept by the calling threads themselves (at most once per sweep interval, by
 * whichever call comes first), so the exchange owns no thread that could leak or keep a JVM alive, and an
 * idle exchange costs nothing. Lookups never return an expired entry even between sweeps.
 */
public final class ProcessRequestExchange implements RequestExchange {

    /**
     * Long enough for Kong's log timer to run after the response, even behind a backlog of seconds; short
     * enough to hold little memory: at 2 minutes a how-to burst of a few hundred requests/s kept 11,600 ai
     * blocks (40 MB of heap), at 30 s still 7,000.
     */
    public static final Duration DEFAULT_RETAIN_AFTER_COMPLETION = Duration.ofSeconds(10);
    /**
     * A value's readers are the log phases of one request, which Kong runs one after another in the same timer:
     * a second is ample for the next of them, and it keeps a burst's heap to what the last second read (with only
     * the retention after completion, a 64 MB heap held ten seconds of how-to blocks and spent its time in full
     * collections).
     */
    public static final Duration DEFAULT_RETAIN_AFTER_READ = Duration.ofSeconds(1);
    /** Longer than any sane streamed response (Kong's own proxy timeouts are 60 s per read). */
    public static final Duration DEFAULT_MAX_AGE = Duration.ofMinutes(30);

    private static final ProcessRequestExchange SHARED =
            new ProcessRequestExchange(DEFAULT_RETAIN_AFTER_READ, DEFAULT_RETAIN_AFTER_COMPLETION, DEFAULT_MAX_AGE, System::nanoTime);

    /**
     * Told of every stage published and of its completion (the metrics module reads java-ai-proxy's {@code ai}
     * block this way). Called on the publishing and the completing threads: must be quick and must not throw.
     */
    public interface Observer {
        void published(String requestId, String key);

        /** {@code value} is null when the stage failed or completed with null. */
        void completed(String requestId, String key, Object value);
    }

    private final java.util.List<Observer> observers = new java.util.concurrent.CopyOnWriteArrayList<>();

    private static final class Entry {
        final CompletionStage<?> stage;
        final long publishedAt;
        volatile long completedAt = Long.MIN_VALUE;
        volatile long lastReadAt = Long.MIN_VALUE;

        Entry(CompletionStage<?> stage, long publishedAt) {
            this.stage = stage;
            this.publishedAt = publishedAt;
        }
    }

    /** Per request, its few keys in an immutable map replaced on each change, so a request is forgotten in one removal. */
    private final ConcurrentHashMap<String, Map<String, Entry>> requests = new ConcurrentHashMap<>();
    private final long retainAfterReadNanos;
    private final long retainNanos;
    private final long maxAgeNanos;
    private final long sweepIntervalNanos;
    private final LongSupplier nanoTime;
    private final AtomicLong nextSweep;

    /** The exchange shared by every plugin of this process (given to those that {@link UsesRequestExchange}). */
    public static ProcessRequestExchange shared() {
        return SHARED;
    }

    /**
     * An exchange that keeps a completed entry {@code retainAfterCompletion} whether it was read or not;
     * {@code nanoTime} is the clock ({@code System::nanoTime} outside tests).
     */
    public ProcessRequestExchange(Duration retainAfterCompletion, Duration maxAge, LongSupplier nanoTime) {
        this(retainAfterCompletion, retainAfterCompletion, maxAge, nanoTime);
    }

    /**
     * An exchange with its own expiry: an entry whose value a reader received is forgotten
     * {@code retainAfterRead} after the last such read, one nobody read {@code retainAfterCompletion} after it
     * completed, one that never completes {@code maxAge} after it was published.
     */
    public ProcessRequestExchange(Duration retainAfterRead, Duration retainAfterCompletion, Duration maxAge, LongSupplier nanoTime) {
        if (retainAfterRead.isNegative() || retainAfterRead.compareTo(retainAfterCompletion) > 0
                || maxAge.compareTo(retainAfterCompletion) < 0) {
            throw new IllegalArgumentException("need 0 <= retainAfterRead <= retainAfterCompletion <= maxAge");
        }
        this.retainAfterReadNanos = retainAfterRead.toNanos();
        this.retainNanos = retainAfterCompletion.toNanos();
        this.maxAgeNanos = maxAge.toNanos();
        this.sweepIntervalNanos = Math.max(1, Math.min(retainAfterReadNanos, Duration.ofSeconds(10).toNanos()) / 2);
        this.nanoTime = Objects.requireNonNull(nanoTime);
        this.nextSweep = new AtomicLong(nanoTime.getAsLong() + sweepIntervalNanos);
    }

    @Override
    public void publish(String requestId, String key, CompletionStage<?> value) {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        long now = nanoTime.getAsLong();
        sweepIfDue(now);
        Entry entry = new Entry(value, now);
        requests.compute(requestId, (id, held) -> with(held, key, entry));
        observers.forEach(o -> o.published(requestId, key));
        value.whenComplete((v, e) -> {
            entry.completedAt = nanoTime.getAsLong();
            observers.forEach(o -> o.completed(requestId, key, e == null ? v : null));
        });
    }

    @Override
    public Optional<CompletionStage<?>> lookup(String requestId, String key) {
        long now = nanoTime.getAsLong();
        sweepIfDue(now);
        Entry entry = entry(requestId, key);
        if (entry == null) {
            return Optional.empty();
        }
        if (expired(entry, now)) {
            remove(requestId, key, entry);
            return Optional.empty();
        }
        if (entry.completedAt != Long.MIN_VALUE) {
            entry.lastReadAt = now;
        }
        return Optional.of(entry.stage);
    }

    @Override
    public Optional<Object> await(String requestId, String key, Duration timeout) throws InterruptedException {
        Optional<CompletionStage<?>> stage = lookup(requestId, key);
        if (stage.isEmpty()) {
            return Optional.empty();
        }
        try {
            long nanos = Math.max(0, timeout.toNanos());
            Object value = stage.get().toCompletableFuture().get(nanos, TimeUnit.NANOSECONDS);
            Entry entry = entry(requestId, key);
            if (entry != null && entry.stage == stage.get()) {
                entry.lastReadAt = nanoTime.getAsLong();
            }
            return Optional.ofNullable(value);
        } catch (ExecutionException | TimeoutException | CancellationException e) {
            return Optional.empty();
        }
    }

    @Override
    public void forget(String requestId, String key) {
        remove(Objects.requireNonNull(requestId, "requestId"), Objects.requireNonNull(key, "key"), null);
    }

    @Override
    public void forgetRequest(String requestId) {
        requests.remove(Objects.requireNonNull(requestId, "requestId"));
    }

    /** Tells {@code observer} of every stage published from now on; closing the result stops that. */
    public AutoCloseable observe(Observer observer) {
        observers.add(Objects.requireNonNull(observer, "observer"));
        return () -> observers.remove(observer);
    }

    /** Entries currently held (expired ones may be counted until the next sweep). */
    public int size() {
        int size = 0;
        for (Map<String, Entry> held : requests.values()) {
            size += held.size();
        }
        return size;
    }

    /** Forgets every expired entry now. */
    public void sweep() {
        sweep(nanoTime.getAsLong());
    }

    private void sweepIfDue(long now) {
        long due = nextSweep.get();
        if (now - due >= 0 && nextSweep.compareAndSet(due, now + sweepIntervalNanos)) {
            sweep(now);
        }
    }

    private void sweep(long now) {
        requests.forEach((requestId, seen) -> {
            if (seen.values().stream().anyMatch(e -> expired(e, now))) {
                requests.computeIfPresent(requestId, (id, held) -> {
                    Map<String, Entry> kept = new HashMap<>(held);
                    kept.values().removeIf(e -> expired(e, now));
                    return kept.isEmpty() ? null : Map.copyOf(kept);
                });
            }
        });
    }

    private Entry entry(String requestId, String key) {
        Map<String, Entry> held = requests.get(requestId);
        return held == null ? null : held.get(key);
    }

    /** Removes {@code key} of {@code requestId}: only if it is still {@code expected}, unless that is null. */
    private void remove(String requestId, String key, Entry expected) {
        requests.computeIfPresent(requestId, (id, held) -> {
            Entry current = held.get(key);
            if (current == null || (expected != null && current != expected)) {
                return held;
            }
            Map<String, Entry> kept = new HashMap<>(held);
            kept.remove(key);
            return kept.isEmpty() ? null : Map.copyOf(kept);
        });
    }

    private static Map<String, Entry> with(Map<String, Entry> held, String key, Entry entry) {
        if (held == null) {
            return Map.of(key, entry);
        }
        Map<String, Entry> next = new HashMap<>(held);
        next.put(key, entry);
        return Map.copyOf(next);
    }

    private boolean expired(Entry entry, long now) {
        long lastReadAt = entry.lastReadAt;
        if (lastReadAt != Long.MIN_VALUE && now - lastReadAt > retainAfterReadNanos) {
            return true;
        }
        long completedAt = entry.completedAt;
        if (completedAt != Long.MIN_VALUE && now - completedAt > retainNanos) {
            return true;
        }
        return now - entry.publishedAt > maxAgeNanos;
    }
}
