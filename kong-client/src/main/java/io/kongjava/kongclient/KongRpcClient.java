package io.kongjava.kongclient;

import io.kongjava.catalogue.PdkFunction;
import io.kongjava.protocol.EventReply;
import io.kongjava.protocol.KongCall;
import io.kongjava.protocol.ProtocolException;
import io.kongjava.protocol.RpcMessage;
import io.kongjava.protocol.RpcReader;
import io.kongjava.protocol.RpcWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Deque;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Kong's side of MsgPack:1, behaving as Kong's {@code mp_rpc.lua} does: every call checks a connection out
 * of a keep-alive pool for the socket (connecting when the pool is empty), sends one request, reads
 * notifications until the response with its msgid, and returns the connection to the pool. Calls of one
 * event may therefore travel on different connections. The pool is lua-nginx-module's cosocket pool: the
 * connection returned last is the one taken next, and a full pool closes its oldest connection to keep the one
 * returned. So one event's calls stay on one connection unless other calls run at the same time. Thread-safe.
 */
public final class KongRpcClient implements PluginServerClient {

    /** Kong's cosocket default: connect, send and read timeouts of 60 s. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    private final Path socket;
    private final Duration timeout;
    private final int poolSize;
    /** Most recently returned first, as lua-nginx-module keeps its cosocket pool. */
    private final Deque<Connection> pool = new ConcurrentLinkedDeque<>();
    private final AtomicLong msgids = new AtomicLong();
    private final AtomicInteger pooled = new AtomicInteger();
    private final Set<Connection> reading = ConcurrentHashMap.newKeySet();
    private final Thread watchdog;
    private volatile Object serverPid;
    private volatile boolean closed;

    public KongRpcClient(Path socket) {
        this(socket, DEFAULT_TIMEOUT, 256);
    }

    /**
     * @param poolSize connections kept open between calls (Kong's {@code lua_socket_pool_size}, 256
     *                 since 3.5); further connections are closed after their call
     */
    public KongRpcClient(Path socket, Duration timeout, int poolSize) {
        this.socket = socket;
        this.timeout = timeout;
        this.poolSize = poolSize;
        long tick = Math.max(5, Math.min(100, timeout.toMillis() / 20));
        this.watchdog = Thread.ofVirtual().name("kong-rpc-watchdog " + socket.getFileName()).start(() -> {
            while (!closed) {
                try {
                    Thread.sleep(tick);
                } catch (InterruptedException e) {
                    return;
                }
                long now = System.nanoTime();
                for (Connection connection : reading) {
                    if (now - connection.deadline > 0) {
                        connection.timedOut = true;
                        connection.close();
                    }
                }
            }
        });
    }

    public Path socket() {
        return socket;
    }

    /** The pid the server last announced with a {@code serverPid} notification, or {@code null}. */
    public Object serverPid() {
        return serverPid;
    }

    @Override
    public Object call(KongCall call) throws IOException, RpcErrorException {
        return call(call.method().wireName(), call.toArgument());
    }

    /**
     * Calls {@code method} (e.g. {@code plugin.HandleEvent}) with Kong's single argument.
     *
     * @throws RpcErrorException when the server answers with an error string
     * @throws IOException when the socket fails, times out, or the answer is not a well-formed response
     */
    public Object call(String method, Object argument) throws IOException, RpcErrorException {
        long msgid = msgids.incrementAndGet();
        java.util.ArrayList<Object> params = new java.util.ArrayList<>(1);
        params.add(argument);
        RpcMessage.Request request = new RpcMessage.Request(msgid, method, params);
        Connection connection = checkout();
        RpcMessage.Response response;
        try {
            response = exchange(connection, request);
        } catch (StaleConnectionException e) {
            // nginx drops pooled connections the peer closed (e.g. a restarted server); do the same
            connection.close();
            connection = connect();
            response = exchange(connection, request);
        }
        keepAlive(connection);
        if (response.failed()) {
            throw new RpcErrorException(method, response.error());
        }
        return response.result();
    }

    /** A pooled connection turned out to be closed by the server before it read our request. */
    private static final class StaleConnectionException extends IOException {
        StaleConnectionException(Throwable cause) {
            super(cause);
        }
    }

    private RpcMessage.Response exchange(Connection connection, RpcMessage.Request request) throws IOException {
        try {
            try {
                connection.writer.write(request);
            } catch (IOException e) {
                if (connection.reused) {
                    throw new StaleConnectionException(e);
                }
                throw e;
            }
            return awaitResponse(connection, request.msgid(), request.method());
        } catch (StaleConnectionException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            connection.close();
            if (connection.reused && connection.nothingRead && !(e instanceof ProtocolException)) {
                throw new StaleConnectionException(e);
            }
            throw e;
        }
    }

