package io.kongjava.gateway;

import io.kongjava.http.UpstreamClient;
import io.kongjava.http.Abortable;
import io.kongjava.http.BlockingHttpServer;
import io.kongjava.http.InMemoryExchange;
import io.kongjava.relay.ResponseRelay;
import io.kongjava.relay.UpstreamTls;
import com.sun.net.httpserver.HttpExchange;
import io.kongjava.catalogue.HopByHopHeaders;
import io.kongjava.emulation.KongRequest;
import io.kongjava.emulation.KongUri;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Kong's proxying to the Service: the upstream request from the client's and what plugins changed, Kong's
 * forwarding headers, retries, and the response streamed chunk by chunk, or buffered when a plugin has a
 * response phase or asked for buffering, as Kong does.
 */
final class UpstreamProxy implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(UpstreamProxy.class.getName());
    /**
     * Not forwarded either way: Kong's hop-by-hop set, {@code host} (set for the upstream below) and {@code expect}
     * (the gateway answers {@code 100-continue} itself, as nginx does).
     */
    static final Set<String> NOT_FORWARDED = HopByHopHeaders.and("host", "expect");
    /** Request fields Kong clears besides the hop-by-hop ones: Proxy (httpoxy) and Proxy-Connection. */
    private static final Set<String> NOT_FORWARDED_UPSTREAM = HopByHopHeaders.and("host", "expect", "proxy");

    /** Runs the plugins' response phases on a buffered response. */
    @FunctionalInterface
    interface ResponsePhases {
        void run();
    }

    /** For http Services; https ones get a client per TLS setting (its own pool: a connection is reused only for the same settings). */
    private final UpstreamClient upstreamClient = new UpstreamClient().withMaxResponseHead(DEFAULT_PROXY_BUFFER_SIZE);
    private volatile UpstreamClient.KeepAlive keepAlive = UpstreamClient.KeepAlive.KONG_DEFAULTS;
    private final Map<UpstreamTls, UpstreamClient> tlsClients = new java.util.concurrent.ConcurrentHashMap<>();
    /** Where a Service's ca_certificates and client_certificate are found by id (the kong.yaml's, written out); null for none. */
    private volatile java.nio.file.Path certificates;
    /** The plugin servers run in this JVM: a target on the response relay's port is handed to it in process. */
    private volatile boolean relayInProcess;
    /** Whether the front server is ours, which sends a HEAD answer's Content-Length without a body. */
    private final java.util.function.BooleanSupplier frontKeepsHeadLength;

    UpstreamProxy(java.util.function.BooleanSupplier frontKeepsHeadLength) {
        this.frontKeepsHeadLength = frontKeepsHeadLength;
    }

    void certificates(java.nio.file.Path directory) {
        this.certificates = directory;
    }

    /** nginx's proxy_buffer_size: one memory page (4 KB on x86-64) unless kong.conf's nginx_proxy_proxy_buffer_size sets it. */
    static final int DEFAULT_PROXY_BUFFER_SIZE = 4096;
    private volatile int proxyBufferSize = DEFAULT_PROXY_BUFFER_SIZE;

    /** The largest response head an upstream may send (nginx's proxy_buffer_size). */
    void proxyBufferSize(int bytes) {
        this.proxyBufferSize = bytes;
        upstreamClient.withMaxResponseHead(bytes);
        tlsClients.values().forEach(client -> client.withMaxResponseHead(bytes));
    }

    /** kong.conf's upstream_keepalive_* settings, for every upstream connection from now on. */
    void keepAlive(UpstreamClient.KeepAlive settings) {
        this.keepAlive = settings;
        upstreamClient.withKeepAlive(settings);
        tlsClients.values().forEach(client -> client.withKeepAlive(settings));
    }

    private UpstreamClient clientFor(String scheme, DeclarativeConfig.Service service, Boolean verifyFromPlugin, Integer depthFromPlugin)
            throws UpstreamTls.Unusable {
        if (!"https".equals(scheme)) {
            return upstreamClient;
        }
        UpstreamTls tls = service == null ? UpstreamTls.KONG_DEFAULT : service.tls();
        if (verifyFromPlugin != null || depthFromPlugin != null) {
            // kong.service.set_tls_verify(_depth) override the Service's settings for this request, as in Kong
            tls = tls.overridden(verifyFromPlugin, depthFromPlugin);
        }
        UpstreamClient client = tlsClients.get(tls);
        if (client == null) {
            client = tls.client(certificates).withKeepAlive(keepAlive).withMaxResponseHead(proxyBufferSize);
            UpstreamClient raced = tlsClients.putIfAbsent(tls, client);
            if (raced != null) {
                client.close();
                client = raced;
            }
        }
        return client;
    }

    /** From now on, requests for this JVM's response relay are handed to it directly (the plugin servers run in process). */
    void relayInProcess() {
        relayInProcess = true;
    }

    /** kong.yaml's Upstreams by name. */
    private volatile Map<String, Balancer> upstreams = Map.of();

    void upstreams(Map<String, Balancer> byName) {
        this.upstreams = Map.copyOf(byName);
    }

    void proxy(HttpExchange exchange, KongRequest state, DeclarativeConfig.Route route, DeclarativeConfig.Service service,
               boolean buffered, ResponsePhases responsePhases, long startNanos) throws IOException {
        proxy(exchange, state, route, service, buffered, responsePhases, startNanos, null);
    }

    /** As above; {@code streamed}, when not null, is the client's body still unread, to go upstream as it comes. */
    void proxy(HttpExchange exchange, KongRequest state, DeclarativeConfig.Route route, DeclarativeConfig.Service service,
               boolean buffered, ResponsePhases responsePhases, long startNanos, UpstreamClient.StreamedBody streamed) throws IOException {
        KongRequest.Upstream up = state.upstream;
        String scheme = up.scheme != null && (up.targetHost != null || !"http".equals(up.scheme)) ? up.scheme : service.protocol();
        String host = up.targetHost != null ? up.targetHost : service.host();
        int port = up.targetHost != null ? up.targetPort : service.port();
        // A Service whose host names an Upstream (or kong.service.set_upstream's choice) goes to one of its targets
        Balancer balancer = upstreams.get(up.upstreamName != null ? up.upstreamName : up.targetHost == null ? service.host() : "");
        java.util.SequencedSet<Balancer.Target> picked = new java.util.LinkedHashSet<>();
        String hostHeaderOverride = null;
        if (balancer != null) {
            Balancer.Target first = balancer.next(state, picked);
            if (first == null) {
                state.upstreamStatus = "503";
                LOG.log(Level.ERROR, "upstream " + balancer.name() + " has no target that takes traffic");
                ResponseWriter.sendKongError(exchange, state, 503, "failure to get a peer from the ring-balancer");
                return;
            }
            picked.add(first);
            balancer.inFlight(first, true);
            host = first.host();
            port = first.port();
            hostHeaderOverride = balancer.hostHeader();
        }
        long began = System.nanoTime();
        try {
            proxy(exchange, state, route, service, buffered, responsePhases, startNanos, scheme, host, port, balancer, picked, hostHeaderOverride,
                    streamed);
        } finally {
            if (balancer != null) {
                picked.forEach(target -> balancer.inFlight(target, false));
                if (balancer.balancesByLatency() && !picked.isEmpty()) {
                    // Kong's log phase (ewma:afterBalance): the last target's time, the answer's streaming included
                    balancer.afterBalance(picked.getLast(), (System.nanoTime() - began) / 1e9);
                }
            }
        }
    }

    private void proxy(HttpExchange exchange, KongRequest state, DeclarativeConfig.Route route, DeclarativeConfig.Service service,
                       boolean buffered, ResponsePhases responsePhases, long startNanos, String scheme, String host, int port,
                       Balancer balancer, Set<Balancer.Target> picked, String hostHeaderOverride, UpstreamClient.StreamedBody streamed)
            throws IOException {
        KongRequest.Upstream up = state.upstream;
        // Kong sends the normalized path, escaped again (runloop/handler.lua: escape(match_t.upstream_uri))
        String path = up.path != null ? up.path
                : KongUri.escape(Router.upstreamPath(route.stripPath(), service.path(), state.normalizedPath(), state.strippedPrefix));
        String query = up.rawQuery != null ? up.rawQuery : state.rawQuery;
        state.upstreamUri = query.isEmpty() ? path : path + "?" + query;

        List<String[]> headers = upstreamHeaders(state, route, scheme, host, port, hostHeaderOverride);
        String method = up.method != null ? up.method : state.method;
        if (up.body != null || state.pendingBody == null) {
            streamed = null; // a plugin set or read the body: it goes as a whole
        }

        long sentNanos = System.nanoTime();
        if (relayInProcess && "http".equals(scheme) && "127.0.0.1".equals(host)) {
            Optional<ResponseRelay> relay = ResponseRelay.sharedOn(port);
            if (relay.isPresent()) {
                state.readPendingBody(); // the relay in this JVM takes Kong's request in memory
                proxyToRelay(relay.get(), exchange, state, method, headers, up.body != null ? up.body : state.body, buffered, responsePhases,
                        startNanos, sentNanos);
                return;
            }
        }
        byte[] body = up.body != null ? up.body : state.body;
        // As nginx (proxy_ignore_client_abort off): a client that closes while the upstream has not answered, or
        // pauses, ends the upstream call, which a relay behind the gateway notices in turn.
        UpstreamClient client;
        try {
            client = clientFor(scheme, service, up.tlsVerify, up.tlsVerifyDepth);
        } catch (UpstreamTls.Unusable e) {
            LOG.log(Level.ERROR, "cannot connect to " + host + ":" + port + " as Service " + service.name() + " says: " + e.getMessage());
            state.upstreamStatus = "502";
            ResponseWriter.sendKongError(exchange, state, 502, null);
            return;
        }
        UpstreamClient.Cancellation cancellation = new UpstreamClient.Cancellation();
        boolean websocket = isWebSocketUpgrade(state);
        if (!websocket) { // a watch would read the client's first frames
            BlockingHttpServer.watchClient(exchange, cancellation::cancel);
        }
        UpstreamClient.Response response;
        try {
            UpstreamAttempts.Request request = new UpstreamAttempts.Request(new UpstreamClient.Address("https".equals(scheme), host, port),
                    method, state.upstreamUri, headers, body, streamed, up.connectTimeoutMs, up.writeTimeoutMs, up.readTimeoutMs);
            UpstreamAttempts.NextAddress next = balancer == null ? null : () -> {
                Balancer.Target target = balancer.next(state, picked);
                if (target == null) {
                    return null;
                }
                if (picked.add(target)) {
                    balancer.inFlight(target, true);
                }
                return new UpstreamClient.Address("https".equals(scheme), target.host(), target.port());
            };
            UpstreamAttempts.Outcomes outcomes = balancer == null ? null : new UpstreamAttempts.Outcomes() {
                @Override
                public void failed(UpstreamClient.Address address, boolean timeout) {
                    balancer.failed(address.host(), address.port(), timeout);
                }

                @Override
                public void answered(UpstreamClient.Address address, int status) {
                    balancer.answered(address.host(), address.port(), status);
                }
            };
            response = UpstreamAttempts.execute(client, request, up.retries, state.tries, cancellation, next, outcomes);
        } catch (UpstreamAttempts.Failed failed) {
            if (cancellation.cancelled()) {
                LOG.log(Level.INFO, "the client closed the connection while waiting for " + host + ":" + port + "; the upstream call was cancelled");
                state.responseStatus = 499; // nginx's status for a client that closed the request; nothing is sent
                return;
            }
            state.upstreamStatus = String.valueOf(failed.status());
            LOG.log(Level.ERROR, failed.getMessage());
            ResponseWriter.sendKongError(exchange, state, failed.status(), null);
            return;
        }
        if (streamed != null) {
            state.pendingBody = null;
            state.requestSize = state.requestHeadSize + streamed.bytesRead();
        }
        try (response) {
            state.latencyProxy = millisSince(sentNanos);
            int code = response.status;
            state.upstreamStatus = String.valueOf(code);
            if (websocket && code == 101) {
                tunnel(exchange, state, response, cancellation, up.readTimeoutMs, startNanos, sentNanos);
                return;
            }
            if (!buffered) {
                stream(exchange, state, response, startNanos, sentNanos, cancellation);
                return;
            }
            byte[] bytes = response.body.readAllBytes();
            answerBuffered(exchange, state, code, response.headers, bytes, responsePhases, startNanos, sentNanos);
        }
    }

    /**
     * The upstream switched to WebSocket: the client gets the 101 and the two connections are joined until either side
     * ends, each read waiting at most the Service's read_timeout, as nginx's proxy of an upgraded connection does.
     */
    private static void tunnel(HttpExchange exchange, KongRequest state, UpstreamClient.Response response,
                               UpstreamClient.Cancellation upstreamSide, int readTimeoutMs, long startNanos, long sentNanos) throws IOException {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (String[] header : response.headers) {
            String lower = header[0].toLowerCase(Locale.ROOT);
            if (!NOT_FORWARDED.contains(lower)) {
                headers.computeIfAbsent(lower, k -> new ArrayList<>()).add(header[1]);
            }
        }
        headers.put("upgrade", List.of("websocket"));
        headers.put("connection", List.of("upgrade"));
        ResponseWriter.addKongHeaders(headers, state, startNanos, sentNanos);
        headers.remove("x-kong-upstream-status");
        state.responseStatus = 101;
        state.responseHeaders.putAll(headers);
        // nginx's upgraded proxying times only the upstream's read, and re-arms it on traffic either way: a tunnel ends
        // after read_timeout without a byte in either direction, never while one side talks
        BlockingHttpServer.Tunnel client = BlockingHttpServer.switchProtocols(exchange, headers, 0);
        OutputStream toUpstream = response.upgradedOutput();
        if (client == null || toUpstream == null) {
            LOG.log(Level.ERROR, "a WebSocket upgrade needs the gateway's own front server; answered 502");
            state.responseStatus = 0;
            state.responseHeaders.clear();
            ResponseWriter.sendKongError(exchange, state, 502, null);
            return;
        }
        java.util.concurrent.atomic.AtomicLong lastTraffic = new java.util.concurrent.atomic.AtomicLong(System.nanoTime());
        Thread upward = Thread.ofVirtual().name("websocket-up").start(() -> {
            byte[] buffer = new byte[16 * 1024];
            try {
                int n;
                while ((n = client.in().read(buffer)) > 0) {
                    lastTraffic.set(System.nanoTime());
                    toUpstream.write(buffer, 0, n);
                    toUpstream.flush();
                }
            } catch (IOException e) {
                LOG.log(Level.DEBUG, () -> "WebSocket client side ended: " + e.getMessage());
            } finally {
                upstreamSide.cancel(); // the client left: the upstream's side ends too
            }
        });
        long toClient = client.headBytes();
        long idleLimit = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(readTimeoutMs);
        byte[] buffer = new byte[16 * 1024];
        try {
            while (true) {
                int n;
                try {
                    n = response.body.read(buffer);
                } catch (java.net.SocketTimeoutException quiet) {
                    if (System.nanoTime() - lastTraffic.get() < idleLimit) {
                        continue; // the client talked meanwhile: the timer starts again
                    }
                    LOG.log(Level.DEBUG, "WebSocket tunnel idle for read_timeout: closed");
                    break;
                }
                if (n <= 0) {
                    break;
                }
                lastTraffic.set(System.nanoTime());
                client.out().write(buffer, 0, n);
                client.out().flush();
                toClient += n;
            }
        } catch (IOException e) {
            LOG.log(Level.DEBUG, () -> "WebSocket upstream side ended: " + e.getMessage());
        } finally {
            state.responseSize += toClient; // nginx's $bytes_sent: the 101's head and every byte the client got
        }
        // the upstream ended: the client's side closes as the handler returns, which ends the upward copy
        upward.interrupt();
    }

    /** A buffered answer: the response phases run on the whole of it, then the client gets what they left. */
    private static void answerBuffered(HttpExchange exchange, KongRequest state, int code, List<String[]> upstreamHeaders, byte[] bytes,
                                       ResponsePhases responsePhases, long startNanos, long sentNanos) throws IOException {
        Map<String, List<String>> responseHeaders = new LinkedHashMap<>();
        boolean chunked = false;
        for (String[] header : upstreamHeaders) {
            String lower = header[0].toLowerCase(Locale.ROOT);
            chunked |= "transfer-encoding".equals(lower);
            if (!NOT_FORWARDED.contains(lower) || "content-length".equals(lower)) {
                responseHeaders.computeIfAbsent(lower, k -> new ArrayList<>()).add(header[1]);
            }
        }
        if (chunked) {
            responseHeaders.remove("content-length"); // RFC 9112: the chunked coding wins; the length is not the body's
        }
        state.latencyProxy = millisSince(sentNanos);
        state.upstreamResponse = new KongRequest.UpstreamResponse(code, responseHeaders, bytes);
        state.responseStatus = code;
        state.responseHeaders.putAll(ResponseWriter.mergeHeaders(responseHeaders, state.responseHeaders));
        responsePhases.run();
        if (state.exit != null) {
            ResponseWriter.sendExit(exchange, state);
            return;
        }
        // the upstream's headers as the response phases left them: what they cleared stays cleared
        Map<String, List<String>> answer = new LinkedHashMap<>(state.responseHeaders);
        answer.values().removeIf(List::isEmpty);
        answer.remove("content-length");
        ResponseWriter.sendBuffered(exchange, state, state.responseStatus, answer, bytes, startNanos, sentNanos);
    }

    /**
     * Kong's request handed to the response relay of this JVM on this thread (the plugin server runs in process): what
     * the relay answers goes to the client as an upstream's answer would, without the loopback connection between them.
     * The relay applies the Service's timeouts and retries to the provider itself, as it does behind Kong.
     */
    private void proxyToRelay(ResponseRelay relay, HttpExchange exchange, KongRequest state, String method, List<String[]> headers,
                              byte[] body, boolean buffered, ResponsePhases responsePhases, long startNanos, long sentNanos)
            throws IOException {
        Map<String, Object> attempt = UpstreamAttempts.newTry("127.0.0.1", relay.port());
        state.tries.add(attempt);
        long[] receiveStart = new long[1];
        int[] status = new int[1];
        List<String[]> answerHeaders = new ArrayList<>();
        ByteArrayOutputStream whole = buffered ? new ByteArrayOutputStream() : null;
        InMemoryExchange local = new InMemoryExchange(method, state.upstreamUri, headers, body, exchange.getLocalAddress(),
                exchange.getRemoteAddress(), (code, responseHeaders, length) -> {
                    status[0] = code;
                    state.latencyProxy = millisSince(sentNanos);
                    state.upstreamStatus = String.valueOf(code);
                    answerHeaders.addAll(headerList(responseHeaders, length));
                    if (buffered) {
                        return whole;
                    }
                    Started started = startAnswer(exchange, state, code, answerHeaders, startNanos, sentNanos);
                    receiveStart[0] = System.nanoTime();
                    return started.body() == null ? null : new CountingOutput(started.body(), state);
                });
        BlockingHttpServer.watchClient(exchange, local::clientLeft);
        try {
            relay.serve(local);
        } catch (IOException e) {
            LOG.log(Level.DEBUG, () -> "streaming from the relay ended early: " + e.getMessage());
        } finally {
            local.close();
        }
        if (local.aborted() && local.answered() && !buffered) {
            Abortable.abort(exchange); // the relay's upstream broke off mid-body: so does the client's answer
            state.latencyReceive = millisSince(receiveStart[0]);
            return;
        }
        if (!local.answered() && local.clientGone()) {
            state.responseStatus = 499; // nginx's status for a client that closed the request; nothing is sent
            return;
        }
        if (!local.answered() || local.aborted()) {
            attempt.put("state", "failed");
            attempt.put("code", 502L);
            state.upstreamStatus = "502";
            ResponseWriter.sendKongError(exchange, state, 502, null);
            return;
        }
        if (buffered) {
            answerBuffered(exchange, state, status[0], answerHeaders, whole.toByteArray(), responsePhases, startNanos, sentNanos);
        } else {
            state.latencyReceive = millisSince(receiveStart[0]);
        }
    }

    /** An in-memory answer's head as an upstream would send it: its headers, then its framing from the length. */
    private static List<String[]> headerList(com.sun.net.httpserver.Headers headers, long length) {
        List<String[]> list = new ArrayList<>();
        headers.forEach((name, values) -> {
            if (!"content-length".equalsIgnoreCase(name) && !"transfer-encoding".equalsIgnoreCase(name)) {
                values.forEach(value -> list.add(new String[] {name, value}));
            }
        });
        if (length == 0) {
            list.add(new String[] {"transfer-encoding", "chunked"});
        } else {
            list.add(new String[] {"content-length", String.valueOf(Math.max(length, 0))});
        }
        return list;
    }

    /** The client's body stream, flushed at each write as the upstream's chunks are, counting what Kong logs as the size. */
    private static final class CountingOutput extends FilterOutputStream {
        private final KongRequest state;

        CountingOutput(OutputStream out, KongRequest state) {
            super(out);
            this.state = state;
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            out.write(bytes, offset, length);
            out.flush();
            state.responseSize += length;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }
    }

    /** The headers Kong's template sets on every upstream request, in the order it adds them. */
    private static final List<String> KONG_REQUEST_HEADERS = List.of("via", "host", "connection", "x-forwarded-for", "x-forwarded-proto",
            "x-forwarded-host", "x-forwarded-port", "x-forwarded-path", "x-forwarded-prefix", "x-real-ip", "x-kong-request-id");
    private static final Map<String, Integer> KONG_REQUEST_HEADER_INDEX = indexOf(KONG_REQUEST_HEADERS);

    private static Map<String, Integer> indexOf(List<String> names) {
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < names.size(); i++) {
            index.put(names.get(i), i);
        }
        return Map.copyOf(index);
    }

    /**
     * The client's headers without hop-by-hop ones, what plugins set, and the headers Kong's template adds, straight
     * into the list the upstream client writes. A header keeps the place it first had: the client's, else the plugin's,
     * else Kong's template's (as one ordered map filled in that order would).
     */
    static List<String[]> upstreamHeaders(KongRequest state, DeclarativeConfig.Route route, String scheme, String host, int port) {
        return upstreamHeaders(state, route, scheme, host, port, null);
    }

    /** @param hostHeaderOverride the Upstream's {@code host_header}, or null */
    static List<String[]> upstreamHeaders(KongRequest state, DeclarativeConfig.Route route, String scheme, String host, int port,
                                          String hostHeaderOverride) {
        String clientHost = state.header("host");
        String hostHeader = route.preserveHost() && clientHost != null ? clientHost
                : hostHeaderOverride != null ? hostHeaderOverride
                : port == ("https".equals(scheme) ? 443 : 80) ? host : (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        // Kong's runloop (access.after): a client in trusted_ips has its X-Forwarded-Proto/Host/Port/Path/Prefix passed
        // on; X-Forwarded-For is the client's list with the client's address added, whoever the client is; the prefix
        // is what strip_path stripped. A template header left without a value is not sent, the client's neither.
        boolean trusted = state.trustedIps.contains(state.clientIp);
        String forwardedFor = state.header("x-forwarded-for");
        String strippedPrefix = state.strippedPrefix != null && !state.strippedPrefix.equals("/") ? state.strippedPrefix : null;
        String remoteAddr = state.forwardedIp(); // nginx's $remote_addr once the realip module has read a trusted client's header
        // Kong 3.8+: the client's Via with Kong's own entry added, "<client's HTTP version> <server>"
        String version = state.httpVersion == Math.rint(state.httpVersion) ? String.valueOf((long) state.httpVersion) : String.valueOf(state.httpVersion);
        String ownVia = version + " " + ResponseWriter.VIA.substring(ResponseWriter.VIA.indexOf(' ') + 1);
        List<String> clientVia = state.headers.get("via");
        String via = clientVia == null || clientVia.isEmpty() ? ownVia : String.join(", ", clientVia) + ", " + ownVia;
        boolean websocket = isWebSocketUpgrade(state);
        // Kong's template: proxy_set_header Connection $upstream_connection (and Upgrade $upstream_upgrade, for a WebSocket)
        String[] kong = {via, hostHeader, websocket ? "keep-alive, Upgrade" : "keep-alive",
                forwardedFor != null ? String.join(", ", state.headers.get("x-forwarded-for")) + ", " + state.clientIp : remoteAddr,
                forwarded(trusted, state, "x-forwarded-proto", state.scheme), forwarded(trusted, state, "x-forwarded-host", state.host),
                forwarded(trusted, state, "x-forwarded-port", String.valueOf(state.port)), forwarded(trusted, state, "x-forwarded-path", state.path),
                forwarded(trusted, state, "x-forwarded-prefix", strippedPrefix), remoteAddr,
                state.kongHeaders.contains("upstream:x-kong-request-id") ? state.requestId : null};
        boolean[] placed = new boolean[kong.length];
        Map<String, List<String>> fromPlugins = state.upstream.headers;
        // Kong's access.after clears what the client's Connection names, plugins' headers included
        Set<String> clientsOwn = HopByHopHeaders.listedIn(state.headers.get("connection"));
        List<String[]> headers = new ArrayList<>(state.headers.size() + fromPlugins.size() + kong.length);
        for (Map.Entry<String, List<String>> header : state.headers.entrySet()) {
            String name = header.getKey();
            if (!NOT_FORWARDED_UPSTREAM.contains(name) && !clientsOwn.contains(name)) {
                List<String> set = fromPlugins.get(name);
                add(headers, name, set != null ? set : header.getValue(), kong, placed);
            }
        }
        for (Map.Entry<String, List<String>> header : fromPlugins.entrySet()) {
            String name = header.getKey();
            if (!NOT_FORWARDED_UPSTREAM.contains(name) && !clientsOwn.contains(name) && !state.headers.containsKey(name)) {
                add(headers, name, header.getValue(), kong, placed);
            }
        }
        if (asksForTrailers(state.headers.get("te"))) {
            headers.add(new String[] {"te", "trailers"}); // Kong's $upstream_te: only when the client asks for trailers
        }
        if (websocket) {
            headers.add(new String[] {"upgrade", "websocket"});
        }
        for (int i = 0; i < kong.length; i++) {
            if (!placed[i] && kong[i] != null) {
                headers.add(new String[] {KONG_REQUEST_HEADERS.get(i), withoutLineBreaks(kong[i])});
            }
        }
        return headers;
    }

    /** Kong's access.before: a request whose Upgrade header says websocket (any case) is passed on as an upgrade. */
    static boolean isWebSocketUpgrade(KongRequest state) {
        String upgrade = state.header("upgrade");
        return upgrade != null && upgrade.equalsIgnoreCase("websocket");
    }

    private static boolean asksForTrailers(List<String> te) {
        if (te != null) {
            for (String value : te) {
                for (String token : value.split(",")) {
                    if (token.strip().equalsIgnoreCase("trailers")) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** One header's values, or Kong's value in their place when the template sets this header. */
    private static void add(List<String[]> headers, String name, List<String> values, String[] kong, boolean[] placed) {
        Integer template = KONG_REQUEST_HEADER_INDEX.get(name);
        if (template != null && kong[template] == null && name.equals("x-kong-request-id")) {
            template = null; // headers_upstream = off leaves the directive out of Kong's template: the client's passes
        }
        if (template != null) {
            placed[template] = true;
            if (kong[template] != null) {
                headers.add(new String[] {name, withoutLineBreaks(kong[template])});
            }
            return;
        }
        for (String value : values) {
            headers.add(new String[] {name, withoutLineBreaks(value)});
        }
    }

    private static String forwarded(boolean trusted, KongRequest state, String header, String own) {
        String sent = trusted ? state.header(header) : null;
        return sent != null ? sent : own;
    }

    private static String withoutLineBreaks(String value) {
        return value.indexOf('\r') < 0 && value.indexOf('\n') < 0 ? value : value.replace("\r", "").replace("\n", "");
    }

    /**
     * The upstream response passed on as it arrives. Its headers go into {@code state.responseHeaders}, the one map that
     * the client's answer is written from and the log phase reads, with what plugins set on top.
     */
    private void stream(HttpExchange exchange, KongRequest state, UpstreamClient.Response response, long startNanos, long sentNanos,
                        UpstreamClient.Cancellation cancellation)
            throws IOException {
        Started started = startAnswer(exchange, state, response.status, response.headers, startNanos, sentNanos);
        long receiveStart = System.nanoTime();
        if (started.body() != null) {
            long length = started.length();
            IOException upstreamBroke = null;
            try (InputStream in = response.body) {
                OutputStream out = started.body();
                // a body of known length up to 16 KB in one buffer of its size: no 16 KB to zero for every small answer
                byte[] buffer = new byte[(int) (length > 0 ? Math.min(length, 16 * 1024) : 16 * 1024)];
                while (true) {
                    int n;
                    try {
                        n = in.read(buffer);
                    } catch (IOException e) {
                        upstreamBroke = e;
                        break;
                    }
                    if (n < 0) {
                        break;
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                    state.responseSize += n;
                }
                if (upstreamBroke == null) {
                    out.close();
                }
            } catch (IOException e) {
                // the client went away: stop, and let the log phase record it
                LOG.log(Level.DEBUG, () -> "streaming ended early: " + e.getMessage());
            }
            if (upstreamBroke != null) {
                // As nginx: the client must see that the answer is incomplete, not get a well-ended shorter one.
                IOException cause = upstreamBroke;
                if (cancellation.cancelled()) {
                    LOG.log(Level.INFO, () -> "the client closed the connection after " + state.responseSize
                            + " bytes of the answer; the upstream call was cancelled");
                } else {
                    LOG.log(Level.ERROR, () -> "the upstream's answer broke off after " + state.responseSize + " bytes: " + cause);
                }
                Abortable.abort(exchange);
            }
        }
        state.latencyReceive = millisSince(receiveStart);
    }

    /** The client's answer once its head is sent: where its body goes ({@code null}: it has none), and its length (0: unknown). */
    private record Started(OutputStream body, long length) {
    }

    /**
     * Sends the client the head of the upstream's answer. Its headers go into {@code state.responseHeaders}, the one map
     * that the client's answer is written from and the log phase reads, with what plugins set on top.
     */
    private Started startAnswer(HttpExchange exchange, KongRequest state, int code, List<String[]> upstreamHeaders, long startNanos,
                                long sentNanos) throws IOException {
        state.responseStatus = code;
        Map<String, List<String>> headers = state.responseHeaders;
        Map<String, List<String>> fromPlugins = headers.isEmpty() ? Map.of() : new LinkedHashMap<>(headers);
        headers.clear();
        // RFC 9112: the chunked coding wins; the length is not the body's
        boolean chunked = false;
        for (String[] header : upstreamHeaders) {
            chunked |= "transfer-encoding".equalsIgnoreCase(header[0]);
        }
        String contentLength = null;
        List<String> connection = null;
        for (String[] header : upstreamHeaders) {
            if ("connection".equalsIgnoreCase(header[0])) {
                (connection == null ? connection = new ArrayList<>(1) : connection).add(header[1]);
            }
        }
        // Kong's header_filter.before clears what the upstream's Connection names
        Set<String> upstreamsOwn = HopByHopHeaders.listedIn(connection);
        for (String[] header : upstreamHeaders) {
            String lower = header[0].toLowerCase(Locale.ROOT);
            if ("content-length".equals(lower)) {
                contentLength = chunked || contentLength != null ? contentLength : header[1];
            } else if (!NOT_FORWARDED.contains(lower) && !upstreamsOwn.contains(lower)) {
                headers.computeIfAbsent(lower, k -> new ArrayList<>(1)).add(header[1]);
            }
        }
        for (Map.Entry<String, List<String>> header : fromPlugins.entrySet()) { // a plugin's empty list removes the header
            List<String> values = header.getValue();
            if ("content-length".equals(header.getKey())) {
                contentLength = values.isEmpty() ? null : values.getFirst();
            } else if (values.isEmpty()) {
                headers.remove(header.getKey());
            } else {
                headers.put(header.getKey(), values);
            }
        }
        ResponseWriter.addKongHeaders(headers, state, startNanos, sentNanos);
        // The exchange has no headers of its own yet: each name's list goes over as it is, without a copy per value.
        headers.forEach(exchange.getResponseHeaders()::put);
        long length = contentLength == null ? 0 : Long.parseLong(contentLength);
        boolean noBody = "HEAD".equals(state.method) || code == 204 || code == 304;
        // A HEAD answer keeps the upstream's Content-Length, as nginx passes it (the front sends no body for HEAD).
        boolean headWithLength = "HEAD".equals(state.method) && length > 0 && frontKeepsHeadLength.getAsBoolean();
        exchange.sendResponseHeaders(code, headWithLength ? length : noBody ? -1 : length == 0 && contentLength != null ? -1 : length);
        state.responseSize += ResponseWriter.headSize(code, headers);
        return new Started(noBody ? null : exchange.getResponseBody(), length);
    }

    static double millisSince(long startNanos) {
        return Math.round((System.nanoTime() - startNanos) / 10_000.0) / 100.0;
    }

    @Override
    public void close() {
        upstreamClient.close();
        tlsClients.values().forEach(UpstreamClient::close);
    }
}
