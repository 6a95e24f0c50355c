package io.kongjava.plugins.ai;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The request-body bytes the AI plugins of this JVM hold at once. A body is held from the access phase until its
 * exchange with the provider ends (a few copies: Kong's Step, the plugin's, the relay's), so a burst of large bodies
 * (Claude Code sessions of several MB) could run the server's small heap out of memory, and an OutOfMemoryError fails
 * every request in flight, not only the large ones. Instead a body that does not fit waits for others to finish, and
 * one that cannot be admitted in time is refused by its plugin (fail closed), alone.
 *
 * <p>The budget is a quarter of the JVM's maximum heap unless {@code -Dkong.java.ai.bodyBudgetBytes=N} says otherwise;
 * a body larger than the whole budget is admitted when it is alone.
 */
public final class BodyBudget {

    /** Bodies up to this size are not counted: they cannot exhaust a heap, and the common request stays free of waits. */
    public static final long UNCOUNTED_BYTES = 64 * 1024;
    private static final BodyBudget SHARED = new BodyBudget(Long.getLong("kong.java.ai.bodyBudgetBytes",
            Math.max(8L << 20, Runtime.getRuntime().maxMemory() / 4)));

    private final int capacityKib;
    private final Semaphore kib;

    public BodyBudget(long capacityBytes) {
        this.capacityKib = (int) Math.max(1, Math.min(Integer.MAX_VALUE, capacityBytes / 1024));
        this.kib = new Semaphore(capacityKib, true);
    }

    public static BodyBudget shared() {
        return SHARED;
    }

    /** The budget, in bytes. */
    public long capacityBytes() {
        return capacityKib * 1024L;
    }

    /** A body's share of the budget; {@link #close()} gives it back (once, whoever calls it). */
    public final class Reservation implements AutoCloseable {
        private final java.util.concurrent.atomic.AtomicInteger permits;

        private Reservation(int permits) {
            this.permits = new java.util.concurrent.atomic.AtomicInteger(permits);
        }

        /** Gives back what a body of {@code bytes} does not need (one reserved at its largest before its size was known). */
        public void shrinkTo(long bytes) {
            int needed = bytes <= UNCOUNTED_BYTES ? 0 : (int) Math.min(capacityKib, (bytes + 1023) / 1024);
            while (true) {
                int held = permits.get();
                if (held <= needed) {
                    return;
                }
                if (permits.compareAndSet(held, needed)) {
                    kib.release(held - needed);
                    return;
                }
            }
        }

        @Override
        public void close() {
            int held = permits.getAndSet(0);
            if (held > 0) {
                kib.release(held);
            }
        }
    }

    /** Nothing counted: for a body too small to count. */
    public Reservation none() {
        return new Reservation(0);
    }

    /**
     * Reserves room for a body of {@code bytes}, waiting up to {@code wait} for bodies in flight to finish; empty when
     * there was no room in time.
     */
    public Optional<Reservation> reserve(long bytes, Duration wait) throws InterruptedException {
        if (bytes <= UNCOUNTED_BYTES) {
            return Optional.of(none());
        }
        int permits = (int) Math.min(capacityKib, (bytes + 1023) / 1024);
        return kib.tryAcquire(permits, wait.toMillis(), TimeUnit.MILLISECONDS) ? Optional.of(new Reservation(permits)) : Optional.empty();
    }

    /**
     * Room for a buffer that grows as it is read (a non-streamed answer, read whole to be counted): nothing is counted up
     * to {@link #UNCOUNTED_BYTES}, then twice what the buffer holds (a growing byte array and its final copy), reserved
     * in steps; {@link #close()} gives it all back.
     */
    public Growing growing() {
        return new Growing();
    }

    /** See {@link #growing()}. Used by one thread at a time; closed by any. */
    public final class Growing implements AutoCloseable {
        private static final long STEP = 256 * 1024;
        private final java.util.List<Reservation> held = new java.util.concurrent.CopyOnWriteArrayList<>();
        private long reservedKib;
        private long coveredBytes = UNCOUNTED_BYTES;
        private volatile boolean closed;

        private Growing() {
        }

        /** Makes room for a buffer of {@code bytes}, waiting up to {@code wait}; false when none came in time. */
        public boolean ensure(long bytes, Duration wait) throws InterruptedException {
            if (bytes <= coveredBytes) {
                return true;
            }
            long wanted = Math.max(2 * (bytes - coveredBytes), STEP);
            long kibWanted = Math.min((wanted + 1023) / 1024, capacityKib - reservedKib);
            if (kibWanted <= 0) {
                coveredBytes = bytes; // it holds the whole budget already: admitted alone, as a large body is
                return true;
            }
            Optional<Reservation> room = kib.tryAcquire((int) kibWanted, wait.toMillis(), TimeUnit.MILLISECONDS)
                    ? Optional.of(new Reservation((int) kibWanted)) : Optional.empty();
            if (room.isEmpty()) {
                return false;
            }
            held.add(room.get());
            if (closed) {
                room.get().close(); // closed by another thread while this one waited
            }
            reservedKib += kibWanted;
            coveredBytes += kibWanted * 1024 / 2;
            return true;
        }

        @Override
        public void close() {
            closed = true;
            held.forEach(Reservation::close);
        }
    }

    /** Bytes not reserved right now. */
    public long availableBytes() {
        return kib.availablePermits() * 1024L;
    }
}
