package io.kongjava.gateway;

import io.kongjava.http.HeaderLimits;
import io.kongjava.http.PlatformFirstThreads;
import io.kongjava.http.BlockingHttpServer;
import io.kongjava.http.UpstreamClient;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.kongjava.catalogue.KongLogLevel;
import io.kongjava.catalogue.RpcMethod;
import io.kongjava.emulation.IpRanges;
import io.kongjava.emulation.KongRequest;
import io.kongjava.emulation.KongUri;
import io.kongjava.emulation.PdkEmulator;
import io.kongjava.kongclient.EventOutcome;
import io.kongjava.kongclient.PluginServerClient;
import io.kongjava.kongclient.RpcErrorException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;

/**
 * Kong's proxy path for external plugins, without Kong: the run loop of one request. Route matching, the
 * plugins {@link PluginIterator} picks running their phases in priority order through the MsgPack:1
 * protocol (PDK calls answered from the live request), the {@link UpstreamProxy}, and the log phase after
 * the response, on a snapshot, in the background. What the gateway answers itself goes through
 * {@link ResponseWriter}.
 */
public final class Gateway implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Gateway.class.getName());
    /** Plugins' kong.log lines; the gateway's console writes them as {@code [kong] <level> [<plugin>] <message>}. */
    static final System.Logger PLUGIN_LOG = System.getLogger("kong");

    static {
        // The JDK server drops the connection without an answer beyond its own limits (200 headers, 380 KB).
        // Lifted well above nginx's, so that the gateway answers as Kong does. Read once, when the JDK's
        // server configuration loads: before the first HttpServer of the JVM.
        setIfAbsent("sun.net.httpserver.maxReqHeaders", "100000");
        setIfAbsent("sun.net.httpserver.maxReqHeaderSize", String.valueOf(4 * 1024 * 1024));
        // Nagle's algorithm would hold a streamed response's small writes (an SSE event, the last chunk) up to
        // 40 ms for the peer's delayed ACK.
        setIfAbsent("sun.net.httpserver.nodelay", "true");
    }

    private static void setIfAbsent(String property, String value) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, value);
        }
    }

    private final Router router;
    private final PluginIterator plugins;
    private final RequestReader requests;
    private final UpstreamProxy upstream = new UpstreamProxy(() -> front() != null);
    private final HeaderLimits headerLimits;
    /** nginx's client_body_buffer_size: bodies above it are "in a file", which changes get_raw_body's answers. */
    private int bodyBufferSize = 8192;
    private Path bodyTempPath;
    private IpRanges trustedIps = IpRanges.NONE;
    private KongLogLevel logLevel = KongLogLevel.DEFAULT;
    private String realIpHeader = "x-real-ip";
    private boolean realIpRecursive;
    private final java.util.Set<String> upstreamNames;
    private final List<Balancer> balancers;
    private ActiveHealthChecks healthChecks;
    private java.util.Set<String> kongHeaders = KongRequest.DEFAULT_KONG_HEADERS;
    /** The log phases, after the answers: platform threads, as the request path (each phase waits on the plugin server's socket). */
    private final PlatformFirstThreads logPhases = new PlatformFirstThreads("log-phase", 16);
    /**
     * Requests whose log phases wait or run in the background; past this many a request runs its own after its answer.
     * Unbounded, a load the log phases cannot keep up with piled up requests in memory (6,000 after 15 s of the how-to at
     * concurrency 16 with the plugin server in process: a 2 GB heap, or a 256 MB one spending its time in full GCs).
     */
    private int maxPendingLogPhases = Integer.getInteger("kong.java.gateway.maxPendingLogPhases", 64);
    private final java.util.concurrent.atomic.AtomicInteger pendingLogPhases = new java.util.concurrent.atomic.AtomicInteger();
    /** The JDK's server, when chosen with {@code -Dkong.java.gateway.server=jdk}; otherwise {@link #front}. */
    private HttpServer server;
    private volatile BlockingHttpServer front;
    /** proxy_listen's addresses after the first. */
    private final List<BlockingHttpServer> moreFronts = new java.util.concurrent.CopyOnWriteArrayList<>();

    public Gateway(DeclarativeConfig config, Map<String, PluginServerProcesses.Dumped> dumps, long maxBodySize) {
        this(config, dumps, maxBodySize, HeaderLimits.KONG_DEFAULT);
    }

    public Gateway(DeclarativeConfig config, Map<String, PluginServerProcesses.Dumped> dumps, long maxBodySize, HeaderLimits headerLimits) {
        this(config, dumps, maxBodySize, headerLimits, Map.of());
    }

    /** @param inProcess plugin servers that run in this JVM, by the socket kong.conf gives them; closed with the gateway */
    public Gateway(DeclarativeConfig config, Map<String, PluginServerProcesses.Dumped> dumps, long maxBodySize, HeaderLimits headerLimits,
                   Map<Path, PluginServerClient> inProcess) {
        this.headerLimits = headerLimits;
        this.router = new Router(config.routes);
        upstream.upstreams(config.upstreams);
        this.balancers = List.copyOf(config.upstreams.values());
        this.upstreamNames = java.util.Set.copyOf(config.upstreams.keySet());
        this.plugins = new PluginIterator(config, dumps, inProcess);
        if (!inProcess.isEmpty()) {
            upstream.relayInProcess();
        }
        this.requests = new RequestReader(headerLimits, maxBodySize);
    }

    /** How many requests' log phases may wait or run in the background (default 64, {@code -Dkong.java.gateway.maxPendingLogPhases}). */
    /** kong.conf's {@code log_level}: the least severe kong.log line a plugin writes that is shown. */
    public Gateway logLevel(KongLogLevel level) {
        this.logLevel = level;
        return this;
    }

    public Gateway maxPendingLogPhases(int limit) {
        this.maxPendingLogPhases = limit;
        return this;
    }

    /**
     * nginx's {@code client_body_temp_path} (Kong's: PREFIX/client_body_temp): a body above the buffer is also written
     * there while it is read, and {@code get_raw_body} reads it back from the file, as Kong does; {@code null}: memory only.
     */
    public Gateway bodyTempPath(Path directory) {
        this.bodyTempPath = directory;
        return this;
    }

    /** The headers Kong adds (kong.conf's {@code headers} and {@code headers_upstream}, parsed by {@link KongConf#kongHeaders}). */
    public Gateway kongHeaders(java.util.Set<String> enabled) {
        this.kongHeaders = java.util.Set.copyOf(enabled);
        return this;
    }

    /** kong.conf's {@code nginx_proxy_proxy_buffer_size}: the largest response head an upstream may send (else 502). */
    public Gateway proxyBufferSize(int bytes) {
        upstream.proxyBufferSize(bytes);
        return this;
    }

    /** kong.conf's {@code upstream_keepalive_pool_size}, {@code _max_requests} and {@code _idle_timeout}. */
    public Gateway upstreamKeepAlive(UpstreamClient.KeepAlive settings) {
        upstream.keepAlive(settings);
        return this;
    }

    /** kong.conf's {@code trusted_ips} and {@code real_ip_header}. */
    public Gateway trustedIps(IpRanges ranges, String realIpHeader) {
        return trustedIps(ranges, realIpHeader, false);
    }

    /** kong.conf's {@code trusted_ips}, {@code real_ip_header} and {@code real_ip_recursive}. */
    public Gateway trustedIps(IpRanges ranges, String realIpHeader, boolean realIpRecursive) {
        this.trustedIps = ranges;
        this.realIpHeader = realIpHeader.toLowerCase(java.util.Locale.ROOT);
        this.realIpRecursive = realIpRecursive;
        return this;
    }

    /** The directory of PEM files a Service's ca_certificates and client_certificate are read from ({@code <id>.crt}, {@code <id>.key}). */
    public Gateway certificates(Path directory) {
        upstream.certificates(directory);
        return this;
    }

    /** kong.conf's {@code nginx_http_client_body_buffer_size} (Kong's default: 8k). */
    public Gateway bodyBufferSize(long bytes) {
        this.bodyBufferSize = (int) Math.min(Integer.MAX_VALUE, Math.max(1, bytes));
        return this;
    }

    public Gateway start(InetSocketAddress listen) throws IOException {
        if ("jdk".equals(System.getProperty("kong.java.gateway.server"))) {
            server = HttpServer.create(listen, 1024);
            server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            server.createContext("/", exchange -> {
                jdkServerRequests.increment();
                jdkServerInFlight.incrementAndGet();
                try {
                    handle(exchange);
                } finally {
                    jdkServerInFlight.decrementAndGet();
                }
            });
            server.start();
        } else {
            front = new BlockingHttpServer(listen, 1024, headerLimits, this::handle, this::refusal);
        }
        requests.listenPort(address().getPort());
        healthChecks = new ActiveHealthChecks(balancers);
        LOG.log(Level.INFO, "proxy listening on " + address().getHostString() + ":" + address().getPort());
        return this;
    }

    /** A head nginx refuses (400, 413, 414): Kong's error page, with the headers Kong's header_filter adds to it. */
    private BlockingHttpServer.RefusalAnswer refusal(int status, String message) {
        String requestId = RequestReader.newRequestId();
        java.util.Map<String, String> headers = new java.util.LinkedHashMap<>();
        if (kongHeaders.contains("x-kong-request-id")) {
            headers.put("X-Kong-Request-Id", requestId);
        }
        if (kongHeaders.contains("server")) {
            headers.put("Server", ResponseWriter.SERVER);
        }
        return new BlockingHttpServer.RefusalAnswer(ResponseWriter.kongErrorBody(message, requestId), headers);
    }

    /** proxy_listen's further addresses, served as the first; each connection's port is then its own listener's. */
    public Gateway alsoListen(InetSocketAddress listen) throws IOException {
        if (front == null) {
            throw new IllegalStateException("start the first listener first (and the JDK server takes one address only)");
        }
        BlockingHttpServer more = new BlockingHttpServer(listen, 1024, headerLimits, this::handle, this::refusal);
        moreFronts.add(more);
        requests.listenPort(0);
        LOG.log(Level.INFO, "proxy listening on " + more.address().getHostString() + ":" + more.address().getPort());
        return this;
    }

    /** Every address the proxy listens on, the first first. */
    public List<InetSocketAddress> addresses() {
        List<InetSocketAddress> all = new ArrayList<>();
        all.add(address());
        moreFronts.forEach(more -> all.add(more.address()));
        return all;
    }

    private BlockingHttpServer front() {
        return front;
    }

    /** The JDK's server counts no connections: its requests stand in for them. */
    private final java.util.concurrent.atomic.LongAdder jdkServerRequests = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.AtomicInteger jdkServerInFlight = new java.util.concurrent.atomic.AtomicInteger();

    /** {@code kong.nginx.get_statistics}: the front server's connection and request counts, under Kong's names. */
    private Map<String, Object> nginxStatistics() {
        BlockingHttpServer.Statistics stats = front != null ? front.statistics()
                : new BlockingHttpServer.Statistics(jdkServerInFlight.get(), 0, jdkServerInFlight.get(), 0, jdkServerRequests.sum(),
                        jdkServerRequests.sum(), jdkServerRequests.sum());
        for (BlockingHttpServer more : moreFronts) { // nginx counts a worker's connections over all its listeners
            BlockingHttpServer.Statistics m = more.statistics();
            stats = new BlockingHttpServer.Statistics(stats.active() + m.active(), stats.reading() + m.reading(),
                    stats.writing() + m.writing(), stats.waiting() + m.waiting(), stats.accepted() + m.accepted(),
                    stats.handled() + m.handled(), stats.requests() + m.requests());
        }
        return Map.of("connections_active", stats.active(), "connections_reading", stats.reading(), "connections_writing", stats.writing(),
                "connections_waiting", stats.waiting(), "connections_accepted", stats.accepted(), "connections_handled", stats.handled(),
                "total_requests", stats.requests());
    }

    public InetSocketAddress address() {
        return front != null ? front.address() : server.getAddress();
    }

    /** Starts every configured plugin's instance now (see {@link PluginIterator#startAll}); closes the gateway when one fails. */
    public Gateway startPluginInstances() throws ConfigException {
        try {
            plugins.startAll();
        } catch (ConfigException | RuntimeException e) {
            close();
            throw e;
        }
        return this;
    }

    /** The plugins that run for {@code route}, as Kong's plugins iterator picks them. */
    List<ConfiguredPlugin> pluginsFor(DeclarativeConfig.Route route) {
        return plugins.resolve(route);
    }

    private void handle(HttpExchange exchange) throws IOException {
        long startNanos = System.nanoTime();
        KongRequest state = new KongRequest();
        state.trustedIps = trustedIps;
        state.realIpHeader = realIpHeader;
        state.realIpRecursive = realIpRecursive;
        state.upstreamNames = upstreamNames;
        state.kongHeaders = kongHeaders;
        state.nginxStatistics = this::nginxStatistics;
        state.clientBodyBufferSize = bodyBufferSize;
        try (exchange; SpooledBody spooled = new SpooledBody(state)) {
            int tooLarge = requests.headTooLarge(exchange);
            if (tooLarge != 0) {
                requests.readHead(exchange, state);
                // nginx closes the connection after refusing a request head; the body, if any, is not read.
                exchange.getResponseHeaders().set("Connection", "close");
                ResponseWriter.sendKongError(exchange, state, tooLarge, null);
                return;
            }
            requests.readHead(exchange, state);
            if (declaresMoreThan(state.header("content-length"), requests.maxBodySize())) {
                // nginx refuses a declared length over client_max_body_size before reading the body (no 100 Continue)
                exchange.getResponseHeaders().set("Connection", "close");
                ResponseWriter.sendKongError(exchange, state, 413, null);
                return;
            }
            // Kong routes on the normalized path (kong/router/utils.lua): /public/../admin is /admin's, plugins and all.
            // The query and the addresses only for expression routes: reading the local address is a system call.
            String path = state.normalizedPath();
            Optional<Router.Match> match = router.hasExpressions()
                    ? router.match(state.method, state.header("host"), state.port, path, state.headers, new Router.Connection(
                            state.rawQuery, state.clientIp, state.clientPort, exchange.getLocalAddress().getAddress().getHostAddress()))
                    : router.match(state.method, state.header("host"), state.port, path, state.headers);
            Long streamable = match.isPresent() && !match.get().route().requestBuffering() ? requests.streamableLength(state) : null;
            UpstreamClient.StreamedBody streamed = null;
            if (streamable != null) {
                // request_buffering: false: the body goes upstream as it comes, unless a plugin reads it first
                streamed = new UpstreamClient.StreamedBody(exchange.getRequestBody(), streamable);
                state.pendingBody = () -> requests.readBody(exchange, state, bodyTempPath);
            } else if ("100-continue".equalsIgnoreCase(state.header("expect")) && requests.streamableLength(state) instanceof Long declared
                    && declared >= 0) {
                // nginx sends 100 Continue when the body is first read: a plugin that refuses the request by its declared
                // length (java-ai-proxy's max_request_body_size) answers before the client uploads it
                state.pendingBody = () -> requests.readBody(exchange, state, bodyTempPath);
            } else {
                requests.readBody(exchange, state, bodyTempPath);
                if (state.body.length > requests.maxBodySize()) {
                    ResponseWriter.sendKongError(exchange, state, 413, null);
                    return;
                }
            }
            if (match.isEmpty()) {
                ResponseWriter.sendKongError(exchange, state, 404, "no Route matched with those values");
                return;
            }
            DeclarativeConfig.Route route = match.get().route();
            if (route.httpsOnly()) {
                // What Kong's http listener answers for a route of https only (runloop/handler.lua, access.before);
                // the local gateway serves plain http, so its requests never come in as https.
                if (route.httpsRedirectStatusCode() == 426) {
                    // Kong also sets Connection: Upgrade, which nginx sends beside its own Connection header
                    ResponseWriter.sendKongError(exchange, state, 426, "Please use HTTPS protocol",
                            Map.of("Connection", "Upgrade", "Upgrade", "TLS/1.2, HTTP/1.1"));
                } else {
                    String query = state.rawQuery.isEmpty() ? "" : "?" + state.rawQuery;
                    ResponseWriter.sendRedirect(exchange, state, route.httpsRedirectStatusCode(), "https://" + state.host + state.path + query);
                }
                return;
            }
            DeclarativeConfig.Service service = route.service();
            matched(state, match.get(), route, service);
            PluginIterator.RoutePlugins running = plugins.forRoute(route);
            PdkEmulator kong = running.isEmpty() ? null : new PdkEmulator(state);
            if (!runRequestPhases(running.all(), state, kong)) {
                ResponseWriter.sendKongError(exchange, state, 500, null);
                state.pendingBody = null;
                scheduleLog(running, state, kong, startNanos);
                return;
            }
            state.latencyKong = UpstreamProxy.millisSince(startNanos);
            if (state.exit != null) {
                ResponseWriter.sendExit(exchange, state);
            } else if (service == null) {
                ResponseWriter.sendKongError(exchange, state, 503, "no Service found with those values");
            } else {
                boolean buffered = state.upstream.buffering || running.anyResponsePhase();
                try {
                    if (streamed == null) {
                        state.readPendingBody(); // a body left for the plugins to read first goes upstream whole
                    }
                    upstream.proxy(exchange, state, route, service, buffered, () -> runResponsePhases(running.all(), kong), startNanos,
                            state.pendingBody != null ? streamed : null);
                } catch (IOException clientGone) {
                    // the client reset the connection (Ctrl-C while waiting for the model): nginx logs 499 and runs the
                    // log phase all the same, so the request is still accounted for
                    if (state.responseStatus == 0) {
                        state.responseStatus = 499;
                    }
                    LOG.log(Level.DEBUG, () -> "client connection ended: " + clientGone.getMessage());
                }
            }
            state.pendingBody = null; // streamed or not, the client's body is no longer there to read
            scheduleLog(running, state, kong, startNanos);
        } catch (BlockingHttpServer.Refused e) {
            // a body nginx refuses (a bad chunk): its error, and the connection closes
            if (exchange.getResponseCode() == -1) {
                try {
                    exchange.getResponseHeaders().set("Connection", "close");
                    ResponseWriter.sendKongError(exchange, state, e.status(), null);
                } catch (IOException | RuntimeException ignored) {
                    // the client is gone
                }
            }
        } catch (IOException e) {
            LOG.log(Level.DEBUG, () -> "client connection ended: " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "request failed", e);
            if (exchange.getResponseCode() == -1) { // nothing sent yet: Kong's 500 rather than a dropped connection
                try {
                    ResponseWriter.sendKongError(exchange, state, 500, null);
                } catch (IOException | RuntimeException ignored) {
                    // the client is gone
                }
            }
        }
    }

    private static boolean declaresMoreThan(String contentLength, long max) {
        if (contentLength == null) {
            return false;
        }
        try {
            return Long.parseLong(contentLength.strip()) > max;
        } catch (NumberFormatException e) {
            return false; // the front server refuses a malformed length before the handler
        }
    }

    /** Removes a request's temp file when the request ends (nginx's clean temp files). */
    private record SpooledBody(KongRequest state) implements AutoCloseable {
        @Override
        public void close() {
            if (state.bodyFile != null) {
                try {
                    Files.deleteIfExists(state.bodyFile);
                } catch (IOException e) {
                    LOG.log(Level.WARNING, "cannot remove " + state.bodyFile + ": " + e.getMessage());
                }
            }
        }
    }

    /** What the router found, as Kong's balancer data and PDK answers start from it. */
    private static void matched(KongRequest state, Router.Match match, DeclarativeConfig.Route route, DeclarativeConfig.Service service) {
        state.route = route.entity();
        state.service = service == null ? null : service.entity();
        if (service != null) {
            // Kong starts the balancer data from the Service; kong.service.set_retries / set_timeouts change it.
            state.upstream.retries = service.retries();
            state.upstream.connectTimeoutMs = service.connectTimeout();
            state.upstream.writeTimeoutMs = service.writeTimeout();
            state.upstream.readTimeoutMs = service.readTimeout();
        }
        if (route.stripPath()) {
            state.strippedPrefix = match.matchedPrefix();
        }
        if (service != null) {
            // Kong's access.before: $upstream_uri from the route, escaped; set_path replaces it, access.after adds the query
            state.upstreamUri = KongUri.escape(Router.upstreamPath(route.stripPath(), service.path(), state.normalizedPath(), state.strippedPrefix));
        }
        state.uriCaptures = match.captures().unnamed();
        state.uriCapturesNamed = match.captures().named();
    }

    /** rewrite, then access, plugin by plugin until one ends the request; false when Kong would answer 500. */
    private boolean runRequestPhases(List<ConfiguredPlugin> running, KongRequest state, PdkEmulator kong) {
        for (String phase : List.of("rewrite", "access")) {
            for (ConfiguredPlugin plugin : running) {
                if (!plugin.runsIn(phase)) {
                    continue;
                }
                if (!runPhase(plugin, phase, kong)) {
                    return false;
                }
                if (state.exit != null) {
                    return true;
                }
            }
        }
        return true;
    }

    private void runResponsePhases(List<ConfiguredPlugin> running, PdkEmulator kong) {
        for (ConfiguredPlugin plugin : running) {
            if (plugin.has("response") && kong.request().exit == null) {
                runPhase(plugin, "response", kong);
            }
        }
    }

    /** Runs one phase of one plugin; false when Kong would answer 500 (a raised PDK call or an unreachable server). */
    private boolean runPhase(ConfiguredPlugin plugin, String phase, PdkEmulator kong) {
        int linesBefore = kong.request().logLines.size();
        try {
            return runPhaseLogged(plugin, phase, kong);
        } finally {
            writePluginLog(plugin, kong.request().logLines, linesBefore);
        }
    }

    /** What the phase wrote with kong.log.*, into the gateway's log as Kong writes it into error.log, under kong.conf's log_level. */
    private void writePluginLog(ConfiguredPlugin plugin, List<KongRequest.LogLine> lines, int from) {
        for (int i = from; i < lines.size(); i++) {
            KongRequest.LogLine line = lines.get(i);
            KongLogLevel level = KongLogLevel.ofLogFunction(line.level()).orElse(KongLogLevel.ERROR);
            if (level.shownUnder(logLevel)) {
                Level julLevel = level.ordinal() <= KongLogLevel.ERROR.ordinal() ? Level.ERROR
                        : level == KongLogLevel.WARN ? Level.WARNING : level == KongLogLevel.DEBUG ? Level.DEBUG : Level.INFO;
                PLUGIN_LOG.log(julLevel, level.kongName() + " [" + plugin.entity().name() + "] " + line.message());
            }
        }
    }

    private boolean runPhaseLogged(ConfiguredPlugin plugin, String phase, PdkEmulator kong) {
        try {
            EventOutcome outcome = plugin.instances().runPhase(plugin.rpcEntity(), phase, kong.phase(phase));
            if (outcome instanceof EventOutcome.Raised) {
                // the emulator wrote the raise as the plugin's err line (writePluginLog), as Kong's error.log has it once
                // In rewrite and access Kong answers 500; in response and log the error is only logged.
                return !"rewrite".equals(phase) && !"access".equals(phase);
            }
            return true;
        } catch (RpcErrorException e) {
            if (e.method().equals(RpcMethod.START_INSTANCE.wireName())) {
                // Kong raises when an instance cannot start (plugin_servers/plugin.lua): 500 in rewrite and access
                LOG.log(Level.ERROR, "[" + plugin.entity().name() + "] " + phase + ": starting instance: " + e.error());
                return !"rewrite".equals(phase) && !"access".equals(phase);
            }
            // Kong 3.7+ logs a HandleEvent or Step error and goes on without the plugin (fail-open).
            LOG.log(Level.ERROR, "[" + plugin.entity().name() + "] " + phase + ": " + e.getMessage());
            return true;
        } catch (IOException e) {
            LOG.log(Level.ERROR, "[" + plugin.entity().name() + "] " + phase + ": plugin server unreachable: " + e.getMessage());
            return false;
        }
    }

    /** Kong runs external log handlers after the response, in a timer, on what it saved of the request. */
    private void scheduleLog(PluginIterator.RoutePlugins running, KongRequest state, PdkEmulator kong, long startNanos) {
        state.latencyRequest = UpstreamProxy.millisSince(startNanos);
        List<ConfiguredPlugin> loggers = running.loggers();
        if (loggers.isEmpty()) {
            requestEnded(running, state);
            return;
        }
        Runnable phases = () -> {
            try {
                for (ConfiguredPlugin plugin : loggers) {
                    runPhase(plugin, "log", kong);
                }
            } finally {
                pendingLogPhases.decrementAndGet();
                requestEnded(running, state);
            }
        };
        if (pendingLogPhases.incrementAndGet() > maxPendingLogPhases) {
            // Back-pressure, nothing lost: the client has its answer; this connection's next request waits for the log.
            phases.run();
        } else {
            logPhases.execute(phases);
        }
    }

    private static void requestEnded(PluginIterator.RoutePlugins running, KongRequest state) {
        PluginServerClient told = null;
        for (ConfiguredPlugin plugin : running.all()) {
            PluginServerClient client = plugin.instances().client();
            if (client != told) { // a route's plugins almost always share one server
                client.requestEnded(state.requestId);
                told = client;
            }
        }
    }

    /**
     * Kong's graceful quit: no new connections, the requests being served and the log phases still to run finish (up to
     * {@code limit}), then everything closes. Requests still served then are cut (the client sees its answer broken off)
     * and their log phases still run, within {@link #CUT_REQUESTS_LOG_WITHIN}.
     */
    public void closeGracefully(Duration limit) {
        List<BlockingHttpServer> fronts = new ArrayList<>(moreFronts);
        if (front != null) {
            fronts.add(front);
        }
        fronts.forEach(BlockingHttpServer::stopAccepting);
        long deadline = System.nanoTime() + limit.toNanos();
        if (server != null) {
            server.stop((int) Math.max(1, limit.toSeconds())); // the JDK server's own graceful stop
        }
        if (!awaitDrained(deadline) && requestsInFlight() > 0) {
            // Past the limit, a request still served (a long stream) is cut, but not unrecorded: its client connection is
            // closed, which ends it as a client that left, and its log phase (the usage line) still runs before the end.
            fronts.forEach(BlockingHttpServer::close);
            awaitDrained(System.nanoTime() + CUT_REQUESTS_LOG_WITHIN.toNanos());
        }
        close();
    }

    /** How long requests cut at the end of a stop have for their log phases. */
    static final Duration CUT_REQUESTS_LOG_WITHIN = Duration.ofSeconds(5);

    private boolean awaitDrained(long deadline) {
        while (requestsInFlight() > 0 || pendingLogPhases.get() > 0) {
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /** Requests being served now, on every listener. */
    public int requestsInFlight() {
        int inFlight = (front == null ? 0 : front.requestsInFlight()) + jdkServerInFlight.get();
        for (BlockingHttpServer more : moreFronts) {
            inFlight += more.requestsInFlight();
        }
        return inFlight;
    }

    @Override
    public void close() {
        if (server != null) {
            server.stop(0);
        }
        if (front != null) {
            front.close();
        }
        moreFronts.forEach(BlockingHttpServer::close);
        if (healthChecks != null) {
            healthChecks.close();
        }
        plugins.close();
        upstream.close();
        logPhases.shutdown();
    }
}
