package io.kongjava.http;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs each task on a pooled platform thread while fewer than {@code limit} are busy, and on a new virtual thread
 * beyond that. A task that blocks on a socket wakes once when its bytes come on a platform thread; on a virtual
 * thread the wake-up goes through the JDK's poller and then a carrier thread. On a virtual machine that is the
 * difference between an 8 and a 35-60 us loopback round trip (bench/README.md, "Platform threads on the request
 * path"), and a request through the gateway and the relay blocks on a socket a dozen times. Virtual threads
 * still take any number of tasks past the limit, so a burst of connections costs memory for stacks only up to it.
 */
public final class PlatformFirstThreads implements Executor {

    /** How many platform threads the request path uses at most in each pool, unless set otherwise. */
    public static final int DEFAULT_LIMIT = Integer.getInteger("kong.java.http.platformThreads", 32);

    private final ThreadPoolExecutor platform;
    private final Thread.Builder virtual;

    public PlatformFirstThreads(String name, int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must be 0 or more: " + limit);
        }
        AtomicInteger count = new AtomicInteger();
        this.virtual = Thread.ofVirtual().name(name + "-v", 1);
        this.platform = limit == 0 ? null : new ThreadPoolExecutor(0, limit, 60, TimeUnit.SECONDS, new SynchronousQueue<>(),
                task -> Thread.ofPlatform().daemon().name(name + "-" + count.incrementAndGet()).unstarted(task),
                (task, pool) -> {
                    throw new RejectedExecutionException("all platform threads busy");
                });
    }

    @Override
    public void execute(Runnable task) {
        if (platform != null && !platform.isShutdown()) {
            try {
                platform.execute(task);
                return;
            } catch (RejectedExecutionException busy) {
                // past the limit: a virtual thread below
            }
        }
        virtual.start(task);
    }

    /** How many platform threads are running a task now. */
    public int busyPlatformThreads() {
        return platform == null ? 0 : platform.getActiveCount();
    }

    /** Lets idle platform threads end; running tasks go on. */
    public void shutdown() {
        if (platform != null) {
            platform.shutdown();
        }
    }
}
