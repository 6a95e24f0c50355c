package io.kongjava.gateway;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.kongjava.catalogue.KongStatusTexts;
import io.kongjava.emulation.KongRequest;
import io.kongjava.emulation.PdkEmulator;
import io.kongjava.kongclient.EventOutcome;
import io.kongjava.kongclient.KongPluginInstances;
import io.kongjava.kongclient.KongRpcClient;
import io.kongjava.kongclient.RpcErrorException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Kong's proxy path for external plugins, without Kong: route matching, the plugins' phases in priority
 * order through the MsgPack:1 protocol (PDK calls answered from the live request), proxying with the
 * upstream response streamed chunk by chunk (buffered only when a plugin has a response phase or asked for
 * buffering, as Kong does), and the log phase after the response, on a snapshot, in the background.
 */
public final class Gateway implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Gateway.class.getName());
    private static final String VIA = "1.1 kong-java-gateway";
    private static final Pattern PORT_SUFFIX = Pattern.compile(":\\d+$");
    /** Not forwarded either way; {@code expect} because the gateway answers {@code 100-continue} itself, as nginx does. */
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection", "te", "trailer",
            "transfer-encoding", "upgrade", "content-length", "host", "expect");

    /**
     * nginx's {@code large_client_header_buffers} (Kong keeps nginx's default, {@code 4 8k}): the request line
     * must fit one buffer (else 414), each header line one buffer, and all of them the buffers together (else 400).
     */
    public record HeaderLimits(int buffers, int bufferSize) {
        public static final HeaderLimits NGINX_DEFAULT = new HeaderLimits(4, 8 * 1024);

        int total() {
            return buffers * bufferSize;
        }
    }

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

    /** A plugin the gateway runs: its entity, what its server dumped, and the client for that server. */
    record ConfiguredPlugin(DeclarativeConfig.PluginEntity entity, PluginServerProcesses.Dumped dumped, KongPluginInstances instances) {
        KongPluginInstances.PluginEntity rpcEntity() {
            return new KongPluginInstances.PluginEntity(entity.id(), entity.name(), entity.config(), 1);
        }

        boolean has(String phase) {
            return dumped.phases().contains(phase);
        }
    }

    private final DeclarativeConfig config;
    private final Router router;
    private final Map<String, PluginServerProcesses.Dumped> dumps;
    private final Map<Path, KongPluginInstances> instancesBySocket = new ConcurrentHashMap<>();
    /** The configuration does not change while the gateway runs: each route's plugins are resolved once. */
    private final Map<String, List<ConfiguredPlugin>> pluginsByRoute = new ConcurrentHashMap<>();
    private final UpstreamClient upstreamClient = new UpstreamClient();
    private final long maxBodySize;
    /** nginx's client_body_buffer_size: bodies above it are "in a file", which changes get_raw_body's answers. */
    private int bodyBufferSize = 8192;
    private final HeaderLimits headerLimits;
    private final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
    /** The JDK's server, when chosen with {@code -Dkong.java.gateway.server=jdk}; otherwise {@link #front}. */
    private HttpServer server;
    private VirtualThreadHttpServer front;

    public Gateway(DeclarativeConfig config, Map<String, PluginServerProcesses.Dumped> dumps, long maxBodySize) {
        this(config, dumps, maxBodySize, HeaderLimits.NGINX_DEFAULT);
    }

    public Gateway(DeclarativeConfig config, Map<String, PluginServerProcesses.Dumped> dumps, long maxBodySize, HeaderLimits headerLimits) {
        this.config = config;
        this.headerLimits = headerLimits;
        this.router = new Router(config.routes);
        this.dumps = dumps;
        this.maxBodySize = maxBodySize;
    }

    /** kong.conf's {@code nginx_http_client_body_buffer_size} (Kong's default: 8k). */
    public Gateway bodyBufferSize(long bytes) {
        this.bodyBufferSize = (int) Math.min(Integer.MAX_VALUE, Math.max(1, bytes));
        return this;
    }

    public Gateway start(InetSocketAddress listen) throws IOException {
        if ("jdk".equals(System.getProperty("kong.java.gateway.server"))) {
            server = HttpServer.create(listen, 1024);
            server.setExecutor(workers);
            server.createContext("/", this::handle);
            server.start();
        } else {
            front = new VirtualThreadHttpServer(listen, 1024, headerLimits, this::handle,
                    (status, message) -> kongErrorBody(message, newRequestId()));
        }
        LOG.log(Level.INFO, "proxy listening on " + address());
        return this;
    }

    public InetSocketAddress address() {
        return front != null ? front.address() : server.getAddress();
    }

    private KongPluginInstances instancesFor(PluginServerProcesses.Dumped dumped) {
        return instancesBySocket.computeIfAbsent(dumped.entry().socket(),
                socket -> new KongPluginInstances(new KongRpcClient(socket, KongRpcClient.DEFAULT_TIMEOUT, 256)));
    }

    private void handle(HttpExchange exchange) throws IOException {
        long startNanos = System.nanoTime();
        KongRequest state = new KongRequest();
        state.clientBodyBufferSize = bodyBufferSize;
        try (exchange) {
            int tooLarge = headerTooLarge(exchange);
            if (tooLarge != 0) {
                readRequestHead(exchange, state);
                // nginx closes the connection after refusing a request head; the body, if any, is not read.
                exchange.getResponseHeaders().set("Connection", "close");
                sendKongError(exchange, state, tooLarge, tooLarge == 414 ? "URI too long" : "Bad request");
                return;
            }
            readRequest(exchange, state);
            if (state.body.length > maxBodySize) {
                sendKongError(exchange, state, 413, "Request size limit exceeded");
                return;
            }
            Optional<Router.Match> match = router.match(state.method, state.header("host"), state.port, state.path);
            if (match.isEmpty()) {
                sendKongError(exchange, state, 404, "no Route matched with those values");
                return;
            }
            DeclarativeConfig.Route route = match.get().route();
            DeclarativeConfig.Service service = route.service();
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
                state.strippedPrefix = match.get().matchedPrefix();
            }
            List<ConfiguredPlugin> plugins = pluginsByRoute.computeIfAbsent(route.id(), id -> pluginsFor(route));
            PdkEmulator kong = new PdkEmulator(state);
            for (String phase : List.of("rewrite", "access")) {
                for (ConfiguredPlugin plugin : plugins) {
                    if (!plugin.has(phase) || ("rewrite".equals(phase) && (plugin.entity().routeId() != null || plugin.entity().serviceId() != null))) {
                        continue;
                    }
                    if (!runPhase(plugin, phase, kong)) {
                        sendKongError(exchange, state, 500, "An unexpected error occurred");
                        scheduleLog(plugins, state, kong, startNanos);
                        return;
                    }
                    if (state.exit != null) {
                        break;
                    }
                }
                if (state.exit != null) {
                    break;
                }
            }
            state.latencyKong = millisSince(startNanos);
            if (state.exit != null) {
                sendExit(exchange, state);
            } else if (service == null) {
                sendKongError(exchange, state, 503, "no Service found with those values");
            } else {
                proxy(exchange, state, route, service, plugins, kong, startNanos);
            }
            scheduleLog(plugins, state, kong, startNanos);
        } catch (IOException e) {
            LOG.log(Level.DEBUG, () -> "client connection ended: " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "request failed", e);
            if (exchange.getResponseCode() == -1) { // nothing sent yet: Kong's 500 rather than a dropped connection
                try {
                    sendKongError(exchange, state, 500, "An unexpected error occurred");
                } catch (IOException | RuntimeException ignored) {
                    // the client is gone
                }
            }
        }
    }

    /** Runs one phase of one plugin; false when Kong would answer 500 (a raised PDK call or an unreachable server). */
    private boolean runPhase(ConfiguredPlugin plugin, String phase, PdkEmulator kong) {
        try {
            EventOutcome outcome = plugin.instances().runPhase(plugin.rpcEntity(), phase, kong.phase(phase));
            if (outcome instanceof EventOutcome.Raised raised) {
                LOG.log(Level.ERROR, "[" + plugin.entity().name() + "] " + phase + ": " + raised.method() + " raised: " + raised.message());
                // In rewrite and access Kong answers 500; in response and log the error is only logged.
                return !"rewrite".equals(phase) && !"access".equals(phase);
            }
            return true;
        } catch (RpcErrorException e) {
            // Kong 3.7+ logs the error and goes on without the plugin (fail-open).
            LOG.log(Level.ERROR, "[" + plugin.entity().name() + "] " + phase + ": " + e.getMessage());
            return true;
        } catch (IOException e) {
            LOG.log(Level.ERROR, "[" + plugin.entity().name() + "] " + phase + ": plugin server unreachable: " + e.getMessage());
            return false;
        }
    }

    /**
     * The plugins that run for {@code route}, one per name as Kong's plugins iterator picks them (route and
     * service, then route, then service, then global: the most specific wins), in priority order.
     */
    List<ConfiguredPlugin> pluginsFor(DeclarativeConfig.Route route) {
        Map<String, DeclarativeConfig.PluginEntity> byName = new LinkedHashMap<>();
        String serviceId = route.service() == null ? null : route.service().id();
        for (DeclarativeConfig.PluginEntity p : config.plugins) {
            if (p.routeId() == null && p.serviceId() == null) {
                byName.putIfAbsent(p.name(), p);
            }
        }
        for (DeclarativeConfig.PluginEntity p : config.plugins) {
            if (p.serviceId() != null && p.serviceId().equals(serviceId) && p.routeId() == null) {
                byName.put(p.name(), p);
            }
        }
        for (DeclarativeConfig.PluginEntity p : config.plugins) {
            if (route.id().equals(p.routeId()) && p.serviceId() == null) {
                byName.put(p.name(), p);
            }
        }
        for (DeclarativeConfig.PluginEntity p : config.plugins) {
            if (route.id().equals(p.routeId()) && p.serviceId() != null && p.serviceId().equals(serviceId)) {
                byName.put(p.name(), p);
            }
        }
        List<ConfiguredPlugin> plugins = new ArrayList<>();
        for (DeclarativeConfig.PluginEntity entity : byName.values()) {
            PluginServerProcesses.Dumped dumped = dumps.get(entity.name());
            plugins.add(new ConfiguredPlugin(entity, dumped, instancesFor(dumped)));
        }
        plugins.sort(Comparator.comparingLong((ConfiguredPlugin p) -> p.dumped().priority()).reversed());
        return plugins;
    }

    /** 414 or 400 when the request head exceeds {@link HeaderLimits} as nginx counts it, else 0. */
    private int headerTooLarge(HttpExchange exchange) {
        int requestLine = exchange.getRequestMethod().length() + exchange.getRequestURI().toString().length()
                + exchange.getProtocol().length() + 4;
        if (requestLine > headerLimits.bufferSize()) {
            return 414;
        }
        long total = requestLine;
        for (Map.Entry<String, List<String>> header : exchange.getRequestHeaders().entrySet()) {
            for (String value : header.getValue()) {
                int line = header.getKey().length() + 2 + value.length() + 2;
                if (line > headerLimits.bufferSize()) {
                    return 400;
                }
                total += line;
            }
        }
        return total > headerLimits.total() ? 400 : 0;
    }

    private void readRequest(HttpExchange exchange, KongRequest state) throws IOException {
        readRequestHead(exchange, state);
        try (InputStream in = exchange.getRequestBody()) {
            state.body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBodySize + 1));
        }
        state.requestSize = state.body.length + state.pathWithQuery().length() + 16;
    }

    private void readRequestHead(HttpExchange exchange, KongRequest state) {
        state.method = exchange.getRequestMethod().toUpperCase(Locale.ROOT);
        String rawPath = exchange.getRequestURI().getRawPath();
        state.path = rawPath == null || rawPath.isEmpty() ? "/" : rawPath;
        state.rawQuery = exchange.getRequestURI().getRawQuery() == null ? "" : exchange.getRequestURI().getRawQuery();
        exchange.getRequestHeaders().forEach((name, values) -> state.headers.put(name.toLowerCase(Locale.ROOT), new ArrayList<>(values)));
        String host = state.header("host");
        state.host = host == null ? exchange.getLocalAddress().getHostString() : PORT_SUFFIX.matcher(host).replaceFirst("");
        state.port = exchange.getLocalAddress().getPort();
        state.clientIp = exchange.getRemoteAddress().getAddress().getHostAddress();
        state.clientPort = exchange.getRemoteAddress().getPort();
        state.requestId = newRequestId();
    }

    private void proxy(HttpExchange exchange, KongRequest state, DeclarativeConfig.Route route, DeclarativeConfig.Service service,
                       List<ConfiguredPlugin> plugins, PdkEmulator kong, long startNanos) throws IOException {
        KongRequest.Upstream up = state.upstream;
        String scheme = up.scheme != null && (up.targetHost != null || !"http".equals(up.scheme)) ? up.scheme : service.protocol();
        String host = up.targetHost != null ? up.targetHost : service.host();
        int port = up.targetHost != null ? up.targetPort : service.port();
        String path = up.path != null ? up.path : Router.upstreamPath(route.stripPath(), service.path(), state.path, state.strippedPrefix);
        String query = up.rawQuery != null ? up.rawQuery : state.rawQuery;
        state.upstreamUri = query.isEmpty() ? path : path + "?" + query;

        Map<String, List<String>> outgoing = new LinkedHashMap<>();
        state.headers.forEach((name, values) -> {
            if (!HOP_BY_HOP.contains(name)) {
                outgoing.put(name, values);
            }
        });
        up.headers.forEach((name, values) -> {
            if (!HOP_BY_HOP.contains(name)) {
                outgoing.put(name, values);
            }
        });
        String hostHeader = route.preserveHost() && state.header("host") != null ? state.header("host")
                : port == ("https".equals(scheme) ? 443 : 80) ? host : (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        outgoing.put("host", List.of(hostHeader));
        outgoing.put("connection", List.of("keep-alive")); // Kong's template: proxy_set_header Connection $upstream_connection
        outgoing.put("x-forwarded-for", List.of(state.clientIp));
        outgoing.put("x-forwarded-proto", List.of(state.scheme));
        outgoing.put("x-forwarded-host", List.of(state.host));
        outgoing.put("x-forwarded-port", List.of(String.valueOf(state.port)));
        outgoing.put("x-forwarded-path", List.of(state.path));
        outgoing.put("x-real-ip", List.of(state.clientIp));
        outgoing.put("x-kong-request-id", List.of(state.requestId));
        List<String[]> headers = new ArrayList<>();
        outgoing.forEach((name, values) -> values.forEach(v -> headers.add(new String[] {name, v.replace("\r", "").replace("\n", "")})));
        byte[] body = up.body != null ? up.body : state.body;
        String method = up.method != null ? up.method : state.method;

        boolean buffered = up.buffering || plugins.stream().anyMatch(p -> p.has("response"));
        long sentNanos = System.nanoTime();
        UpstreamClient.Response response;
        try {
            UpstreamAttempts.Request request = new UpstreamAttempts.Request(new UpstreamClient.Address("https".equals(scheme), host, port),
                    method, state.upstreamUri, headers, body, up.connectTimeoutMs, up.writeTimeoutMs, up.readTimeoutMs);
            response = UpstreamAttempts.execute(upstreamClient, request, up.retries, state.tries);
        } catch (UpstreamAttempts.Failed failed) {
            state.upstreamStatus = String.valueOf(failed.status());
            LOG.log(Level.ERROR, failed.getMessage());
            sendKongError(exchange, state, failed.status(), KongStatusTexts.defaultMessage(failed.status()));
            return;
        }
        try (response) {
            state.latencyProxy = millisSince(sentNanos);
            int code = response.status;
            state.upstreamStatus = String.valueOf(code);
            Map<String, List<String>> responseHeaders = new LinkedHashMap<>();
            for (String[] header : response.headers) {
                String lower = header[0].toLowerCase(Locale.ROOT);
                if (!HOP_BY_HOP.contains(lower) || "content-length".equals(lower)) {
                    responseHeaders.computeIfAbsent(lower, k -> new ArrayList<>()).add(header[1]);
                }
            }
            if (response.header("transfer-encoding") != null) {
                responseHeaders.remove("content-length"); // RFC 9112: the chunked coding wins; the length is not the body's
            }
            if (buffered) {
                byte[] bytes = response.body.readAllBytes();
                state.latencyProxy = millisSince(sentNanos);
                state.upstreamResponse = new KongRequest.UpstreamResponse(code, responseHeaders, bytes);
                state.responseStatus = code;
                state.responseHeaders.putAll(mergeHeaders(responseHeaders, state.responseHeaders));
                for (ConfiguredPlugin plugin : plugins) {
                    if (plugin.has("response") && state.exit == null) {
                        runPhase(plugin, "response", kong);
                    }
                }
                if (state.exit != null) {
                    sendExit(exchange, state);
                    return;
                }
                responseHeaders.remove("content-length");
                send(exchange, state, state.responseStatus, mergeHeaders(responseHeaders, state.responseHeaders), bytes, startNanos, sentNanos);
                return;
            }
            state.responseStatus = code;
            Map<String, List<String>> merged = mergeHeaders(responseHeaders, state.responseHeaders);
            String contentLength = first(merged.remove("content-length"));
            addKongHeaders(merged, state, startNanos, sentNanos);
            merged.forEach((name, values) -> values.forEach(v -> exchange.getResponseHeaders().add(name, v)));
            state.responseHeaders.clear();
            state.responseHeaders.putAll(merged);
            long length = contentLength == null ? 0 : Long.parseLong(contentLength);
            boolean noBody = "HEAD".equals(state.method) || code == 204 || code == 304;
            // A HEAD answer keeps the upstream's Content-Length, as nginx passes it (the front sends no body for HEAD).
            boolean headWithLength = "HEAD".equals(state.method) && length > 0 && front != null;
            exchange.sendResponseHeaders(code, headWithLength ? length : noBody ? -1 : length == 0 && contentLength != null ? -1 : length);
            long receiveStart = System.nanoTime();
            if (!noBody) {
                try (InputStream in = response.body; OutputStream out = exchange.getResponseBody()) {
                    byte[] buffer = new byte[16 * 1024];
                    int n;
                    while ((n = in.read(buffer)) > 0) {
                        out.write(buffer, 0, n);
                        out.flush();
                        state.responseSize += n;
                    }
                } catch (IOException e) {
                    // the client went away or the upstream broke mid-body: stop, and let the log phase record it
                    LOG.log(Level.DEBUG, () -> "streaming ended early: " + e.getMessage());
                }
            }
            state.latencyReceive = millisSince(receiveStart);
        }
    }

    private static Map<String, List<String>> mergeHeaders(Map<String, List<String>> upstream, Map<String, List<String>> fromPlugins) {
        Map<String, List<String>> merged = new LinkedHashMap<>(upstream);
        fromPlugins.forEach((name, values) -> {
            if (values.isEmpty()) {
                merged.remove(name);
            } else {
                merged.put(name, values);
            }
        });
        return merged;
    }

    private void addKongHeaders(Map<String, List<String>> headers, KongRequest state, long startNanos, long sentNanos) {
        headers.put("x-kong-upstream-latency", List.of(String.valueOf((long) state.latencyProxy)));
        headers.put("x-kong-proxy-latency", List.of(String.valueOf(TimeUnit.NANOSECONDS.toMillis(sentNanos - startNanos))));
        headers.put("via", List.of(VIA));
        headers.put("x-kong-request-id", List.of(state.requestId));
    }

    private void send(HttpExchange exchange, KongRequest state, int status, Map<String, List<String>> headers, byte[] body,
                      long startNanos, long sentNanos) throws IOException {
        Map<String, List<String>> all = new LinkedHashMap<>(headers);
        addKongHeaders(all, state, startNanos, sentNanos);
        writeResponse(exchange, state, status, all, body);
    }

    private void sendExit(HttpExchange exchange, KongRequest state) throws IOException {
        Map<String, List<String>> headers = mergeHeaders(state.exit.headers(), state.responseHeaders);
        headers.put("x-kong-response-latency", List.of(String.valueOf((long) state.latencyKong)));
        headers.put("x-kong-request-id", List.of(state.requestId));
        state.responseSource = "exit";
        writeResponse(exchange, state, state.exit.status(), headers, state.exit.body());
    }

    private void sendKongError(HttpExchange exchange, KongRequest state, int status, String message) throws IOException {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put("content-type", List.of("application/json; charset=utf-8"));
        headers.put("x-kong-request-id", List.of(state.requestId));
        state.responseSource = "error";
        String text = message == null ? KongStatusTexts.defaultMessage(status) : message;
        writeResponse(exchange, state, status, headers, kongErrorBody(text, state.requestId));
    }

    /** Kong's JSON error body. */
    static byte[] kongErrorBody(String message, String requestId) {
        return ("{\n  \"message\":\"" + message.replace("\"", "\\\"") + "\",\n  \"request_id\":\"" + requestId + "\"\n}")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static void writeResponse(HttpExchange exchange, KongRequest state, int status, Map<String, List<String>> headers, byte[] body) throws IOException {
        state.responseStatus = status;
        state.responseHeaders.clear();
        state.responseHeaders.putAll(headers);
        headers.forEach((name, values) -> {
            if (!HOP_BY_HOP.contains(name)) {
                values.forEach(v -> exchange.getResponseHeaders().add(name, v));
            }
        });
        boolean noBody = body.length == 0 || "HEAD".equals(state.method);
        exchange.sendResponseHeaders(status, noBody ? -1 : body.length);
        if (!noBody) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
        state.responseSize = body.length;
    }

    /** Kong runs external log handlers after the response, in a timer, on what it saved of the request. */
    private void scheduleLog(List<ConfiguredPlugin> plugins, KongRequest state, PdkEmulator kong, long startNanos) {
        state.latencyRequest = millisSince(startNanos);
        List<ConfiguredPlugin> loggers = plugins.stream().filter(p -> p.has("log")).toList();
        if (loggers.isEmpty()) {
            return;
        }
        workers.submit(() -> {
            for (ConfiguredPlugin plugin : loggers) {
                runPhase(plugin, "log", kong);
            }
        });
    }

    /**
     * 32 hex digits, as Kong's request ids. Not a secret, so not from SecureRandom, whose shared lock
     * every request would take.
     */
    static String newRequestId() {
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        return java.util.HexFormat.of().toHexDigits(random.nextLong()) + java.util.HexFormat.of().toHexDigits(random.nextLong());
    }

    private static double millisSince(long startNanos) {
        return Math.round((System.nanoTime() - startNanos) / 10_000.0) / 100.0;
    }

    private static String first(List<String> values) {
        return values == null || values.isEmpty() ? null : values.getFirst();
    }

    @Override
    public void close() {
        if (server != null) {
            server.stop(0);
        }
        if (front != null) {
            front.close();
        }
        instancesBySocket.values().forEach(i -> i.client().close());
        upstreamClient.close();
        workers.shutdownNow();
    }
}
