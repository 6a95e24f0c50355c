package io.kongjava.server;

import io.kongjava.pdk.exchange.RequestExchange;
import io.kongjava.protocol.ProtocolException;
import io.kongjava.protocol.RpcMessage;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Serves MsgPack:1 on a Unix socket. Kong opens a connection per call from a keep-alive pool, so many
 * connections are open at once and each carries many calls over time. Each connection is served by a
 * platform thread with plain reads; a plugin's phase runs on the thread that read its HandleEvent, which
 * also reads the Step that follows on the same connection, so a PDK call costs one write and one read.
 */
public final class PluginServer implements AutoCloseable, Event.Host {

    private static final System.Logger LOG = System.getLogger(PluginServer.class.getName());

    /** Settings with Kong-compatible defaults. */
    public record Settings(Duration replyTimeout, Duration stepTimeout, Duration instanceIdleTimeout, boolean announcePid) {
        /** Replies well within Kong's 60 s read timeout; events abandoned by Kong are freed after 65 s. */
        public static Settings defaults() {
            return new Settings(Duration.ofSeconds(55), Duration.ofSeconds(65), Duration.ofMinutes(10), true);
        }
    }

    private final Path socketPath;
    private final Registry registry;
    private final RpcMethods methods;
    private final Settings settings;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final ExecutorService workers;
    private ServerSocketChannel server;
    private volatile boolean closed;

    public PluginServer(Path socketPath, PluginCatalog catalog, RequestExchange exchange, Settings settings) {
        this.socketPath = socketPath.toAbsolutePath();
        this.settings = settings;
        this.registry = new Registry(settings.instanceIdleTimeout());
        this.methods = new RpcMethods(catalog, registry, exchange);
        AtomicLong threads = new AtomicLong();
        this.workers = Executors.newCachedThreadPool(task -> Thread.ofPlatform().daemon(true)
                .name("kong-conn-" + threads.incrementAndGet()).unstarted(task));
    }

    public Path socketPath() {
        return socketPath;
    }

