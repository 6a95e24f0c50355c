package io.kongjava.server;

import io.kongjava.catalogue.RpcMethod;
import io.kongjava.pdk.exchange.RequestExchange;
import io.kongjava.protocol.EventReply;
import io.kongjava.protocol.KongCall;
import io.kongjava.protocol.ProtocolException;
import io.kongjava.protocol.RpcMessage;
import io.kongjava.protocol.RpcReader;
import io.kongjava.protocol.RpcWriter;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Serves MsgPack:1 on a Unix socket. Kong opens a connection per call from a keep-alive pool, so many
 * connections are open at once and each carries many calls over time. Each connection is served by a
 * platform thread with plain reads; a plugin's phase runs on the thread that read its HandleEvent, which
 * also reads the Step that follows on the same connection, so a PDK call costs one write and one read.
 */
public final class PluginServer implements AutoCloseable, Event.Host {

    private static final System.Logger LOG = System.getLogger(PluginServer.class.getName());
    /**
     * How long a thread waits on a quiet connection before leaving it to {@link IdleConnections}: long enough
     * that a busy connection keeps its thread (and its calls skip a hand-off), short enough that Kong's idle
     * pool does not hold a thread per connection.
     */
    private static final long IDLE_AFTER_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

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
    private final UnansweredSteps unansweredSteps = new UnansweredSteps();
    private IdleConnections idle;
    private ServerSocketChannel server;
    private volatile boolean closed;
    private volatile ServerObserver observer = ServerObserver.NONE;

