package io.kongjava.server;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

/**
 * Kong keeps up to a few hundred pooled connections open per worker, most of them idle. A connection with
 * nothing to read for a while waits here, on one selector for all of them, instead of holding a thread and
 * its stack; when Kong calls on it again it goes back to a worker thread.
 */
final class IdleConnections implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(IdleConnections.class.getName());

    private final Selector selector;
    private final Queue<Connection> arriving = new ConcurrentLinkedQueue<>();
    private final Consumer<Connection> readable;
    private final Consumer<Connection> failed;
    private volatile boolean closed;

    IdleConnections(Consumer<Connection> readable, Consumer<Connection> failed) throws IOException {
        this.selector = Selector.open();
        this.readable = readable;
        this.failed = failed;
        Thread.ofPlatform().daemon(true).name("idle-connections").start(this::loop);
    }

    /** Watches {@code connection} until Kong sends on it; the caller must not use it afterwards. */
    void park(Connection connection) {
        arriving.add(connection);
        selector.wakeup();
    }

    private void loop() {
        while (!closed) {
            try {
                selector.select();
                for (Connection connection; (connection = arriving.poll()) != null; ) {
                    watch(connection);
                }
                for (SelectionKey key : selector.selectedKeys()) {
                    Connection connection = (Connection) key.attachment();
                    try {
                        key.interestOps(0);
                    } catch (CancelledKeyException e) {
                        failed.accept(connection);
                        continue;
                    }
                    readable.accept(connection);
                }
                selector.selectedKeys().clear();
            } catch (IOException | RuntimeException e) {
                if (!closed) {
                    LOG.log(Level.ERROR, "watching idle connections failed: " + e);
                }
            }
        }
    }

    private void watch(Connection connection) {
        try {
            if (connection.idleKey == null || !connection.idleKey.isValid()) {
                connection.idleKey = connection.channel().register(selector, SelectionKey.OP_READ, connection);
            } else {
                connection.idleKey.interestOps(SelectionKey.OP_READ);
            }
        } catch (ClosedChannelException | CancelledKeyException e) {
            failed.accept(connection);
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            selector.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