    private RpcMessage.Response awaitResponse(Connection connection, long msgid, String method) throws IOException {
        while (true) {
            RpcMessage message = connection.readWithTimeout(timeout);
            connection.nothingRead = false;
            switch (message) {
                case null -> throw new java.io.EOFException("plugin server closed the connection before answering " + method);
                case RpcMessage.Notification n -> {
                    if (RpcMessage.Notification.SERVER_PID.equals(n.label())) {
                        serverPid = n.value();
                    }
                }
                case RpcMessage.Response r -> {
                    if (r.msgid() != msgid) {
                        throw new ProtocolException("response msgid " + r.msgid() + " does not match request " + msgid + " (" + method + ")");
                    }
                    return r;
                }
                case RpcMessage.Request r -> throw new ProtocolException("plugin server sent a request (" + r.method() + "); only Kong sends requests");
            }
        }
    }

    /** nginx's setkeepalive: into the pool first; when the pool is over its size, its oldest connection is closed. */
    private void keepAlive(Connection connection) {
        if (closed || poolSize == 0) {
            connection.close();
            return;
        }
        connection.lastUsed = System.nanoTime();
        pool.offerFirst(connection);
        if (pooled.incrementAndGet() > poolSize) {
            Connection oldest = pool.pollLast();
            if (oldest != null) {
                pooled.decrementAndGet();
                oldest.close();
            }
        }
        if (closed) {
            drainPool();
        }
    }

    private Connection checkout() throws IOException {
        if (closed) {
            throw new IOException("client closed");
        }
        Connection idle;
        while ((idle = pool.pollFirst()) != null) {
            pooled.decrementAndGet();
            if (System.nanoTime() - idle.lastUsed < TimeUnit.SECONDS.toNanos(60) && idle.channel.isOpen()) {
                idle.reused = true;
                idle.nothingRead = true;
                return idle;
            }
            idle.close();
        }
        return connect();
    }

    private void drainPool() {
        Connection idle;
        while ((idle = pool.pollFirst()) != null) {
            pooled.decrementAndGet();
            idle.close();
        }
    }

    private Connection connect() throws IOException {
        return new Connection(SocketChannel.open(UnixDomainSocketAddress.of(socket)));
    }

    /**
     * Runs one event as Kong's plugin.lua does: {@code HandleEvent}, then one Step per PDK call until the
     * server answers {@code "ret"}, the plugin ends the request, or a PDK function raises.
     */
    @Override
    public EventOutcome handleEvent(long instanceId, String eventName, PdkHandler kong) throws IOException, RpcErrorException {
        Object reply = call(new KongCall.HandleEvent(instanceId, eventName));
        int calls = 0;
        while (true) {
            if (!(EventReply.decode(reply) instanceof EventReply.PdkCall pdkCall)) {
                return new EventOutcome.Returned(calls);
            }
            calls++;
            String method = pdkCall.method();
            PdkHandler.PdkAnswer result = kong.answer(method, new java.util.ArrayList<>(pdkCall.args()));
            switch (result) {
                case PdkHandler.PdkAnswer.Terminal t -> {
                    return new EventOutcome.Terminated(calls, method);
                }
                case PdkHandler.PdkAnswer.Raised r -> {
                    return new EventOutcome.Raised(calls, method, r.message());
                }
                case PdkHandler.PdkAnswer.Value v ->
                        reply = call(new KongCall.Step(PdkFunction.stepFor(method), pdkCall.eventId(), v.value()));
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        drainPool();
        watchdog.interrupt();
    }

    private final class Connection {
        final SocketChannel channel;
        final RpcWriter writer;
        final RpcReader reader;
        volatile long lastUsed = System.nanoTime();
        volatile long deadline;
        volatile boolean timedOut;
        boolean reused;
        boolean nothingRead = true;

        Connection(SocketChannel channel) {
            this.channel = channel;
            OutputStream out = Channels.newOutputStream(channel);
            InputStream in = Channels.newInputStream(channel);
            this.writer = new RpcWriter(out);
            this.reader = new RpcReader(in);
        }

        RpcMessage readWithTimeout(Duration limit) throws IOException {
            // Unix-domain channels have no SO_TIMEOUT. The read blocks on the caller's thread; the watchdog
            // closes the channel of a read that outlives its deadline, which ends the blocked read.
            deadline = System.nanoTime() + limit.toNanos();
            reading.add(this);
            try {
                return reader.read();
            } catch (IOException e) {
                close();
                if (timedOut) {
                    throw new SocketTimeoutException("no data from the plugin server within " + limit.toMillis() + " ms");
                }
                throw e;
            } finally {
                reading.remove(this);
            }
        }

        void close() {
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing a broken connection: nothing left to do
            }
        }
    }
}
