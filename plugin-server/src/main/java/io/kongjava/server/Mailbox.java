package io.kongjava.server;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * The queue between an event's plugin thread and the connection answering Kong for it, with one waiter at a
 * time. Every PDK call crosses it twice, so it is kept cheap: the waiter parks without a timer, and one
 * sweeper wakes the waiters whose deadline passed. A timed park would arm and cancel a timer on every call,
 * a cost that showed at the top of the server's profile.
 */
final class Mailbox<T> {

    private static final long SWEEP_MILLIS = 25;
    private static final Map<Mailbox<?>, Long> DEADLINES = new ConcurrentHashMap<>();

    static {
        Thread.ofVirtual().name("mailbox-deadlines").start(() -> {
            while (true) {
                try {
                    Thread.sleep(SWEEP_MILLIS);
                } catch (InterruptedException e) {
                    return;
                }
                long now = System.nanoTime();
                DEADLINES.forEach((mailbox, deadline) -> {
                    Thread waiter = mailbox.waiter;
                    if (now - deadline >= 0 && waiter != null) {
                        LockSupport.unpark(waiter);
                    }
                });
            }
        });
    }

    private final ConcurrentLinkedQueue<T> items = new ConcurrentLinkedQueue<>();
    private volatile Thread waiter;

    void put(T item) {
        items.add(item);
        Thread current = waiter;
        if (current != null) {
            LockSupport.unpark(current);
        }
    }

    void clear() {
        items.clear();
    }

    /** The next item, waiting at most {@code limit} (give or take the sweep interval); {@code null} when none came. */
    T take(Duration limit) throws InterruptedException {
        T item = items.poll();
        if (item != null) {
            return item;
        }
        long deadline = System.nanoTime() + limit.toNanos();
        waiter = Thread.currentThread();
        DEADLINES.put(this, deadline);
        try {
            while ((item = items.poll()) == null) {
                if (System.nanoTime() - deadline >= 0) {
                    return null;
                }
                LockSupport.park(this);
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
            }
            return item;
        } finally {
            DEADLINES.remove(this);
            waiter = null;
        }
    }
}
