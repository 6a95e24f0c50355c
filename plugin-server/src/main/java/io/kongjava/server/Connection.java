package io.kongjava.server;

import io.kongjava.protocol.RpcEncoder;
import io.kongjava.protocol.RpcMessage;
import io.kongjava.protocol.RpcReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;

/**
 * One of Kong's pooled connections. It is used by one thread at a time: whichever thread holds it reads
 * Kong's next call and writes the answer. The socket is non-blocking behind its own selector so that a
 * thread waiting here for its event's Step can be woken when that Step arrives on another connection;
 * a blocking read could not be abandoned without closing the socket Kong still has in its pool.
 */
final class Connection implements AutoCloseable {

    /** Thrown by {@link #read} when the waiting thread was woken or its deadline passed, between messages. */
    static final class StoppedWaiting extends IOException {
        final boolean timedOut;

        StoppedWaiting(boolean timedOut) {
            super(timedOut ? "deadline passed" : "woken");
            this.timedOut = timedOut;
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this; // thrown for control flow, thousands of times a second under load
        }
    }

    private final SocketChannel channel;
    private final Selector selector;
    private final SelectionKey key;
    private final RpcReader reader;
    private final RpcEncoder encoder = new RpcEncoder();
    private boolean pidAnnounced;
    /** Set while the holder waits between messages: only then may a wake-up or deadline interrupt it. */
    private boolean betweenMessages;
    private boolean wakeable;
    private long deadlineNanos;
    private volatile boolean wakeRequested;
    /**
     * Set when an answer has gone out: Kong's next call cannot be there yet (its Lua must first read the
     * answer), so the next read waits on the selector first instead of trying the socket and failing.
     */
    private boolean answered;
    /** This connection's key in the watcher of idle connections, once it has been idle. */
    SelectionKey idleKey;

    Connection(SocketChannel channel, boolean announcePid) throws IOException {
        this.channel = channel;
        channel.configureBlocking(false);
        this.selector = Selector.open();
        this.key = channel.register(selector, SelectionKey.OP_READ);
        this.reader = new RpcReader(new ChannelInput());
        this.pidAnnounced = !announcePid;
    }

    /**
     * Kong's next message; {@code null} when Kong closed the connection between messages. The deadline
     * ({@code deadlineNanos}, on {@link System#nanoTime}'s clock; 0 for none) and, when {@code wakeable}, a
     * {@link #wake()} end the wait with {@link StoppedWaiting}, but only before a message has started.
     */
    RpcMessage read(boolean wakeable, long deadlineNanos) throws IOException {
        betweenMessages = true;
        this.wakeable = wakeable;
        this.deadlineNanos = deadlineNanos;
        try {
            if (!reader.awaitMessage()) {
                return null;
            }
        } finally {
            betweenMessages = false;
        }
        return reader.read();
    }

    /** Ends the holder's interruptible wait in {@link #read}; callable from any thread. */
    void wake() {
        wakeRequested = true;
        selector.wakeup();
    }

    /** The socket, for the watcher of idle connections. */
    SocketChannel channel() {
        return channel;
    }

    void clearWake() {
        wakeRequested = false;
    }

    /** Writes an answer; the first on this connection is preceded by Kong's serverPid notification. */
    void write(RpcMessage.Response response) throws IOException {
        if (!pidAnnounced) {
            pidAnnounced = true;
            writeFully(encoder.encode(new RpcMessage.Notification(RpcMessage.Notification.SERVER_PID, ProcessHandle.current().pid())));
        }
        writeFully(encoder.encode(response));
        answered = true;
    }

    private void writeFully(ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            if (channel.write(buffer) == 0) {
                // Kong has not read what we sent yet (a big body): wait until the socket takes more.
                try {
                    key.interestOps(SelectionKey.OP_WRITE);
                    selector.select(1000);
                    selector.selectedKeys().clear();
                    key.interestOps(SelectionKey.OP_READ);
                } catch (ClosedSelectorException | java.nio.channels.CancelledKeyException e) {
                    throw new ClosedChannelException();
                }
            }
        }
    }

    @Override
    public void close() {
        try {
            selector.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    /** The socket as a stream for the unpacker: waits on the selector whenever no byte is ready. */
    private final class ChannelInput extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] bytes, int offset, int length) throws IOException {
            ByteBuffer target = ByteBuffer.wrap(bytes, offset, length);
            boolean tryFirst = !(answered && betweenMessages);
            answered = false;
            while (true) {
                if (tryFirst) {
                    int n = channel.read(target);
                    if (n != 0) {
                        return n;
                    }
                }
                tryFirst = true;
                long timeoutMillis = 0;
                if (betweenMessages) {
                    if (wakeable && wakeRequested) {
                        throw new StoppedWaiting(false);
                    }
                    if (deadlineNanos != 0) {
                        long left = deadlineNanos - System.nanoTime();
                        if (left <= 0) {
                            throw new StoppedWaiting(true);
                        }
                        timeoutMillis = Math.max(1, left / 1_000_000);
                    }
                }
                try {
                    selector.select(timeoutMillis);
                    selector.selectedKeys().clear();
                } catch (ClosedSelectorException e) {
                    throw new ClosedChannelException();
                }
                if (Thread.interrupted()) {
                    throw new InterruptedIOException("interrupted while waiting for Kong");
                }
            }
        }
    }
}
