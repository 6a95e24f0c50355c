package io.kongjava.emulation;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kongjava.protocol.kong.PdkHandler;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Answers a plugin's PDK calls the way Kong does, from a {@link KongRequest}: the first return value in
 * Kong's wire encoding, Kong's phase restrictions (a call outside its phases "raises", which kills the
 * handler in Kong), and the terminal calls {@code kong.response.exit}/{@code error}. Unknown functions are
 * answered with nothing and a log line, as Kong does.
 */
public final class PdkEmulator implements PdkHandler {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final Set<String> REQUEST_PHASES = Set.of("rewrite", "access", "response");
    private static final Set<String> SERVICE_REQUEST_PHASES = Set.of("rewrite", "access");
    private static final Set<String> RESPONSE_PHASES = Set.of("rewrite", "access", "response");
    private static final Set<String> ALL = Set.of("certificate", "rewrite", "access", "response", "preread", "log");
    /** Calls Kong answers from its snapshot in the log timer; every other request reader raises there. */
    private static final Set<String> LOG_SNAPSHOT = Set.of("kong.log.serialize", "kong.request.get_headers",
            "kong.request.get_header", "kong.request.get_uri_captures", "kong.request.get_start_time",
            "kong.response.get_status", "kong.response.get_headers", "kong.response.get_header", "kong.response.get_source",
            "kong.nginx.get_ctx", "kong.nginx.set_ctx", "kong.nginx.req_start_time", "kong.ctx.shared.get",
            "kong.ctx.shared.set", "kong.client.get_credential", "kong.client.get_consumer", "kong.client.load_consumer",
            "kong.router.get_route", "kong.router.get_service", "kong.plugin.get_id");

    private final KongRequest request;
    private volatile String phase = "access";
    private final List<String> calls = new ArrayList<>();

    public PdkEmulator(KongRequest request) {
        this.request = request;
    }

