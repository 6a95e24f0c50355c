package io.kongjava.server;

import io.kongjava.pdk.exchange.RequestExchange;
import io.kongjava.protocol.ProtocolException;
import io.kongjava.protocol.RpcMessage;
import io.kongjava.protocol.RpcReader;
import io.kongjava.protocol.RpcWriter;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Serves MsgPack:1 on a Unix socket: a virtual thread per connection reads Kong's requests one after the
 * other and answers each in order. Kong opens a connection per call from a keep-alive pool, so many
 * connections are open at once and each carries many calls over time.
 */
public final class PluginServer implements AutoCloseable {

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
    private final Set<SocketChannel> connections = ConcurrentHashMap.newKeySet();
    private ServerSocketChannel server;
    private volatile boolean closed;

    public PluginServer(Path socketPath, PluginCatalog catalog, RequestExchange exchange, Settings settings) {
        this.socketPath = socketPath.toAbsolutePath();
        this.settings = settings;
        this.registry = new Registry(settings.instanceIdleTimeout());
        this.methods = new RpcMethods(catalog, registry, exchange, settings.replyTimeout(), settings.stepTimeout());
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
        Thread.ofVirtual().name("expiry").start(this::expireLoop);
        LOG.log(Level.INFO, "listening on " + socketPath);
        return this;
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                SocketChannel connection = server.accept();
                connections.add(connection);
                Thread.ofVirtual().name("conn").start(() -> serve(connection));
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!closed) {
                    LOG.log(Level.ERROR, "accept failed: " + e.getMessage());
                }
            }
        }
    }

    private void serve(SocketChannel connection) {
        RpcReader reader = new RpcReader(Channels.newInputStream(connection));
        RpcWriter writer = new RpcWriter(Channels.newOutputStream(connection));
        boolean pidSent = !settings.announcePid();
        try (connection) {
            while (!closed) {
                RpcMessage message = reader.read();
                if (message == null) {
                    return;
                }
                if (!(message instanceof RpcMessage.Request request)) {
                    throw new ProtocolException("expected a request, got " + message.getClass().getSimpleName());
                }
                RpcMessage.Response response = answer(request);
                if (!pidSent) {
                    writer.write(new RpcMessage.Notification(RpcMessage.Notification.SERVER_PID, ProcessHandle.current().pid()));
                    pidSent = true;
                }
                writer.write(response);
            }
        } catch (ProtocolException e) {
            LOG.log(Level.WARNING, "closing a connection that sent a malformed message: " + e.getMessage());
        } catch (IOException e) {
            if (!closed) {
                LOG.log(Level.DEBUG, () -> "connection ended: " + e.getMessage());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            connections.remove(connection);
        }
    }

    private RpcMessage.Response answer(RpcMessage.Request request) throws InterruptedException {
        try {
            return RpcMessage.Response.success(request.msgid(), methods.dispatch(request.method(), request.argument()));
        } catch (RpcMethods.RpcError e) {
            LOG.log(Level.DEBUG, () -> request.method() + " failed: " + e.getMessage());
            return RpcMessage.Response.failure(request.msgid(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "internal error in " + request.method(), e);
            return RpcMessage.Response.failure(request.msgid(), "internal error in " + request.method() + ": " + e);
        }
    }

    private void expireLoop() {
        while (!closed) {
            try {
                Thread.sleep(Math.max(1000, Math.min(30_000, settings.instanceIdleTimeout().toMillis() / 4)));
            } catch (InterruptedException e) {
                return;
            }
            registry.expireIdleInstances();
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
        for (SocketChannel connection : connections) {
            try {
                connection.close();
            } catch (IOException ignored) {
                // closing on shutdown
            }
        }
        try {
            Files.deleteIfExists(socketPath);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "could not remove " + socketPath + ": " + e.getMessage());
        }
    }
}