    public PluginServer(Path socketPath, PluginCatalog catalog, RequestExchange exchange, Settings settings) {
        this.socketPath = socketPath.toAbsolutePath();
        this.settings = settings;
        this.registry = new Registry(settings.instanceIdleTimeout());
        this.methods = new RpcMethods(catalog, registry, exchange);
        AtomicLong threads = new AtomicLong();
        // Threads left over from a burst go away soon: each holds a stack.
        this.workers = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 5, TimeUnit.SECONDS, new SynchronousQueue<>(),
                task -> Thread.ofPlatform().daemon(true).name("kong-conn-" + threads.incrementAndGet()).unstarted(task));
    }

    public Path socketPath() {
        return socketPath;
    }

    /** Reports events, PDK calls, instances and errors to {@code observer} from now on. */
    public void observe(ServerObserver observer) {
        this.observer = observer;
        methods.observer = observer;
    }

    @Override
    public ServerObserver observer() {
        return observer;
    }

    /** The socket's default permissions: only the user Kong started the server as (its nginx workers' user). */
    public static final Set<PosixFilePermission> OWNER_ONLY =
            Set.copyOf(PosixFilePermissions.fromString("rw-------"));
    private volatile Set<PosixFilePermission> socketMode = OWNER_ONLY;

    /** The socket's permissions, before {@link #start}: wider than the owner's for a server Kong's workers reach as another user. */
    public PluginServer socketMode(Set<PosixFilePermission> mode) {
        this.socketMode = Set.copyOf(mode);
        return this;
    }

    /** Stopping: new requests are answered 503 (see {@link #startDraining}). */
    private volatile boolean draining;
    /** The identity of the socket file this server bound, so that it removes only its own. */
    private volatile Object boundSocket;

    /** Binds the socket (replacing a stale file from a crashed run) and starts accepting. */
    public synchronized PluginServer start() throws IOException {
        if (closed) {
            throw new IOException("the server is shutting down");
        }
        Path dir = socketPath.getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            throw new IOException("socket directory " + dir + " does not exist");
        }
        if (Files.exists(socketPath, LinkOption.NOFOLLOW_LINKS) && !isSocket(socketPath)) {
            throw new IOException(socketPath + " exists and is not a socket; not replacing it");
        }
        if (Files.exists(socketPath, LinkOption.NOFOLLOW_LINKS) && stillAccepts(socketPath)) {
            // Kong's reload starts the new workers' server while the old one finishes its requests
            LOG.log(Level.WARNING, "taking over " + socketPath + " from a server that still accepts there (a Kong reload, or a second"
                    + " server on the same socket?); it keeps its connections and no longer gets new ones");
        }
        idle = new IdleConnections(connection -> serveElsewhere(connection, null), this::forget);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        bindInPlace();
        Thread.ofPlatform().name("accept " + socketPath.getFileName()).daemon(true).start(this::acceptLoop);
        Thread.ofPlatform().name("housekeeping").daemon(true).start(this::housekeepingLoop);
        Thread.ofPlatform().name("warm-up").daemon(true).start(this::warmUp);
        LOG.log(Level.INFO, "listening on " + socketPath);
        return this;
    }

    /**
     * Binds a name of its own beside the socket path and renames it into place: the path always names a socket that
     * accepts (the old server's until the rename, this one's after; Kong, which fails open when it cannot connect, never
     * finds none), and the socket this server owns is known by its identity before anyone else can take the path.
     */
    private void bindInPlace() throws IOException {
        Path staging = socketPath.resolveSibling("." + socketPath.getFileName() + "." + ProcessHandle.current().pid() + ".binding");
        try {
            Files.deleteIfExists(staging);
            server.bind(UnixDomainSocketAddress.of(staging), 4096);
        } catch (IOException | RuntimeException tooLongOrRefused) {
            // a path near the 108-byte limit of a socket name: bound where it stands, the old way
            Files.deleteIfExists(socketPath);
            server.bind(UnixDomainSocketAddress.of(socketPath), 4096);
            boundSocket = fileKey(socketPath);
            restrict(socketPath);
            return;
        }
        boundSocket = fileKey(staging);
        restrict(staging);
        Files.move(staging, socketPath, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private void restrict(Path socket) throws IOException {
        try {
            Files.setPosixFilePermissions(socket, socketMode);
        } catch (UnsupportedOperationException e) {
            LOG.log(Level.WARNING, "cannot restrict permissions of " + socket + " on this file system");
        }
    }

    /** A Unix socket exactly (a FIFO or a device is "other" too, and must not be replaced). */
    private static boolean isSocket(Path path) throws IOException {
        try {
            int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return (mode & 0170000) == 0140000;
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther();
        }
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

    /** When the latest call that Kong has answered went out: Kong is working through calls sent up to then. */
    private volatile long latestAnsweredCall = System.nanoTime();

    @Override
    public void stepCame(long sentNanos) {
        if (sentNanos - latestAnsweredCall > 0) {
            latestAnsweredCall = sentNanos; // a racing writer may win with an older time: only a little precision is lost
        }
    }

    @Override
    public void stepNeverCame(Event event, String method, Duration waited, boolean givenUpEarly) {
        unansweredSteps.report(event, method, waited, givenUpEarly);
    }

    @Override
    public void eventEnded(Event event) {
        registry.removeEvent(event);
        if (event.stoppedWaitingForKong()) {
            registry.rememberAbandoned(event);
        }
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
                RpcMessage message;
                try {
                    message = pending != null ? pending : current.read(false, System.nanoTime() + IDLE_AFTER_NANOS);
                } catch (Connection.StoppedWaiting quiet) {
                    idle.park(current);
                    return;
                }
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
            observer.error("protocol_error");
            LOG.log(Level.WARNING, "closing a connection that sent a malformed message: " + e.getMessage());
            forget(current);
        } catch (IOException e) {
            if (!closed) {
                LOG.log(Level.DEBUG, () -> "connection ended: " + e.getMessage());
            }
            forget(current);
        } catch (RuntimeException | Error e) {
            // OutOfMemoryError reading a large body, say: closed at once, so that Kong's call fails now rather than
            // after its 60 s read timeout with a timer and a connection held that long (Kong goes on either way)
            observer.error("internal_error");
            LOG.log(Level.ERROR, "closing a connection after " + e + (e instanceof OutOfMemoryError
                    ? " (raise the heap with KONG_JAVA_OPTS=-Xmx..., or lower max_request_body_size)" : ""));
            forget(current);
        }
    }

    /** Answers one call; returns the connection this thread holds afterwards, or null when it holds none. */
    private Connection handle(Connection connection, RpcMessage.Request request) throws IOException {
        String method = request.method();
        try {
            RpcMethod known = RpcMethod.fromWireName(method);
            if (known == RpcMethod.HANDLE_EVENT) {
                return handleEvent(connection, request);
            }
            if (known != null && known.isStep()) {
                return step(connection, request);
            }
            connection.write(RpcMessage.Response.success(request.msgid(), methods.dispatch(method, request.argument())));
        } catch (RpcMethods.RpcError e) {
            observer.error("rpc_error");
            LOG.log(Level.DEBUG, () -> method + " failed: " + e.getMessage());
            connection.write(RpcMessage.Response.failure(request.msgid(), e.getMessage()));
        } catch (RuntimeException e) {
            observer.error("internal_error");
            LOG.log(Level.ERROR, "internal error in " + method, e);
            connection.write(RpcMessage.Response.failure(request.msgid(), "internal error in " + method + ": " + e));
        }
        return connection;
    }

    private Connection handleEvent(Connection connection, RpcMessage.Request request) throws RpcMethods.RpcError, IOException {
        RpcMethods.EventStart start = methods.eventStart(request.argument());
        long eventId = registry.nextEventId();
        // a response event always belongs to a request in flight (its access ran before): only new requests are refused
        // once another server has the socket, Kong's new connections go there: what still comes here on the connections
        // Kong pooled is served, as refusing it would fail a reload's requests by the thousand
        if (draining && ("access".equals(start.eventName()) || "rewrite".equals(start.eventName())) && !takenOver()) {
            observer.error("draining");
            connection.write(RpcMessage.Response.success(request.msgid(),
                    new EventReply.PdkCall(eventId, io.kongjava.catalogue.PdkFunction.RESPONSE_ERROR.kongName(), List.of(503L))));
            return connection;
        }
        if (start.body() == null) {
            connection.write(RpcMessage.Response.success(request.msgid(), new EventReply.Returned(eventId)));
            return connection;
        }
        Event event = new Event(eventId, start.instance(), start.eventName(), settings.stepTimeout(), this, connection, request.msgid());
        registry.addEvent(event);
        return event.run(start.body());
    }

    private Connection step(Connection connection, RpcMessage.Request request) throws RpcMethods.RpcError, IOException {
        long eventId = RpcMethods.stepEventId(request.method(), request.argument());
        Event event = registry.event(eventId);
        if (event == null) {
            String phase = registry.takeAbandoned(eventId);
            if (phase != null && !PhaseFailure.endsTheRequest(phase)) {
                throw new RpcMethods.RpcError("no event #" + eventId + " (it stopped waiting for this Step)");
            }
            // Kong goes on with the request after an RPC error: a request whose plugin (an access phase that guards a key,
            // say) stopped waiting, or which a restarted server never knew, must not be proxied without it. Kong's answer
            // to the Step's call is this terminal call instead; in a log phase Kong only logs that it is not allowed there.
            observer.error("late_step");
            LOG.log(Level.WARNING, "Kong sent a Step for event #" + eventId + (phase == null ? ", which this server does not know"
                    : " (" + phase + "), which stopped waiting for it") + ": the request is ended with Kong's 500, not proxied without the plugin");
            connection.write(RpcMessage.Response.success(request.msgid(), PhaseFailure.endRequest(eventId)));
            return connection;
        }
        if (!event.offerStep(connection, request.msgid(), event.stepData(request.method(), ((Map<?, ?>) request.argument()).get(KongCall.DATA)))) {
            if (event.stoppedWaitingForKong() && PhaseFailure.endsTheRequest(event.phase)) {
                // it stopped waiting the moment this Step came: answered as any late Step is
                observer.error("late_step");
                LOG.log(Level.WARNING, "Kong's Step for event #" + eventId + " (" + event.phase + ") came as it stopped waiting for it:"
                        + " the request is ended with Kong's 500, not proxied without the plugin");
                connection.write(RpcMessage.Response.success(request.msgid(), PhaseFailure.endRequest(eventId)));
                return connection;
            }
            throw new RpcMethods.RpcError("event #" + eventId + " is not waiting for a Step");
        }
        return null;
    }

    /**
     * Loads and initialises what Kong's first StartInstance needs (JSON parsing, config binding, the wire
     * codec) while Kong is still starting: done cold on Kong's first request, it took 50-180 ms.
     */
    private void warmUp() {
        try {
            byte[] wire = RpcWriter.encode(new RpcMessage.Request(1, RpcMethod.START_INSTANCE.wireName(), List.of(Map.of("Name", "", "Config", "{}"))));
            new RpcReader(new java.io.ByteArrayInputStream(wire)).read();
        } catch (IOException | RuntimeException ignored) {
            // only classes were wanted
        }
        methods.warmUp();
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
            UnansweredSteps.giveUpCrowdedWaits(registry.events(), now, latestAnsweredCall);
            if (now - lastExpiry >= expiryEvery * 1_000_000) {
                registry.expireIdleInstances(instance -> observer.instanceClosed(instance.name(), "expired"));
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
    public int eventsInFlight() {
        return registry.eventCount();
    }

    public int instanceCount() {
        return registry.instances().size();
    }

    /** Kong's connections open now. */
    public int connectionCount() {
        return connections.size();
    }

    /** Instances per plugin name, every plugin of the catalog included. */
    public Map<String, Integer> instancesByPlugin() {
        Map<String, Integer> counts = new java.util.TreeMap<>();
        methods.pluginNames().forEach(name -> counts.put(name, 0));
        registry.instances().forEach(instance -> counts.merge(instance.name(), 1, Integer::sum));
        return counts;
    }

    /**
     * What a stopping server does first, so that the requests in flight can finish: it goes on serving every call, new
     * connections included, but answers a new request's rewrite, access or response event with Kong's 503 instead of
     * running the plugin. Giving the socket up instead would make Kong, which fails open when it cannot reach the
     * server, proxy new requests without their plugins until the server ends and Kong starts another.
     */
    public void startDraining() {
        draining = true;
    }

    /** Whether another server has bound this socket path since this one did (a reload's or an operator's successor). */
    public boolean takenOver() {
        Object current = fileKey(socketPath);
        Object ours = boundSocket;
        return current != null && ours != null && !current.equals(ours);
    }

    /** Connections Kong has open to this server. */
    public int openConnections() {
        return connections.size();
    }

    /**
     * Takes no more connections (and gives the socket file up, if it is still ours), while the connections Kong has
     * open are still served.
     */
    public synchronized void stopAccepting() {
        try {
            if (server != null) {
                server.close();
            }
        } catch (IOException ignored) {
            // already closed
        }
        removeOwnSocket();
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
        if (idle != null) {
            idle.close();
        }
        workers.shutdownNow();
        removeOwnSocket();
    }

    private void removeOwnSocket() {
        try {
            // Only our own: after a reload the path is the new server's, and removing it would leave Kong no socket
            Object current = fileKey(socketPath);
            if (current != null && current.equals(boundSocket)) {
                Files.deleteIfExists(socketPath);
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "could not remove " + socketPath + ": " + e.getMessage());
        }
    }

    /** The socket file's identity (device and inode), or null when there is none. */
    private static Object fileKey(Path path) {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    private static boolean stillAccepts(Path socket) {
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
