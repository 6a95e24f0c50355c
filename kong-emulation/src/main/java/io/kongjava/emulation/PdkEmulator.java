package io.kongjava.emulation;

import static io.kongjava.emulation.LuaValues.addHeader;
import static io.kongjava.emulation.LuaValues.bytes;
import static io.kongjava.emulation.LuaValues.emptyAsList;
import static io.kongjava.emulation.LuaValues.encodeQuery;
import static io.kongjava.emulation.LuaValues.first;
import static io.kongjava.emulation.LuaValues.headerValues;
import static io.kongjava.emulation.LuaValues.intArg;
import static io.kongjava.emulation.LuaValues.json;
import static io.kongjava.emulation.LuaValues.mapArg;
import static io.kongjava.emulation.LuaValues.mapOrNull;
import static io.kongjava.emulation.LuaValues.multimap;
import static io.kongjava.emulation.LuaValues.parseQuery;
import static io.kongjava.emulation.LuaValues.readJson;
import static io.kongjava.emulation.LuaValues.setHeader;
import static io.kongjava.emulation.LuaValues.setHeaders;
import static io.kongjava.emulation.LuaValues.string;
import static io.kongjava.emulation.LuaValues.throughLua;
import static io.kongjava.emulation.LuaValues.values;
import static io.kongjava.emulation.WireText.text;
import static io.kongjava.emulation.WireText.wire;

import io.kongjava.catalogue.KongPhase;
import io.kongjava.catalogue.KongErrorPages;
import io.kongjava.catalogue.KongStatusTexts;
import io.kongjava.catalogue.PdkFunction;
import io.kongjava.emulation.LuaValues.LuaError;
import io.kongjava.kongclient.PdkHandler;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Answers a plugin's PDK calls the way Kong does, from a {@link KongRequest}: the first return value in
 * Kong's wire encoding, Kong's phase restrictions (a call outside its phases "raises", which kills the
 * handler in Kong), and the terminal calls {@code kong.response.exit}/{@code error}. Unknown functions are
 * answered with nothing and a log line, as Kong does.
 */
public final class PdkEmulator implements PdkHandler {

    private final KongRequest request;
    private volatile KongPhase phase = KongPhase.ACCESS;
    private final List<String> calls = new ArrayList<>();

    public PdkEmulator(KongRequest request) {
        this.request = request;
    }

    /** The phase the next calls belong to ({@code access}, {@code log}, ...). */
    public PdkEmulator phase(String phase) {
        this.phase = KongPhase.fromKongName(phase)
                .orElseThrow(() -> new IllegalArgumentException("not a phase of an external plugin: " + phase));
        return this;
    }

    public KongRequest request() {
        return request;
    }

    /** Every PDK call answered so far, as {@code method[args]}. */
    public synchronized List<String> calls() {
        return List.copyOf(calls);
    }

    @Override
    public PdkAnswer answer(String method, List<Object> args) {
        synchronized (this) {
            calls.add(method + args);
        }
        try {
            return dispatch(method, args);
        } catch (LuaError e) {
            request.logLines.add(new KongRequest.LogLine("err", method + ": " + e.getMessage()));
            return new PdkAnswer.Raised(e.getMessage());
        } catch (RuntimeException e) {
            String message = "bad argument to " + method + ": " + e.getMessage();
            request.logLines.add(new KongRequest.LogLine("err", message));
            return new PdkAnswer.Raised(message);
        }
    }

    /** Whether the client's own address is in trusted_ips, so that its X-Forwarded-* headers count. */
    private boolean trustedClient() {
        return request.trustedIps.contains(request.clientIp);
    }

    /** An X-Forwarded-Host as Kong reads it: without user info or port, lower-cased. */
    private static String forwardedHost(String header) {
        String host = header.substring(header.indexOf('@') + 1);
        int colon = host.indexOf(':');
        return (colon >= 0 ? host.substring(0, colon) : host).toLowerCase(Locale.ROOT);
    }