    /** Binds the socket (replacing a stale file from a crashed run) and starts accepting. */
    public synchronized PluginServer start() throws IOException {
        if (closed) {
            throw new IOException("the server is shutting down");
        }
        Path dir = socketPath.getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            throw new IOException("socket directory " + dir + " does not exist");
        }
        Files.deleteIfExists(socketPath);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socketPath), 4096);
        try {
            Files.setPosixFilePermissions(socketPath, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            LOG.log(Level.WARNING, "cannot restrict permissions of " + socketPath + " on this file system");
        }
        Thread.ofPlatform().name("accept " + socketPath.getFileName()).daemon(true).start(this::acceptLoop);
        Thread.ofPlatform().name("housekeeping").daemon(true).start(this::housekeepingLoop);
        LOG.log(Level.INFO, "listening on " + socketPath);
        return this;
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                SocketChannel channel = server.accept();
                Connection connection;
                try {
                    connection = new Connection(channel, settings.announcePid());
                } catch (IOException e) {
                    LOG.log(Level.ERROR, "cannot set up a connection: " + e.getMessage());
                    channel.close();
                    continue;
                }
                connections.add(connection);
                serveElsewhere(connection, null);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!closed) {
                    LOG.log(Level.ERROR, "accept failed: " + e.getMessage());
                }
            }
        }
    }

    @Override
    public void serveElsewhere(Connection connection, RpcMessage first) {
        try {
            workers.execute(() -> serve(connection, first));
        } catch (RejectedExecutionException e) {
            forget(connection);
        }
    }

    @Override
    public void eventEnded(Event event) {
        registry.removeEvent(event);
    }

    /**
     * Reads and answers Kong's calls on {@code connection} until Kong closes it or an event takes it with a
     * Step it was waiting for. A HandleEvent runs the phase right here; the connection this thread holds
     * afterwards may be another one, which it then goes on serving.
     */
    private void serve(Connection connection, RpcMessage first) {
        Connection current = connection;
        RpcMessage pending = first;
        try {
            while (current != null && !closed) {
                RpcMessage message = pending != null ? pending : current.read(false, 0);
                pending = null;
                if (message == null) {
                    forget(current);
                    return;
                }
                if (!(message instanceof RpcMessage.Request request)) {
                    throw new ProtocolException("expected a request, got " + message.getClass().getSimpleName());
                }
                current = handle(current, request);
            }
        } catch (ProtocolException e) {
            LOG.log(Level.WARNING, "closing a connection that sent a malformed message: " + e.getMessage());
            forget(current);
        } catch (IOException e) {
            if (!closed) {
                LOG.log(Level.DEBUG, () -> "connection ended: " + e.getMessage());
            }
            forget(current);
        }
    }

    /** Answers one call; returns the connection this thread holds afterwards, or null when it holds none. */
    private Connection handle(Connection connection, RpcMessage.Request request) throws IOException {
        String method = request.method();
        try {
            if ("plugin.HandleEvent".equals(method)) {
                return handleEvent(connection, request);
            }
            if (method.startsWith("plugin.Step")) {
                return step(connection, request);
            }
            connection.write(RpcMessage.Response.success(request.msgid(), methods.dispatch(method, request.argument())));
        } catch (RpcMethods.RpcError e) {
            LOG.log(Level.DEBUG, () -> method + " failed: " + e.getMessage());
            connection.write(RpcMessage.Response.failure(request.msgid(), e.getMessage()));
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "internal error in " + method, e);
            connection.write(RpcMessage.Response.failure(request.msgid(), "internal error in " + method + ": " + e));
        }
        return connection;
    }

    private Connection handleEvent(Connection connection, RpcMessage.Request request) throws RpcMethods.RpcError, IOException {
        RpcMethods.EventStart start = methods.eventStart(request.argument());
        long eventId = registry.nextEventId();
        if (start.body() == null) {
            Map<String, Object> ret = new LinkedHashMap<>(4);
            ret.put("EventId", eventId);
            ret.put("Data", "ret");
            connection.write(RpcMessage.Response.success(request.msgid(), ret));
            return connection;
        }
        Event event = new Event(eventId, start.instance(), start.eventName(), settings.stepTimeout(), this, connection, request.msgid());
        registry.addEvent(event);
        return event.run(start.body());
    }

    private Connection step(Connection connection, RpcMessage.Request request) throws RpcMethods.RpcError {
        Map<?, ?> argument = RpcMethods.map(request.argument(), request.method());
        long eventId = RpcMethods.id(argument.get("EventId"), request.method() + " EventId");
        Event event = registry.event(eventId);
        if (event == null) {
            throw new RpcMethods.RpcError("no event #" + eventId + " (it finished, timed out or never existed)");
        }
        if (!event.offerStep(connection, request.msgid(), event.stepData(request.method(), argument.get("Data")))) {
            throw new RpcMethods.RpcError("event #" + eventId + " is not waiting for a Step");
        }
        return null;
    }

    private void housekeepingLoop() {
        long expiryEvery = Math.max(1000, Math.min(30_000, settings.instanceIdleTimeout().toMillis() / 4));
        long lastExpiry = System.nanoTime();
        while (!closed) {
            try {
                Thread.sleep(Math.min(1000, expiryEvery));
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            registry.events().forEach(event -> event.expireIfSilent(settings.replyTimeout(), now));
            if (now - lastExpiry >= expiryEvery * 1_000_000) {
                registry.expireIdleInstances();
                lastExpiry = now;
            }
        }
    }

    @Override
    public void drop(Connection connection) {
        forget(connection);
    }

    private void forget(Connection connection) {
        if (connection != null) {
            connections.remove(connection);
            connection.close();
        }
    }

    /** Events in flight, for tests and status. */
    int eventsInFlight() {
        return registry.eventCount();
    }

    int instanceCount() {
        return registry.instances().size();
    }

    @Override
    public synchronized void close() {
        closed = true;
        try {
            if (server != null) {
                server.close();
            }
        } catch (IOException ignored) {
            // already closed
        }
        connections.forEach(Connection::close);
        workers.shutdownNow();
        try {
            Files.deleteIfExists(socketPath);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "could not remove " + socketPath + ": " + e.getMessage());
        }
    }
}