    /** The phase the next calls belong to ({@code access}, {@code log}, ...). */
    public PdkEmulator phase(String phase) {
        this.phase = phase;
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
        } catch (Raise e) {
            request.logLines.add(new KongRequest.LogLine("err", method + ": " + e.getMessage()));
            return new PdkAnswer.Raised(e.getMessage());
        } catch (RuntimeException e) {
            String message = "bad argument to " + method + ": " + e.getMessage();
            request.logLines.add(new KongRequest.LogLine("err", message));
            return new PdkAnswer.Raised(message);
        }
    }

    /** A PDK function raised a Lua error. */
    private static final class Raise extends RuntimeException {
        Raise(String message) {
            super(message, null, false, false);
        }
    }

    private void allowed(String method, Set<String> phases) {
        if ("log".equals(phase)) {
            if (LOG_SNAPSHOT.contains(method) || phases.contains("log")) {
                return;
            }
            throw new Raise("API disabled in the context of log (Kong runs external log handlers in a timer)");
        }
        if (!phases.contains(phase)) {
            throw new Raise("function cannot be called in " + phase + " phase (only in: "
                    + String.join(", ", phases.stream().sorted().toList()) + ")");
        }
    }

    private PdkAnswer dispatch(String method, List<Object> args) {
        KongRequest r = request;
        if ("kong.response.exit".equals(method) || "kong.response.error".equals(method)) {
            allowed(method, RESPONSE_PHASES);
            r.exit = "kong.response.exit".equals(method) ? exit(args) : error(args);
            r.responseSource = "exit";
            return new PdkAnswer.Terminal();
        }
        Object value = switch (method) {
            // kong.request
            case "kong.request.get_scheme" -> { allowed(method, REQUEST_PHASES); yield r.scheme; }
            case "kong.request.get_host" -> { allowed(method, REQUEST_PHASES); yield r.host; }
            case "kong.request.get_port" -> { allowed(method, Set.of("certificate", "rewrite", "access", "response", "preread")); yield (long) r.port; }
            case "kong.request.get_forwarded_scheme" -> { allowed(method, REQUEST_PHASES); yield firstNonNull(r.header("x-forwarded-proto"), r.scheme); }
            case "kong.request.get_forwarded_host" -> { allowed(method, REQUEST_PHASES); yield firstNonNull(r.header("x-forwarded-host"), r.host); }
            case "kong.request.get_forwarded_port" -> { allowed(method, REQUEST_PHASES); yield (long) r.port; }
            case "kong.request.get_forwarded_path" -> { allowed(method, REQUEST_PHASES); yield r.path; }
            case "kong.request.get_forwarded_prefix" -> { allowed(method, REQUEST_PHASES); yield r.strippedPrefix; }
            case "kong.request.get_http_version" -> { allowed(method, REQUEST_PHASES); yield r.httpVersion == Math.rint(r.httpVersion) ? (Object) (long) r.httpVersion : (Object) r.httpVersion; }
            case "kong.request.get_method" -> { allowed(method, REQUEST_PHASES); yield r.method; }
            case "kong.request.get_path", "kong.request.get_raw_path" -> { allowed(method, REQUEST_PHASES); yield r.path; }
            case "kong.request.get_path_with_query" -> { allowed(method, REQUEST_PHASES); yield r.pathWithQuery(); }
            case "kong.request.get_raw_query" -> { allowed(method, REQUEST_PHASES); yield r.rawQuery; }
            case "kong.request.get_query_arg" -> { allowed(method, REQUEST_PHASES); yield queryArg(string(args, 0)); }
            case "kong.request.get_query" -> { allowed(method, REQUEST_PHASES); yield query(); }
            case "kong.request.get_header" -> { allowed(method, REQUEST_PHASES); yield r.header(string(args, 0)); }
            case "kong.request.get_headers" -> { allowed(method, REQUEST_PHASES); yield multimap(r.headers); }
            case "kong.request.get_raw_body" -> { allowed(method, REQUEST_PHASES); yield rawBody(args); }
            case "kong.request.get_body" -> { allowed(method, REQUEST_PHASES); yield body(args); }
            case "kong.request.get_start_time" -> { allowed(method, REQUEST_PHASES); yield r.startedAtMillis; }
            case "kong.request.get_uri_captures" -> { allowed(method, REQUEST_PHASES); yield Map.of("unnamed", List.of(), "named", List.of()); }
            // kong.client
            case "kong.client.get_ip", "kong.client.get_forwarded_ip" -> { allowed(method, Set.of("certificate", "rewrite", "access", "response", "preread")); yield r.clientIp; }
            case "kong.client.get_port", "kong.client.get_forwarded_port" -> { allowed(method, Set.of("certificate", "rewrite", "access", "response", "preread")); yield (long) r.clientPort; }
            case "kong.client.get_credential" -> { allowed(method, Set.of("access", "response")); yield r.credential; }
            case "kong.client.get_consumer", "kong.client.load_consumer" -> { allowed(method, Set.of("access", "response")); yield r.consumer; }
            case "kong.client.authenticate" -> {
                allowed(method, Set.of("access"));
                r.consumer = mapOrNull(args, 0);
                r.credential = mapOrNull(args, 1);
                yield null;
            }
            case "kong.client.get_protocol" -> { allowed(method, Set.of("access", "response")); yield r.scheme; }
            // kong.response
            case "kong.response.get_status" -> { allowed(method, Set.of("response")); yield (long) r.responseStatus; }
            case "kong.response.get_header" -> { allowed(method, Set.of("response")); yield first(r.responseHeaders, string(args, 0)); }
            case "kong.response.get_headers" -> { allowed(method, Set.of("response")); yield multimap(r.responseHeaders); }
            case "kong.response.get_source" -> { allowed(method, Set.of("response")); yield r.responseSource; }
            case "kong.response.set_status" -> { allowed(method, RESPONSE_PHASES); r.responseStatus = intArg(args, 0); yield null; }
            case "kong.response.set_header" -> { allowed(method, RESPONSE_PHASES); setHeader(r.responseHeaders, args); yield null; }
            case "kong.response.add_header" -> { allowed(method, RESPONSE_PHASES); addHeader(r.responseHeaders, args); yield null; }
            case "kong.response.clear_header" -> { allowed(method, RESPONSE_PHASES); r.responseHeaders.remove(string(args, 0).toLowerCase(Locale.ROOT)); yield null; }
            case "kong.response.set_headers" -> { allowed(method, RESPONSE_PHASES); setHeaders(r.responseHeaders, args); yield null; }
            // kong.service
            case "kong.service.set_target" -> {
                allowed(method, Set.of("rewrite", "access", "preread"));
                r.upstream.targetHost = string(args, 0);
                r.upstream.targetPort = intArg(args, 1);
                yield null;
            }
            case "kong.service.set_upstream" -> { allowed(method, Set.of("access")); r.upstream.targetHost = string(args, 0); yield true; }
            case "kong.service.set_retries" -> { allowed(method, Set.of("access")); r.upstream.retries = intArg(args, 0); yield null; }
            case "kong.service.set_timeouts" -> {
                allowed(method, Set.of("access"));
                r.upstream.connectTimeoutMs = intArg(args, 0);
                r.upstream.writeTimeoutMs = intArg(args, 1);
                r.upstream.readTimeoutMs = intArg(args, 2);
                yield null;
            }
            case "kong.service.set_tls_verify" -> { allowed(method, Set.of("rewrite", "access", "preread")); r.upstream.tlsVerify = (Boolean) args.getFirst(); yield true; }
            case "kong.service.set_tls_verify_depth" -> { allowed(method, Set.of("rewrite", "access", "preread")); yield true; }
            // kong.service.request
            case "kong.service.request.enable_buffering" -> { allowed(method, SERVICE_REQUEST_PHASES); r.upstream.buffering = true; yield null; }
            case "kong.service.request.set_scheme" -> { allowed(method, SERVICE_REQUEST_PHASES); r.upstream.scheme = string(args, 0); yield null; }
            case "kong.service.request.set_path" -> { allowed(method, SERVICE_REQUEST_PHASES); r.upstream.path = string(args, 0); yield null; }
            case "kong.service.request.set_raw_query" -> { allowed(method, SERVICE_REQUEST_PHASES); r.upstream.rawQuery = string(args, 0); yield null; }
            case "kong.service.request.set_method" -> { allowed(method, SERVICE_REQUEST_PHASES); r.upstream.method = string(args, 0).toUpperCase(Locale.ROOT); yield null; }
            case "kong.service.request.set_query" -> { allowed(method, SERVICE_REQUEST_PHASES); r.upstream.rawQuery = encodeQuery(mapArg(args, 0)); yield null; }
            case "kong.service.request.clear_query_arg" -> { allowed(method, SERVICE_REQUEST_PHASES); clearQueryArg(string(args, 0)); yield null; }
            case "kong.service.request.set_header" -> { allowed(method, SERVICE_REQUEST_PHASES); setHeader(r.upstream.headers, args); yield null; }
            case "kong.service.request.add_header" -> { allowed(method, SERVICE_REQUEST_PHASES); addHeader(r.upstream.headers, args); yield null; }
            case "kong.service.request.clear_header" -> {
                allowed(method, SERVICE_REQUEST_PHASES);
                r.upstream.headers.put(string(args, 0).toLowerCase(Locale.ROOT), List.of());
                yield null;
            }
            case "kong.service.request.set_headers" -> { allowed(method, SERVICE_REQUEST_PHASES); setHeaders(r.upstream.headers, args); yield null; }
            case "kong.service.request.set_raw_body" -> { allowed(method, SERVICE_REQUEST_PHASES); r.upstream.body = bytes(args.getFirst()); yield null; }
            case "kong.service.request.set_body" -> {
                allowed(method, SERVICE_REQUEST_PHASES);
                r.upstream.body = json(args.getFirst()).getBytes(StandardCharsets.UTF_8);
                r.upstream.headers.put("content-type", List.of("application/json"));
                yield true;
            }
            // kong.service.response
            case "kong.service.response.get_status" -> { allowed(method, Set.of("response")); yield r.upstreamResponse == null ? null : (long) r.upstreamResponse.status(); }
            case "kong.service.response.get_header" -> { allowed(method, Set.of("response")); yield r.upstreamResponse == null ? null : first(r.upstreamResponse.headers(), string(args, 0)); }
            case "kong.service.response.get_headers" -> { allowed(method, Set.of("response")); yield r.upstreamResponse == null ? Map.of() : multimap(r.upstreamResponse.headers()); }
            case "kong.service.response.get_raw_body" -> { allowed(method, Set.of("response")); yield r.upstreamResponse == null ? null : r.upstreamResponse.body(); }
            // kong.router, kong.plugin, kong.node, kong.cluster, kong.ip
            case "kong.router.get_route" -> { allowed(method, Set.of("access", "response")); yield r.route; }
            case "kong.router.get_service" -> { allowed(method, Set.of("access", "response")); yield r.service; }
            case "kong.plugin.get_id" -> { allowed(method, REQUEST_PHASES); yield r.pluginId; }
            case "kong.node.get_id" -> NodeIdentity.ID;
            case "kong.node.get_hostname" -> NodeIdentity.HOSTNAME;
            case "kong.node.get_memory_stats" -> Map.of("lua_shared_dicts", List.of(), "workers_lua_vms",
                    List.of(Map.of("http_allocated_gc", Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory(), "pid", ProcessHandle.current().pid())));
            case "kong.cluster.get_id" -> NodeIdentity.ID;
            case "kong.ip.is_trusted" -> false;
            // kong.ctx.shared and kong.nginx
            case "kong.ctx.shared.get" -> emptyAsList(r.ctxShared.get(string(args, 0)));
            case "kong.ctx.shared.set" -> { r.ctxShared.put(string(args, 0), args.size() > 1 ? args.get(1) : null); yield null; }
            case "kong.nginx.get_ctx" -> emptyAsList(r.nginxCtx.get(string(args, 0)));
            case "kong.nginx.set_ctx" -> { r.nginxCtx.put(string(args, 0), args.size() > 1 ? args.get(1) : null); yield null; }
            case "kong.nginx.get_var" -> { allowed(method, Set.of("certificate", "rewrite", "access", "response", "preread")); yield nginxVar(string(args, 0)); }
            case "kong.nginx.get_subsystem" -> "http";
            case "kong.nginx.req_start_time" -> r.startedAtMillis / 1000.0;
            case "kong.nginx.get_statistics" -> Map.of("connections_active", 1L, "connections_reading", 0L, "connections_writing", 1L,
                    "connections_waiting", 0L, "connections_accepted", 1L, "connections_handled", 1L, "total_requests", 1L);
            // kong.log
            case "kong.log.alert", "kong.log.crit", "kong.log.err", "kong.log.warn", "kong.log.notice", "kong.log.info",
                 "kong.log.debug", "kong.log.emerg", "kong.log.deprecation" -> {
                StringBuilder text = new StringBuilder();
                args.forEach(a -> text.append(a instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(a)));
                r.logLines.add(new KongRequest.LogLine(method.substring("kong.log.".length()), text.toString()));
                yield null;
            }
            case "kong.log.set_serialize_value" -> {
                allowed(method, Set.of("certificate", "rewrite", "access", "response", "log"));
                Object options = args.size() > 2 ? args.get(2) : null;
                String mode = options instanceof Map<?, ?> m && m.get("mode") instanceof String s ? s : "set";
                if (!Set.of("set", "add", "replace").contains(mode)) {
                    throw new Raise("mode must be 'set', 'add' or 'replace'");
                }
                r.serializeValues.add(new KongRequest.SerializeValue(string(args, 0), args.size() > 1 ? args.get(1) : null, mode));
                yield null;
            }
            case "kong.log.serialize" -> { allowed(method, Set.of("log")); yield json(LogSerializer.serialize(r)); }
            case "kong.vault.is_reference" -> args.getFirst() instanceof String s && s.startsWith("{vault://") && s.endsWith("}");
            case "kong.vault.get" -> Vaults.resolve(string(args, 0));
            default -> {
                r.logLines.add(new KongRequest.LogLine("err", "could not find pdk method: " + method));
                yield null;
            }
        };
        return PdkAnswer.value(value);
    }

    private Object rawBody(List<Object> args) {
        long max = args.isEmpty() || args.getFirst() == null ? -1 : ((Number) args.getFirst()).longValue();
        if (request.body.length > request.clientBodyBufferSize) {
            if (max < 0) {
                // Kong gets nil + "request body did not fit into client body buffer" and then fails to send
                // nil as bin: the phase dies.
                throw new Raise("request body did not fit into client body buffer, consider raising 'client_body_buffer_size'");
            }
            if (max > 0 && request.body.length > max) {
                // Kong gets nil + "request body file too big: N > M", and its bridge fails to send nil as bin:
                // a Lua error, the phase dies (500).
                throw new Raise("request body file too big: " + request.body.length + " > " + max
                        + " (and Kong's RPC bridge cannot send nil as bin: attempt to get length of local 'str' (a nil value))");
            }
            if (request.bodyFile != null) {
                try {
                    return java.nio.file.Files.readAllBytes(request.bodyFile);
                } catch (java.io.IOException e) {
                    // Kong opens the spooled file by its path: gone or unreadable, it answers nil + the reason, and
                    // its RPC bridge fails to send nil as bin: a Lua error, the phase dies (500).
                    throw new Raise("failed to open cached request body '" + request.bodyFile + "': " + e
                            + " (and Kong's RPC bridge cannot send nil as bin: attempt to get length of local 'str' (a nil value))");
                }
            }
        }
        return request.body;
    }

    private Object body(List<Object> args) {
        String mimetype = args.isEmpty() || args.getFirst() == null ? request.header("content-type") : string(args, 0);
        if (mimetype == null) {
            return null;
        }
        String text = new String(request.body, StandardCharsets.UTF_8);
        if (mimetype.startsWith("application/json")) {
            try {
                return emptyAsList(JSON.readValue(text, Object.class));
            } catch (JsonProcessingException e) {
                return null;
            }
        }
        if (mimetype.startsWith("application/x-www-form-urlencoded")) {
            return emptyAsList(parseQuery(text));
        }
        return null;
    }

    private Object queryArg(String name) {
        Map<String, List<String>> query = parseQuery(request.rawQuery);
        List<String> values = query.get(name);
        if (values == null) {
            return null;
        }
        if (values.isEmpty()) {
            return true;
        }
        return values.size() == 1 ? values.getFirst() : values;
    }

    private Map<String, List<String>> query() {
        return parseQuery(request.rawQuery);
    }

    static Map<String, List<String>> parseQuery(String raw) {
        Map<String, List<String>> query = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return query;
        }
        for (String part : raw.split("&")) {
            if (part.isEmpty()) {
                continue;
            }
            int eq = part.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? part : part.substring(0, eq), StandardCharsets.UTF_8);
            List<String> values = query.computeIfAbsent(key, k -> new ArrayList<>());
            if (eq >= 0) {
                values.add(URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return query;
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
            case "request_uri" -> request.pathWithQuery();
            case "uri" -> request.path;
            case "args", "query_string" -> request.rawQuery.isEmpty() ? null : request.rawQuery;
            case "scheme" -> request.scheme;
            case "host" -> request.host;
            case "server_port" -> String.valueOf(request.port);
            case "upstream_uri" -> request.upstreamUri;
            default -> name.startsWith("http_") ? request.header(name.substring(5).replace('_', '-')) : null;
        };
    }

    private KongRequest.Exit exit(List<Object> args) {
        int status = intArg(args, 0);
        if (status < 100 || status > 599) {
            throw new Raise("code must be a number between 100 and 599");
        }
        Map<String, List<String>> headers = new LinkedHashMap<>();
        if (args.size() > 2 && args.get(2) instanceof Map<?, ?> given) {
            given.forEach((k, v) -> headers.put(String.valueOf(k).toLowerCase(Locale.ROOT), values(v)));
        }
        Object body = args.size() > 1 ? args.get(1) : null;
        byte[] bytes;
        if (body instanceof Map<?, ?> || body instanceof List<?>) {
            bytes = json(body).getBytes(StandardCharsets.UTF_8);
            headers.put("content-type", List.of("application/json; charset=utf-8"));
        } else {
            bytes = body == null ? new byte[0] : bytes(body);
        }
        return new KongRequest.Exit(status, bytes, headers);
    }

    private KongRequest.Exit error(List<Object> args) {
        int status = intArg(args, 0);
        String message = args.size() > 1 && args.get(1) instanceof String s ? s : KongErrors.defaultMessage(status);
        Map<String, List<String>> headers = new LinkedHashMap<>();
        if (args.size() > 2 && args.get(2) instanceof Map<?, ?> given) {
            given.forEach((k, v) -> headers.put(String.valueOf(k).toLowerCase(Locale.ROOT), values(v)));
        }
        headers.put("content-type", List.of("application/json; charset=utf-8"));
        return new KongRequest.Exit(status, json(Map.of("message", message)).getBytes(StandardCharsets.UTF_8), headers);
    }

    private void clearQueryArg(String name) {
        String current = request.upstream.rawQuery != null ? request.upstream.rawQuery : request.rawQuery;
        Map<String, List<String>> query = parseQuery(current);
        query.remove(name);
        request.upstream.rawQuery = encodeQuery(query);
    }

    private static String encodeQuery(Map<?, ?> args) {
        StringBuilder out = new StringBuilder();
        args.forEach((k, v) -> {
            for (String value : v instanceof Boolean ? List.<String>of() : values(v)) {
                if (!out.isEmpty()) {
                    out.append('&');
                }
                out.append(java.net.URLEncoder.encode(String.valueOf(k), StandardCharsets.UTF_8)).append('=')
                        .append(java.net.URLEncoder.encode(value, StandardCharsets.UTF_8));
            }
            if (v instanceof Boolean) {
                if (!out.isEmpty()) {
                    out.append('&');
                }
                out.append(java.net.URLEncoder.encode(String.valueOf(k), StandardCharsets.UTF_8));
            }
        });
        return out.toString();
    }

    private static void setHeader(Map<String, List<String>> headers, List<Object> args) {
        headers.put(string(args, 0).toLowerCase(Locale.ROOT), values(args.size() > 1 ? args.get(1) : ""));
    }

    private static void addHeader(Map<String, List<String>> headers, List<Object> args) {
        headers.computeIfAbsent(string(args, 0).toLowerCase(Locale.ROOT), k -> new ArrayList<>()).addAll(values(args.get(1)));
    }

    private static void setHeaders(Map<String, List<String>> headers, List<Object> args) {
        if (args.getFirst() instanceof Map<?, ?> given) {
            given.forEach((k, v) -> headers.put(String.valueOf(k).toLowerCase(Locale.ROOT), values(v)));
        }
    }

    static List<String> values(Object value) {
        return switch (value) {
            case null -> List.of();
            case List<?> list -> list.stream().map(v -> v instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(v)).toList();
            case byte[] b -> List.of(new String(b, StandardCharsets.UTF_8));
            default -> new ArrayList<>(List.of(String.valueOf(value)));
        };
    }

    /** Kong's multimap encoding: every value an array of strings; empty map stays a map. */
    private static Map<String, List<String>> multimap(Map<String, List<String>> headers) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        headers.forEach((k, v) -> {
            if (!v.isEmpty()) {
                out.put(k, List.copyOf(v));
            }
        });
        return out;
    }

    private static String first(Map<String, List<String>> headers, String name) {
        List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
        return values == null || values.isEmpty() ? null : values.getFirst();
    }

    /** Kong sends an empty Lua table as an empty array. */
    private static Object emptyAsList(Object value) {
        return value instanceof Map<?, ?> m && m.isEmpty() ? List.of() : value;
    }

    private static String string(List<Object> args, int index) {
        if (index >= args.size() || args.get(index) == null) {
            throw new Raise("argument #" + (index + 1) + " must be a string");
        }
        Object value = args.get(index);
        return value instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(value);
    }

    private static int intArg(List<Object> args, int index) {
        if (index >= args.size() || !(args.get(index) instanceof Number n)) {
            throw new Raise("argument #" + (index + 1) + " must be a number");
        }
        return n.intValue();
    }

    private static Map<?, ?> mapArg(List<Object> args, int index) {
        Object value = index < args.size() ? args.get(index) : null;
        if (value instanceof Map<?, ?> map) {
            return map;
        }
        if (value instanceof List<?> list && list.isEmpty()) {
            return Map.of();
        }
        throw new Raise("argument #" + (index + 1) + " must be a table");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> mapOrNull(List<Object> args, int index) {
        return index < args.size() && args.get(index) instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
    }

    private static byte[] bytes(Object value) {
        return value instanceof byte[] b ? b : String.valueOf(value).getBytes(StandardCharsets.UTF_8);
    }

    private static String firstNonNull(String a, String b) {
        return a != null ? a : b;
    }

    static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new Raise("cannot encode as JSON: " + e.getOriginalMessage());
        }
    }

    @Override
    public String toString() {
        return "PdkEmulator" + Arrays.asList(phase, request.method, request.path);
    }
}