    private int forwardedPort() {
        if (trustedClient()) {
            Integer port = port(request.header("x-forwarded-port"));
            if (port != null) {
                return port;
            }
            String host = request.header("x-forwarded-host");
            if (host != null) {
                host = host.substring(host.indexOf('@') + 1);
                int colon = host.indexOf(':');
                port = colon >= 0 ? port(host.substring(colon + 1)) : null;
                if (port != null) {
                    return port;
                }
            }
        }
        return request.port;
    }

    private static Integer port(String text) {
        try {
            int port = text == null ? -1 : Integer.parseInt(text.strip());
            return port >= 1 && port <= 65535 ? port : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static final java.util.regex.Pattern UUID =
            java.util.regex.Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    private static Object raise(String message) {
        throw new LuaError(message);
    }

    /**
     * A response header's name as nginx's ngx.header takes it: any case, an underscore standing for a dash, a byte HTTP
     * does not allow in a name percent-encoded (checked under Debian's nginx with lua-nginx-module).
     */
    private static String responseHeaderName(String name) {
        StringBuilder out = new StringBuilder(name.length());
        for (char c : name.replace('_', '-').toLowerCase(Locale.ROOT).toCharArray()) {
            if (c < 0x21 || c == 0x7f || "\"(),/:;<=>?@[\\]{}".indexOf(c) >= 0) {
                out.append('%').append(String.format("%02X", (int) c & 0xff));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** A response header's value as ngx.header sends it: control bytes (a CR or LF above all) percent-encoded, tabs kept. */
    private static String responseHeaderValue(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                StringBuilder out = new StringBuilder(value.length() + 8).append(value, 0, i);
                for (int j = i; j < value.length(); j++) {
                    char d = value.charAt(j);
                    if ((d < 0x20 && d != '\t') || d == 0x7f) {
                        out.append('%').append(String.format("%02X", (int) d));
                    } else {
                        out.append(d);
                    }
                }
                return out.toString();
            }
        }
        return value;
    }

    /** The plugin's value (text, or a list of them) with {@link #responseHeaderValue}'s escapes, before it becomes wire bytes. */
    private static Object escapedForResponse(Object value) {
        return switch (value) {
            case String text -> responseHeaderValue(text);
            case List<?> list -> list.stream().map(PdkEmulator::escapedForResponse).toList();
            case null, default -> value;
        };
    }

    private static List<String> responseHeaderValues(Object value) {
        return headerValues(escapedForResponse(value));
    }

    private static List<Object> withResponseHeaderName(List<Object> args) {
        List<Object> renamed = new ArrayList<>(args);
        renamed.set(0, responseHeaderName(string(args, 0)));
        if (renamed.size() > 1) {
            renamed.set(1, escapedForResponse(renamed.get(1)));
        }
        return renamed;
    }

    /** Raises as Kong does when {@code function} is called outside its phases. */
    private void allowed(PdkFunction function) {
        Optional<String> refusal = function.refusalIn(phase);
        if (refusal.isPresent()) {
            throw new LuaError(refusal.get());
        }
    }

    /** The phase the calls belong to. */
    public KongPhase currentPhase() {
        return phase;
    }

    private PdkAnswer dispatch(String method, List<Object> args) {
        KongRequest r = request;
        PdkFunction function = PdkFunction.byKongName(method).orElse(null);
        if (function == null) {
            r.logLines.add(new KongRequest.LogLine("err", "could not find pdk method: " + method));
            return PdkAnswer.value(null);
        }
        allowed(function);
        if (function.terminal()) {
            r.exit = function == PdkFunction.RESPONSE_EXIT ? exit(function, args) : error(function, args);
            r.responseSource = "exit";
            return new PdkAnswer.Terminal();
        }
        function.mistakeIn(args).ifPresent(mistake -> {
            throw new LuaError(mistake); // as Kong's own argument checks raise
        });
        Object value = switch (function) {
            // kong.request
            case REQUEST_GET_SCHEME -> r.scheme;
            case REQUEST_GET_HOST -> r.host;
            case REQUEST_GET_PORT -> (long) r.port;
            // X-Forwarded-* count only from a trusted client (kong.conf's trusted_ips, none by default), as in Kong
            case REQUEST_GET_FORWARDED_SCHEME -> trustedClient() && r.header("x-forwarded-proto") != null
                    ? text(r.header("x-forwarded-proto")).toLowerCase(Locale.ROOT) : r.scheme;
            case REQUEST_GET_FORWARDED_HOST -> trustedClient() && r.header("x-forwarded-host") != null
                    ? forwardedHost(text(r.header("x-forwarded-host"))) : r.host;
            case REQUEST_GET_FORWARDED_PORT -> (long) forwardedPort();
            case REQUEST_GET_FORWARDED_PATH -> trustedClient() && r.header("x-forwarded-path") != null ? text(r.header("x-forwarded-path"))
                    : text(r.normalizedPath());
            case REQUEST_GET_FORWARDED_PREFIX -> r.strippedPrefix;
            case REQUEST_GET_HTTP_VERSION -> r.httpVersion == Math.rint(r.httpVersion) ? (Object) (long) r.httpVersion : (Object) r.httpVersion;
            case REQUEST_GET_METHOD -> r.method;
            case REQUEST_GET_PATH -> text(r.normalizedPath());
            case REQUEST_GET_RAW_PATH -> text(r.path);
            case REQUEST_GET_PATH_WITH_QUERY -> text(r.pathWithQuery());
            case REQUEST_GET_RAW_QUERY -> text(r.rawQuery);
            case REQUEST_GET_QUERY_ARG -> queryArg(string(args, 0));
            case REQUEST_GET_QUERY -> query(maxArgs(args, 0));
            // nginx's $http_<name>: dashes and underscores alike, any case
            case REQUEST_GET_HEADER -> text(r.header(string(args, 0).replace('_', '-')));
            case REQUEST_GET_HEADERS -> multimap(LuaValues.firstLines(r.headers, maxArgs(args, 0)));
            case REQUEST_GET_RAW_BODY -> rawBody(args);
            case REQUEST_GET_BODY -> body(args);
            case REQUEST_GET_START_TIME -> r.startedAtMillis;
            // As Kong sends them: an empty part as [], the unnamed ones as a map by index with the whole match at 0
            // (a Lua table with an index 0 is no MessagePack array), named groups as a map
            case REQUEST_GET_URI_CAPTURES -> Map.of("unnamed", byIndex(r.uriCaptures),
                    "named", r.uriCapturesNamed.isEmpty() ? List.of() : r.uriCapturesNamed);
            // kong.client
            case CLIENT_GET_IP -> r.clientIp;
            case CLIENT_GET_FORWARDED_IP -> r.forwardedIp();
            case CLIENT_GET_PORT, CLIENT_GET_FORWARDED_PORT -> (long) r.clientPort;
            case CLIENT_GET_CREDENTIAL -> r.credential;
            case CLIENT_GET_CONSUMER -> r.consumer;
            // Kong looks the consumer up in its database by id (or username): here only the request's own is known
            case CLIENT_LOAD_CONSUMER -> !(args.size() > 1 && Boolean.TRUE.equals(args.get(1))) && !UUID.matcher(string(args, 0)).matches()
                    ? raise("cannot load a consumer with an id that is not a uuid")
                    : r.consumer != null && (string(args, 0).equals(r.consumer.get("id"))
                    || args.size() > 1 && Boolean.TRUE.equals(args.get(1)) && string(args, 0).equals(r.consumer.get("username")))
                    ? r.consumer : null;
            case CLIENT_AUTHENTICATE -> {
                r.consumer = mapOrNull(args, 0);
                r.credential = mapOrNull(args, 1);
                yield null;
            }
            case CLIENT_GET_PROTOCOL -> r.scheme;
            // kong.response
            case RESPONSE_GET_STATUS -> (long) r.responseStatus;
            case RESPONSE_GET_HEADER -> first(r.responseHeaders, responseHeaderName(string(args, 0)));
            case RESPONSE_GET_HEADERS -> multimap(r.responseHeaders);
            case RESPONSE_GET_SOURCE -> r.responseSource;
            case RESPONSE_SET_STATUS -> { r.responseStatus = intArg(args, 0); yield null; }
            case RESPONSE_SET_HEADER -> { setHeader(r.responseHeaders, withResponseHeaderName(args)); yield null; }
            case RESPONSE_ADD_HEADER -> { addHeader(r.responseHeaders, withResponseHeaderName(args)); yield null; }
            case RESPONSE_CLEAR_HEADER -> { r.responseHeaders.remove(responseHeaderName(string(args, 0))); yield null; }
            case RESPONSE_SET_HEADERS -> {
                if (args.getFirst() instanceof Map<?, ?> given) {
                    given.forEach((k, v) -> r.responseHeaders.put(responseHeaderName(String.valueOf(k)), responseHeaderValues(v)));
                }
                yield null;
            }
            // kong.service
            case SERVICE_SET_TARGET -> {
                if (phase == KongPhase.REWRITE) {
                    // Kong's phase check lets it through, but the balancer data it writes exists only from access.before
                    throw new LuaError("attempt to index field 'balancer_data' (a nil value)");
                }
                r.upstream.upstreamName = null;
                r.upstream.targetHost = string(args, 0);
                r.upstream.targetPort = intArg(args, 1);
                yield null;
            }
            case SERVICE_SET_UPSTREAM -> {
                // Kong answers nil (and an error) for a name that is no Upstream, and changes nothing
                String name = string(args, 0);
                if (!r.upstreamNames.contains(name)) {
                    yield null;
                }
                r.upstream.upstreamName = name;
                r.upstream.targetHost = null;
                yield true;
            }
            case SERVICE_SET_RETRIES -> { r.upstream.retries = intArg(args, 0); yield null; }
            case SERVICE_SET_TIMEOUTS -> {
                r.upstream.connectTimeoutMs = intArg(args, 0);
                r.upstream.writeTimeoutMs = intArg(args, 1);
                r.upstream.readTimeoutMs = intArg(args, 2);
                yield null;
            }
            case SERVICE_SET_TLS_VERIFY -> { r.upstream.tlsVerify = (Boolean) args.getFirst(); yield true; }
            case SERVICE_SET_TLS_VERIFY_DEPTH -> { r.upstream.tlsVerifyDepth = intArg(args, 0); yield true; }
            // kong.service.request
            case SERVICE_REQUEST_ENABLE_BUFFERING -> { r.upstream.buffering = true; yield null; }
            // in rewrite these take, and Kong's access.before then sets the scheme and path from the matched route again
            case SERVICE_REQUEST_SET_SCHEME -> { if (phase != KongPhase.REWRITE) r.upstream.scheme = string(args, 0); yield null; }
            case SERVICE_REQUEST_SET_PATH -> {
                String path = wire(string(args, 0));
                if (!path.startsWith("/")) {
                    yield raise("path must start with /");
                }
                if (phase != KongPhase.REWRITE) {
                    // Kong sets $upstream_uri to the path escaped as it forwards paths (kong.tools.uri.escape)
                    r.upstream.path = KongUri.escape(path);
                    r.upstreamUri = r.upstream.path;
                }
                yield null;
            }
            case SERVICE_REQUEST_SET_RAW_QUERY -> { r.upstream.rawQuery = wire(string(args, 0)); yield null; }
            case SERVICE_REQUEST_SET_METHOD -> { r.upstream.method = string(args, 0); yield null; }
            case SERVICE_REQUEST_SET_QUERY -> { r.upstream.rawQuery = encodeQuery(mapArg(args, 0)); yield null; }
            case SERVICE_REQUEST_CLEAR_QUERY_ARG -> { clearQueryArg(string(args, 0)); yield null; }
            case SERVICE_REQUEST_SET_HEADER -> { setHeader(r.upstream.headers, args); yield null; }
            case SERVICE_REQUEST_ADD_HEADER -> { addHeader(r.upstream.headers, args); yield null; }
            case SERVICE_REQUEST_CLEAR_HEADER -> {
                r.upstream.headers.put(string(args, 0).toLowerCase(Locale.ROOT), List.of());
                yield null;
            }
            case SERVICE_REQUEST_SET_HEADERS -> { setHeaders(r.upstream.headers, args); yield null; }
            case SERVICE_REQUEST_SET_RAW_BODY -> { r.upstream.body = bytes(args.getFirst()); yield null; }
            case SERVICE_REQUEST_SET_BODY -> setBody(args);
            // kong.service.response
            case SERVICE_RESPONSE_GET_STATUS -> r.upstreamResponse == null ? null : (long) r.upstreamResponse.status();
            case SERVICE_RESPONSE_GET_HEADER -> r.upstreamResponse == null ? null
                    : first(r.upstreamResponse.headers(), responseHeaderName(string(args, 0)));
            // Kong answers the buffered response (a plugin with a response phase) with a table that only looks up by
            // name and cannot be iterated: its RPC bridge sends it on as an empty map
            case SERVICE_RESPONSE_GET_HEADERS -> r.upstreamResponse == null || phase == KongPhase.RESPONSE ? Map.of()
                    : multimap(r.upstreamResponse.headers());
            case SERVICE_RESPONSE_GET_RAW_BODY -> r.upstreamResponse == null ? null : r.upstreamResponse.body();
            case SERVICE_RESPONSE_GET_BODY -> r.upstreamResponse == null ? null : decoded(
                    args.isEmpty() || args.getFirst() == null ? first(r.upstreamResponse.headers(), "content-type") : string(args, 0),
                    r.upstreamResponse.body());
            // kong.router, kong.plugin, kong.node, kong.cluster, kong.ip
            case ROUTER_GET_ROUTE -> r.route;
            case ROUTER_GET_SERVICE -> r.service;
            case PLUGIN_GET_ID -> r.pluginId;
            case NODE_GET_ID -> NodeIdentity.ID;
            case NODE_GET_HOSTNAME -> NodeIdentity.HOSTNAME;
            case NODE_GET_MEMORY_STATS -> Map.of("lua_shared_dicts", List.of(), "workers_lua_vms",
                    List.of(Map.of("http_allocated_gc", Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory(), "pid", ProcessHandle.current().pid())));
            case CLUSTER_GET_ID -> NodeIdentity.ID;
            case IP_IS_TRUSTED -> r.trustedIps.contains(string(args, 0));
            // kong.ctx.shared and kong.nginx
            case CTX_SHARED_GET -> emptyAsList(r.ctxShared.get(string(args, 0)));
            case CTX_SHARED_SET -> { r.ctxShared.put(string(args, 0), args.size() > 1 ? throughLua(args.get(1)) : null); yield null; }
            case NGINX_GET_CTX -> emptyAsList(r.nginxCtx.get(string(args, 0)));
            case NGINX_SET_CTX -> { r.nginxCtx.put(string(args, 0), args.size() > 1 ? throughLua(args.get(1)) : null); yield null; }
            case NGINX_GET_VAR -> nginxVar(string(args, 0));
            case NGINX_GET_SUBSYSTEM -> "http";
            case NGINX_REQ_START_TIME -> r.startedAtMillis / 1000.0;
            case NGINX_GET_STATISTICS -> r.nginxStatistics != null ? r.nginxStatistics.get()
                    : Map.of("connections_active", 1L, "connections_reading", 0L, "connections_writing", 1L,
                            "connections_waiting", 0L, "connections_accepted", 1L, "connections_handled", 1L, "total_requests", 1L);
            // kong.log
            case LOG_ALERT, LOG_CRIT, LOG_ERR, LOG_WARN, LOG_NOTICE, LOG_INFO,
                 LOG_DEBUG, LOG_EMERG, LOG_DEPRECATION -> {
                StringBuilder text = new StringBuilder();
                args.forEach(a -> text.append(a instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(a)));
                r.logLines.add(new KongRequest.LogLine(method.substring("kong.log.".length()), text.toString()));
                yield null;
            }
            case LOG_SET_SERIALIZE_VALUE -> {
                Object options = args.size() > 2 ? args.get(2) : null;
                String mode = options instanceof Map<?, ?> m && m.get("mode") instanceof String s ? s : "set";
                if (!Set.of("set", "add", "replace").contains(mode)) {
                    throw new LuaError("mode must be 'set', 'add' or 'replace'");
                }
                r.serializeValues.add(new KongRequest.SerializeValue(string(args, 0), args.size() > 1 ? args.get(1) : null, mode));
                yield null;
            }
            case LOG_SERIALIZE -> json(LogSerializer.serialize(r));
            case VAULT_IS_REFERENCE -> args.getFirst() instanceof String s && s.startsWith("{vault://") && s.endsWith("}");
            case VAULT_GET -> Vaults.resolve(string(args, 0));
            default -> {
                r.logLines.add(new KongRequest.LogLine("err", "the emulation of Kong does not answer " + method));
                yield null;
            }
        };
        return PdkAnswer.value(value);
    }

    private void readPendingBody() {
        try {
            request.readPendingBody();
        } catch (java.io.IOException e) {
            throw new LuaError("failed to read the request body: " + e.getMessage());
        }
    }

    private Object rawBody(List<Object> args) {
        readPendingBody();
        long max = args.isEmpty() || args.getFirst() == null ? -1 : ((Number) args.getFirst()).longValue();
        if (request.body.length > request.clientBodyBufferSize) {
            if (max < 0) {
                // Kong gets nil + "request body did not fit into client body buffer" and then fails to send
                // nil as bin: the phase dies.
                throw new LuaError("request body did not fit into client body buffer, consider raising 'client_body_buffer_size'");
            }
            if (max > 0 && request.body.length > max) {
                // Kong gets nil + "request body file too big: N > M", and its bridge fails to send nil as bin:
                // a Lua error, the phase dies (500).
                throw new LuaError("request body file too big: " + request.body.length + " > " + max
                        + " (and Kong's RPC bridge cannot send nil as bin: attempt to get length of local 'str' (a nil value))");
            }
            if (request.bodyFile != null) {
                try {
                    return java.nio.file.Files.readAllBytes(request.bodyFile);
                } catch (java.io.IOException e) {
                    // Kong opens the spooled file by its path: gone or unreadable, it answers nil + the reason, and
                    // its RPC bridge fails to send nil as bin: a Lua error, the phase dies (500).
                    throw new LuaError("failed to open cached request body '" + request.bodyFile + "': " + e
                            + " (and Kong's RPC bridge cannot send nil as bin: attempt to get length of local 'str' (a nil value))");
                }
            }
        }
        return request.body;
    }

    private Object body(List<Object> args) {
        readPendingBody();
        String mimetype = args.isEmpty() || args.getFirst() == null ? request.header("content-type") : string(args, 0);
        if (request.body.length > request.clientBodyBufferSize) {
            // nginx keeps it in a file: Kong's get_body passes max_allowed_file_size to get_raw_body (JSON, multipart), which
            // without one answers nil + "did not fit into client body buffer", and a form's get_post_args cannot read
            // a file at all; the plugin gets nil
            long max = args.size() < 3 || args.get(2) == null ? -1 : ((Number) args.get(2)).longValue();
            String type = mimetype == null ? "" : mimetype.toLowerCase(java.util.Locale.ROOT);
            boolean readsRawBody = type.startsWith("application/json") || type.startsWith("multipart/form-data");
            if (!readsRawBody || max < 0 || (max > 0 && request.body.length > max)) {
                return null;
            }
        }
        return decoded(mimetype, request.body, maxArgs(args, 1));
    }

    /** A body as Kong's get_body decodes it by its content type (JSON, or a form); nil for any other type. */
    private static Object decoded(String mimetype, byte[] body) {
        return decoded(mimetype, body, LuaValues.DEFAULT_MAX_ARGS);
    }

    private static Object decoded(String mimetype, byte[] body, int maxArgs) {
        if (mimetype == null) {
            return null;
        }
        String type = mimetype.toLowerCase(java.util.Locale.ROOT);
        if (type.startsWith("application/json")) {
            // Kong's get_body answers a JSON body only when it is an object or an array
            Object json = readJson(new String(body, StandardCharsets.UTF_8));
            return json instanceof Map<?, ?> || json instanceof List<?> ? throughLua(json) : null;
        }
        if (type.startsWith("application/x-www-form-urlencoded")) {
            return emptyAsList(decodedArgs(parseQuery(new String(body, StandardCharsets.ISO_8859_1), maxArgs)));
        }
        if (type.startsWith("multipart/form-data")) {
            return emptyAsList(MultipartBody.decode(body, mimetype));
        }
        return null;
    }

    /**
     * A form as ngx.decode_args gives it to Kong's get_body, which Kong's RPC bridge passes on as it is (it fixes up
     * get_query and get_headers into lists, not get_body): one value a string, several a list, none {@code true}.
     */
    private static Map<String, Object> decodedArgs(Map<String, List<String>> args) {
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        args.forEach((name, values) -> out.put(name, values.isEmpty() ? (Object) true : values.size() == 1 ? values.getFirst() : values));
        return out;
    }

    /** Kong's get_query_arg: looked up in get_query() (its first 100 arguments), the first value of several. */
    private Object queryArg(String name) {
        List<String> values = query(LuaValues.DEFAULT_MAX_ARGS).get(name);
        if (values == null) {
            return null;
        }
        return values.isEmpty() ? (Object) true : values.getFirst();
    }

    private Map<String, List<String>> query(int maxArgs) {
        return parseQuery(request.rawQuery, maxArgs);
    }

    /** A max_args / max_headers argument (the catalogue checks its range), or nginx's default of 100. */
    private static int maxArgs(List<Object> args, int index) {
        return index < args.size() && args.get(index) instanceof Number n ? n.intValue() : LuaValues.DEFAULT_MAX_ARGS;
    }

    private static Object byIndex(List<String> captures) {
        if (captures.isEmpty()) {
            return List.of();
        }
        Map<Long, String> byIndex = new java.util.LinkedHashMap<>();
        for (int i = 0; i < captures.size(); i++) {
            byIndex.put((long) i, captures.get(i));
        }
        return byIndex;
    }

    private String nginxVar(String name) {
        String set = request.nginxVars.get(name);
        if (set != null) {
            return set;
        }
        return switch (name) {
            case "kong_request_id", "request_id" -> request.requestId;
            case "remote_addr", "realip_remote_addr" -> request.clientIp;
            case "remote_port" -> String.valueOf(request.clientPort);
            case "request_method" -> request.method;
            case "request_uri" -> text(request.pathWithQuery());
            case "uri" -> text(KongUri.nginxUri(request.path));
            case "args", "query_string" -> request.rawQuery.isEmpty() ? null : text(request.rawQuery);
            case "scheme" -> request.scheme;
            case "host" -> request.host;
            case "server_port" -> String.valueOf(request.port);
            case "upstream_uri" -> phase == KongPhase.REWRITE ? "" : text(request.upstreamUri); // the router sets it after rewrite
            default -> name.startsWith("http_") ? text(request.header(name.substring(5).replace('_', '-'))) : null;
        };
    }

    private KongRequest.Exit exit(PdkFunction function, List<Object> args) {
        int status = status(function, args);
        Map<String, List<String>> headers = new LinkedHashMap<>();
        if (args.size() > 2 && args.get(2) instanceof Map<?, ?> given) {
            given.forEach((k, v) -> headers.put(responseHeaderName(String.valueOf(k)), responseHeaderValues(v)));
        }
        Object body = args.size() > 1 ? args.get(1) : null;
        byte[] bytes;
        if (body instanceof Map<?, ?> || body instanceof List<?>) {
            bytes = LuaValues.cjson(body).getBytes(StandardCharsets.UTF_8);
            headers.putIfAbsent("content-type", List.of("application/json; charset=utf-8")); // Kong keeps one given
        } else {
            bytes = body == null ? new byte[0] : bytes(body);
        }
        return new KongRequest.Exit(status, bytes, headers);
    }

    private KongRequest.Exit error(PdkFunction function, List<Object> args) {
        int status = status(function, args);
        String message = args.size() > 1 && args.get(1) instanceof String s ? s : KongStatusTexts.defaultMessage(status);
        Map<String, List<String>> headers = new LinkedHashMap<>();
        String givenType = null;
        if (args.size() > 2 && args.get(2) instanceof Map<?, ?> given) {
            given.forEach((k, v) -> headers.put(responseHeaderName(String.valueOf(k)), responseHeaderValues(v)));
            // Kong reads the caller's type under exactly this key (headers["Content-Type"]); another spelling is not seen
            Object exact = given.get("Content-Type");
            givenType = exact instanceof List<?> list ? (list.isEmpty() ? null : String.valueOf(list.getFirst())) : exact == null ? null : String.valueOf(exact);
        }
        // Kong's page: in the Content-Type the caller gave, else the one the client's Accept asks for
        String contentType = givenType != null ? givenType : KongErrorPages.contentType(request.header("accept"));
        if (!KongErrorPages.hasTemplate(contentType)) {
            throw new LuaError("bad argument #1 to 'format' (string expected, got nil)"); // no template for it: Kong's 500
        }
        headers.put("content-type", List.of(contentType));
        return new KongRequest.Exit(status, KongErrorPages.body(contentType, message, request.requestId), headers);
    }

    /** The status a terminal call carries, refused as Kong refuses it outside the function's range. */
    private static int status(PdkFunction function, List<Object> args) {
        int status = intArg(args, 0);
        function.range(1).filter(r -> status < r.min() || status > r.max()).ifPresent(r -> {
            throw new LuaError("code must be a number between " + r.min() + " and " + r.max());
        });
        return status;
    }

    private void clearQueryArg(String name) {
        String current = request.upstream.rawQuery != null ? request.upstream.rawQuery : request.rawQuery;
        Map<String, List<String>> query = parseQuery(current);
        query.remove(name);
        request.upstream.rawQuery = encodeQuery(query);
    }

    /**
     * kong.service.request.set_body: the table encoded by the MIME type given, or else by the client's Content-Type
     * (nil when there is neither), which becomes the upstream's Content-Type; any other type raises.
     */
    private Object setBody(List<Object> args) {
        Object table = args.isEmpty() ? null : args.getFirst();
        if (!(table instanceof Map<?, ?>) && !(table instanceof List<?>)) {
            throw new LuaError("args must be a table");
        }
        Object given = args.size() > 1 ? args.get(1) : null;
        if (given != null && !(given instanceof String)) {
            throw new LuaError("mime must be a string");
        }
        String mime = given != null ? (String) given : first(request.headers, "content-type");
        if (mime == null) {
            return null; // Kong returns nil, "content type was neither explicitly given as an argument or received as a header"
        }
        int semicolon = mime.indexOf(';');
        String bare = semicolon < 0 ? mime : mime.substring(0, semicolon);
        if (table instanceof List<?> list && !list.isEmpty() && !bare.equals("application/json")) {
            // a Lua array's keys are numbers, which Kong's form and multipart encoders refuse
            throw new LuaError(bare.equals("multipart/form-data") ? "invalid key \"1\": got number, expected string" : "arg keys must be strings");
        }
        Map<?, ?> fields = table instanceof Map<?, ?> map ? map : Map.of();
        byte[] body;
        String contentType = mime;
        switch (bare) {
            case "application/x-www-form-urlencoded" -> body = encodeQuery(fields).getBytes(StandardCharsets.ISO_8859_1);
            case "application/json" -> body = LuaValues.cjson(table).getBytes(StandardCharsets.UTF_8);
            case "multipart/form-data" -> {
                MultipartBody multipart = MultipartBody.of(fields, mime);
                body = multipart.bytes();
                contentType = "multipart/form-data; boundary=" + multipart.boundary();
            }
            default -> throw new LuaError("unsupported content type " + mime);
        }
        request.upstream.body = body;
        request.upstream.headers.put("content-type", List.of(contentType));
        return true;
    }

    @Override
    public String toString() {
        return "PdkEmulator" + Arrays.asList(phase, request.method, request.path);
    }
}
