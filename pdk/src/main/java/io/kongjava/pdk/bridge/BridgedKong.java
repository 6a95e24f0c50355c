package io.kongjava.pdk.bridge;

import io.kongjava.pdk.Kong;
import io.kongjava.pdk.PdkException;
import io.kongjava.pdk.client.Client;
import io.kongjava.pdk.client.tls.ClientTls;
import io.kongjava.pdk.cluster.Cluster;
import io.kongjava.pdk.ctx.Ctx;
import io.kongjava.pdk.entity.Consumer;
import io.kongjava.pdk.entity.Credential;
import io.kongjava.pdk.entity.Route;
import io.kongjava.pdk.internal.Wire;
import io.kongjava.pdk.ip.Ip;
import io.kongjava.pdk.log.Log;
import io.kongjava.pdk.log.SerializeMode;
import io.kongjava.pdk.nginx.Nginx;
import io.kongjava.pdk.node.MemoryStats;
import io.kongjava.pdk.node.Node;
import io.kongjava.pdk.plugin.Plugin;
import io.kongjava.pdk.request.Request;
import io.kongjava.pdk.request.UriCaptures;
import io.kongjava.pdk.response.Response;
import io.kongjava.pdk.router.Router;
import io.kongjava.pdk.service.Service;
import io.kongjava.pdk.service.request.ServiceRequest;
import io.kongjava.pdk.service.response.ServiceResponse;
import io.kongjava.pdk.vault.Vault;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** Every PDK namespace over one {@link Bridge}: one Kong function call per method. */
final class BridgedKong implements Kong {

    private final Calls calls;
    private final Client client;
    private final Ctx ctx;
    private final Ip ip;
    private final Log log;
    private final Nginx nginx;
    private final Node node;
    private final Cluster cluster;
    private final Plugin plugin;
    private final Request request;
    private final Response response;
    private final Router router;
    private final Service service;
    private final Vault vault;

    BridgedKong(Bridge bridge) {
        this.calls = new Calls(Objects.requireNonNull(bridge, "bridge"));
        this.client = new ClientImpl(calls);
        this.ctx = new CtxImpl(calls);
        this.ip = address -> calls.bool("kong.ip.is_trusted", required(address, "address"));
        this.log = new LogImpl(calls);
        this.nginx = new NginxImpl(calls);
        this.node = new NodeImpl(calls);
        this.cluster = () -> calls.optionalText("kong.cluster.get_id");
        this.plugin = () -> calls.text("kong.plugin.get_id");
        this.request = new RequestImpl(calls);
        this.response = new ResponseImpl(calls);
        this.router = new RouterImpl(calls);
        this.service = new ServiceImpl(calls);
        this.vault = new VaultImpl(calls);
    }

    @Override public Client client() { return client; }
    @Override public Ctx ctx() { return ctx; }
    @Override public Ip ip() { return ip; }
    @Override public Log log() { return log; }
    @Override public Nginx nginx() { return nginx; }
    @Override public Node node() { return node; }
    @Override public Cluster cluster() { return cluster; }
    @Override public Plugin plugin() { return plugin; }
    @Override public Request request() { return request; }
    @Override public Response response() { return response; }
    @Override public Router router() { return router; }
    @Override public Service service() { return service; }
    @Override public Vault vault() { return vault; }

    static <T> T required(T value, String name) {
        if (value == null) {
            throw new NullPointerException(name + " must not be null");
        }
        return value;
    }

    /**
     * Headers as Kong's header setters take them: a single value as a string, several as an array.
     * An empty list cannot express anything to Kong and is refused.
     */
    static Map<String, Object> headerArg(Map<String, List<String>> headers, String method) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (headers == null) {
            return out;
        }
        headers.forEach((name, values) -> {
            required(name, "header name");
            if (values == null || values.isEmpty()) {
                throw new IllegalArgumentException(method + ": header " + name + " has no value");
            }
            values.forEach(v -> required(v, "value of header " + name));
            out.put(name, values.size() == 1 ? values.get(0) : List.copyOf(values));
        });
        return out;
    }

    static Object headerValues(List<String> values, String name, String method) {
        required(values, "values");
        if (values.isEmpty()) {
            throw new IllegalArgumentException(method + ": header " + name + " has no value");
        }
        values.forEach(v -> required(v, "value of header " + name));
        return values.size() == 1 ? values.get(0) : List.copyOf(values);
    }

    // ---------------------------------------------------------------- kong.client

    private static final class ClientImpl implements Client {
        private final Calls calls;
        private final ClientTls tls;

        ClientImpl(Calls calls) {
            this.calls = calls;
            this.tls = new ClientTlsImpl(calls);
        }

        @Override public String getIp() throws PdkException { return calls.text("kong.client.get_ip"); }
        @Override public String getForwardedIp() throws PdkException { return calls.text("kong.client.get_forwarded_ip"); }
        @Override public int getPort() throws PdkException { return calls.intValue("kong.client.get_port"); }
        @Override public int getForwardedPort() throws PdkException { return calls.intValue("kong.client.get_forwarded_port"); }

        @Override
        public Optional<Credential> getCredential() throws PdkException {
            return Optional.ofNullable(calls.call("kong.client.get_credential")).filter(BridgedKong::isTable).map(Credential::fromKong);
        }

        @Override
        public Optional<Consumer> getConsumer() throws PdkException {
            return Optional.ofNullable(calls.call("kong.client.get_consumer")).filter(BridgedKong::isTable).map(Consumer::fromKong);
        }

        @Override
        public Optional<Consumer> loadConsumer(String consumerIdOrUsername, boolean searchByUsername) throws PdkException {
            required(consumerIdOrUsername, "consumer id");
            Object v = searchByUsername
                    ? calls.call("kong.client.load_consumer", consumerIdOrUsername, true)
                    : calls.call("kong.client.load_consumer", consumerIdOrUsername);
            return Optional.ofNullable(v).filter(BridgedKong::isTable).map(Consumer::fromKong);
        }

        @Override
        public void authenticate(Consumer consumer, Credential credential) throws PdkException {
            if (consumer == null && credential == null) {
                throw new IllegalArgumentException("kong.client.authenticate: a consumer or a credential is required");
            }
            if (consumer == null) {
                // A nil first argument followed by a table does not survive Kong's unpack of Args.
                throw new IllegalArgumentException("kong.client.authenticate: a credential without a consumer"
                        + " cannot be sent to Kong (a nil argument before a non-nil one is lost); pass the consumer too");
            }
            calls.run("kong.client.authenticate", consumer.toKong(), credential == null ? null : credential.toKong());
        }

        @Override
        public Optional<String> getProtocol(boolean allowTerminated) throws PdkException {
            return allowTerminated
                    ? calls.optionalText("kong.client.get_protocol", true)
                    : calls.optionalText("kong.client.get_protocol");
        }

        @Override public ClientTls tls() { return tls; }
    }

    private static final class ClientTlsImpl implements ClientTls {
        private final Calls calls;

        ClientTlsImpl(Calls calls) {
            this.calls = calls;
        }

        @Override public boolean requestClientCertificate() throws PdkException { return calls.succeeded("kong.client.tls.request_client_certificate"); }
        @Override public boolean disableSessionReuse() throws PdkException { return calls.succeeded("kong.client.tls.disable_session_reuse"); }
        @Override public Optional<String> getFullClientCertificateChain() throws PdkException { return calls.optionalText("kong.client.tls.get_full_client_certificate_chain"); }
        @Override public void setClientVerify(String result) throws PdkException { calls.run("kong.client.tls.set_client_verify", required(result, "result")); }
    }

    static boolean isTable(Object v) {
        return v instanceof Map<?, ?> || (v instanceof List<?> l && !l.isEmpty());
    }

    // ---------------------------------------------------------------- kong.ctx.shared

    private static final class CtxImpl implements Ctx, Ctx.Shared {
        private final Calls calls;

        CtxImpl(Calls calls) {
            this.calls = calls;
        }

        @Override public Shared shared() { return this; }
        @Override public Optional<Object> get(String key) throws PdkException { return calls.value("kong.ctx.shared.get", required(key, "key")); }
        @Override public void set(String key, Object value) throws PdkException { calls.run("kong.ctx.shared.set", required(key, "key"), value); }
    }

    // ---------------------------------------------------------------- kong.log

    private static final class LogImpl implements Log {
        private final Calls calls;

        LogImpl(Calls calls) {
            this.calls = calls;
        }

        private void level(String level, String message) throws PdkException {
            calls.run("kong.log." + level, message == null ? "nil" : message);
        }

        @Override public void emerg(String message) throws PdkException { level("emerg", message); }
        @Override public void alert(String message) throws PdkException { level("alert", message); }
        @Override public void crit(String message) throws PdkException { level("crit", message); }
        @Override public void err(String message) throws PdkException { level("err", message); }
        @Override public void warn(String message) throws PdkException { level("warn", message); }
        @Override public void notice(String message) throws PdkException { level("notice", message); }
        @Override public void info(String message) throws PdkException { level("info", message); }
        @Override public void debug(String message) throws PdkException { level("debug", message); }
        @Override public void deprecation(String message) throws PdkException { level("deprecation", message); }

        @Override
        public void setSerializeValue(String key, Object value, SerializeMode mode) throws PdkException {
            required(key, "key");
            required(mode, "mode");
            if (mode == SerializeMode.SET) {
                calls.run("kong.log.set_serialize_value", key, value);
                return;
            }
            if (value == null) {
                // {mode} after a nil value would be lost; Kong's nil value means "unset" anyway.
                throw new IllegalArgumentException("kong.log.set_serialize_value: a null value can only be used with mode SET");
            }
            calls.run("kong.log.set_serialize_value", key, value, Map.of("mode", mode.kongName()));
        }

        @Override public String serialize() throws PdkException { return calls.text("kong.log.serialize"); }
    }

    // ---------------------------------------------------------------- kong.nginx

    private static final class NginxImpl implements Nginx {
        private final Calls calls;

        NginxImpl(Calls calls) {
            this.calls = calls;
        }

        @Override public String getSubsystem() throws PdkException { return calls.text("kong.nginx.get_subsystem"); }

        @Override
        public Map<String, Long> getStatistics() throws PdkException {
            Map<String, Long> out = new LinkedHashMap<>();
            calls.map("kong.nginx.get_statistics").forEach((k, v) -> {
                Long n = Wire.integer(v);
                if (n != null) {
                    out.put(k, n);
                }
            });
            return java.util.Collections.unmodifiableMap(out);
        }

        @Override public Optional<String> getVar(String name) throws PdkException { return calls.optionalText("kong.nginx.get_var", required(name, "name")); }
        @Override public Optional<String> getTls1VersionStr() throws PdkException { return calls.optionalText("kong.nginx.get_tls1_version_str"); }
        @Override public Optional<Object> getCtx(String key) throws PdkException { return calls.value("kong.nginx.get_ctx", required(key, "key")); }
        @Override public void setCtx(String key, Object value) throws PdkException { calls.run("kong.nginx.set_ctx", required(key, "key"), value); }
        @Override public double reqStartTime() throws PdkException { return calls.number("kong.nginx.req_start_time"); }
    }

    // ---------------------------------------------------------------- kong.node

    private static final class NodeImpl implements Node {
        private final Calls calls;

        NodeImpl(Calls calls) {
            this.calls = calls;
        }

        @Override public String getId() throws PdkException { return calls.text("kong.node.get_id"); }
        @Override public String getHostname() throws PdkException { return calls.text("kong.node.get_hostname"); }
        @Override public MemoryStats getMemoryStats() throws PdkException { return MemoryStats.fromKong(calls.map("kong.node.get_memory_stats")); }

        @Override
        public MemoryStats getMemoryStats(String unit, int scale) throws PdkException {
            return MemoryStats.fromKong(calls.map("kong.node.get_memory_stats", required(unit, "unit"), scale));
        }
    }

    // ---------------------------------------------------------------- kong.request

    private static final class RequestImpl implements Request {
        private final Calls calls;

        RequestImpl(Calls calls) {
            this.calls = calls;
        }

        @Override public String getScheme() throws PdkException { return calls.text("kong.request.get_scheme"); }
        @Override public String getHost() throws PdkException { return calls.text("kong.request.get_host"); }
        @Override public int getPort() throws PdkException { return calls.intValue("kong.request.get_port"); }
        @Override public String getForwardedScheme() throws PdkException { return calls.text("kong.request.get_forwarded_scheme"); }
        @Override public String getForwardedHost() throws PdkException { return calls.text("kong.request.get_forwarded_host"); }
        @Override public int getForwardedPort() throws PdkException { return calls.intValue("kong.request.get_forwarded_port"); }
        @Override public String getForwardedPath() throws PdkException { return calls.text("kong.request.get_forwarded_path"); }
        @Override public Optional<String> getForwardedPrefix() throws PdkException { return calls.optionalText("kong.request.get_forwarded_prefix"); }
        @Override public double getHttpVersion() throws PdkException { return calls.number("kong.request.get_http_version"); }
        @Override public String getMethod() throws PdkException { return calls.text("kong.request.get_method"); }
        @Override public String getPath() throws PdkException { return calls.text("kong.request.get_path"); }
        @Override public String getRawPath() throws PdkException { return calls.text("kong.request.get_raw_path"); }
        @Override public String getPathWithQuery() throws PdkException { return calls.text("kong.request.get_path_with_query"); }
        @Override public String getRawQuery() throws PdkException { return calls.text("kong.request.get_raw_query"); }

        @Override
        public Optional<String> getQueryArg(String name) throws PdkException {
            String method = "kong.request.get_query_arg";
            Object v = calls.call(method, required(name, "name"));
            if (v == null || Boolean.FALSE.equals(v)) {
                return Optional.empty();
            }
            if (Boolean.TRUE.equals(v)) {
                return Optional.of("");
            }
            String s = Wire.textLenient(v);
            if (s != null) {
                return Optional.of(s);
            }
            List<Object> list = Wire.list(v);
            if (list != null) {
                for (Object o : list) {
                    if (Boolean.TRUE.equals(o)) {
                        return Optional.of("");
                    }
                    String t = Wire.textLenient(o);
                    if (t != null) {
                        return Optional.of(t);
                    }
                }
                return Optional.empty();
            }
            throw Calls.unexpected(method, v);
        }

        @Override public Map<String, List<String>> getQuery() throws PdkException { return calls.multimap("kong.request.get_query"); }
        @Override public Map<String, List<String>> getQuery(int maxArgs) throws PdkException { return calls.multimap("kong.request.get_query", limit("kong.request.get_query", maxArgs)); }
        @Override public Optional<String> getHeader(String name) throws PdkException { return firstText(calls, "kong.request.get_header", required(name, "name")); }
        @Override public Map<String, List<String>> getHeaders() throws PdkException { return calls.multimap("kong.request.get_headers"); }
        @Override public Map<String, List<String>> getHeaders(int maxHeaders) throws PdkException { return calls.multimap("kong.request.get_headers", limit("kong.request.get_headers", maxHeaders)); }
        @Override public byte[] getRawBody() throws PdkException { return getRawBody(0); }

        @Override
        public byte[] getRawBody(long maxAllowedFileSize) throws PdkException {
            if (maxAllowedFileSize < 0) {
                throw new IllegalArgumentException("kong.request.get_raw_body: size must be >= 0 (0 = no limit)");
            }
            return calls.bytes("kong.request.get_raw_body", maxAllowedFileSize);
        }

        @Override public Optional<Object> getBody() throws PdkException { return calls.value("kong.request.get_body"); }
        @Override public Optional<Object> getBody(String mimetype) throws PdkException { return calls.value("kong.request.get_body", mimetype); }

        @Override
        public Optional<Object> getBody(String mimetype, int maxArgs, long maxAllowedFileSize) throws PdkException {
            // Kong reads a nil mimetype as "use Content-Type", but a nil before max_args would be lost
            // in Args, so the Content-Type is looked up first (Kong answers nil without one too).
            String type = mimetype;
            if (type == null) {
                Optional<String> contentType = firstText(calls, "kong.request.get_header", "Content-Type");
                if (contentType.isEmpty()) {
                    return Optional.empty();
                }
                type = contentType.get();
            }
            return calls.value("kong.request.get_body", type, maxArgs, maxAllowedFileSize);
        }

        @Override
        public long getStartTime() throws PdkException {
            return Math.round(calls.number("kong.request.get_start_time"));
        }

        @Override
        public UriCaptures getUriCaptures() throws PdkException {
            Map<String, Object> m = calls.map("kong.request.get_uri_captures");
            List<String> unnamed = new ArrayList<>();
            List<Object> rawUnnamed = Wire.list(m.get("unnamed"));
            if (rawUnnamed != null) {
                for (Object o : rawUnnamed) {
                    String s = Wire.textLenient(o instanceof Boolean ? null : o);
                    unnamed.add(s == null ? "" : s);
                }
            }
            Map<String, String> named = new LinkedHashMap<>();
            Map<String, Object> rawNamed = Wire.map(m.get("named"));
            if (rawNamed != null) {
                rawNamed.forEach((k, v) -> {
                    String s = Wire.textLenient(v instanceof Boolean ? null : v);
                    named.put(k, s == null ? "" : s);
                });
            }
            return new UriCaptures(unnamed, named);
        }
    }

    /** A header getter's result: a string, or (defensively) the first of several values. */
    static Optional<String> firstText(Calls calls, String method, Object... args) throws PdkException {
        Object v = calls.call(method, args);
        if (v == null || Boolean.FALSE.equals(v)) {
            return Optional.empty();
        }
        String s = Wire.textLenient(v);
        if (s != null) {
            return Optional.of(s);
        }
        List<String> values = Wire.texts(v);
        if (!values.isEmpty()) {
            return Optional.of(values.get(0));
        }
        throw Calls.unexpected(method, v);
    }

    // ---------------------------------------------------------------- kong.response

    private static final class ResponseImpl implements Response {
        private static final Map<Integer, String> KONG_ERROR_MESSAGES = kongErrorMessages();

        private final Calls calls;

        ResponseImpl(Calls calls) {
            this.calls = calls;
        }

        @Override public int getStatus() throws PdkException { return calls.intValue("kong.response.get_status"); }
        @Override public Optional<String> getHeader(String name) throws PdkException { return firstText(calls, "kong.response.get_header", required(name, "name")); }
        @Override public Map<String, List<String>> getHeaders() throws PdkException { return calls.multimap("kong.response.get_headers"); }
        @Override public Map<String, List<String>> getHeaders(int maxHeaders) throws PdkException { return calls.multimap("kong.response.get_headers", limit("kong.response.get_headers", maxHeaders)); }
        @Override public String getSource() throws PdkException { return calls.text("kong.response.get_source"); }
        @Override public void setStatus(int status) throws PdkException { calls.run("kong.response.set_status", checkStatus("kong.response.set_status", status, 100)); }
        @Override public void setHeader(String name, String value) throws PdkException { calls.run("kong.response.set_header", required(name, "name"), required(value, "value")); }

        @Override
        public void setHeader(String name, List<String> values) throws PdkException {
            calls.run("kong.response.set_header", required(name, "name"), headerValues(values, name, "kong.response.set_header"));
        }

        @Override public void addHeader(String name, String value) throws PdkException { calls.run("kong.response.add_header", required(name, "name"), required(value, "value")); }
        @Override public void clearHeader(String name) throws PdkException { calls.run("kong.response.clear_header", required(name, "name")); }
        @Override public void setHeaders(Map<String, List<String>> headers) throws PdkException { calls.run("kong.response.set_headers", headerArg(required(headers, "headers"), "kong.response.set_headers")); }

        @Override
        public void exit(int status, String body, Map<String, List<String>> headers) throws PdkException {
            sendExit(status, body == null ? "" : body, headers);
        }

        @Override
        public void exit(int status, byte[] body, Map<String, List<String>> headers) throws PdkException {
            sendExit(status, body == null ? new byte[0] : body, headers);
        }

        @Override
        public void exitJson(int status, Object jsonBody, Map<String, List<String>> headers) throws PdkException {
            Object body = Wire.toWire(required(jsonBody, "jsonBody"));
            if (!(body instanceof Map<?, ?> || body instanceof List<?>)) {
                throw new IllegalArgumentException("kong.response.exit: a JSON body must be a Map or a List");
            }
            sendExit(status, body, headers);
        }

        private void sendExit(int status, Object body, Map<String, List<String>> headers) throws PdkException {
            String method = "kong.response.exit";
            checkStatus(method, status, 100);
            Map<String, Object> h = headerArg(headers, method);
            boolean emptyBody = body instanceof String s ? s.isEmpty() : body instanceof byte[] b && b.length == 0;
            if (h.isEmpty()) {
                if (emptyBody) {
                    calls.terminal(method, status);
                } else {
                    calls.terminal(method, status, body);
                }
            } else {
                calls.terminal(method, status, body, h);
            }
        }

        @Override
        public void error(int status, String message, Map<String, List<String>> headers) throws PdkException {
            String method = "kong.response.error";
            checkStatus(method, status, 400);
            Map<String, Object> h = headerArg(headers, method);
            if (h.isEmpty()) {
                calls.terminal(method, status, message);
            } else {
                // Kong's default text for the status, since a nil message before the headers would be lost.
                String text = message != null ? message
                        : KONG_ERROR_MESSAGES.getOrDefault(status, "The upstream server responded with " + status);
                calls.terminal(method, status, text, h);
            }
        }

        private static Map<Integer, String> kongErrorMessages() {
            Map<Integer, String> m = new java.util.HashMap<>();
            String[] pairs = {
                "400", "Bad request", "401", "Unauthorized", "402", "Payment required", "403", "Forbidden",
                "404", "Not found", "405", "Method not allowed", "406", "Not acceptable",
                "407", "Proxy authentication required", "408", "Request timeout", "409", "Conflict", "410", "Gone",
                "411", "Length required", "412", "Precondition failed", "413", "Payload too large",
                "414", "URI too long", "415", "Unsupported media type", "416", "Range not satisfiable",
                "417", "Expectation failed", "418", "I'm a teapot", "421", "Misdirected request",
                "422", "Unprocessable entity", "423", "Locked", "424", "Failed dependency", "425", "Too early",
                "426", "Upgrade required", "428", "Precondition required", "429", "Too many requests",
                "431", "Request header fields too large", "451", "Unavailable for legal reasons",
                "494", "Request header or cookie too large", "500", "An unexpected error occurred",
                "501", "Not implemented", "502", "An invalid response was received from the upstream server",
                "503", "The upstream server is currently unavailable", "504", "The upstream server is timing out",
                "505", "HTTP version not supported", "506", "Variant also negotiates", "507", "Insufficient storage",
                "508", "Loop detected", "510", "Not extended", "511", "Network authentication required",
            };
            for (int i = 0; i < pairs.length; i += 2) {
                m.put(Integer.parseInt(pairs[i]), pairs[i + 1]);
            }
            return Map.copyOf(m);
        }
    }

    /** Kong raises (killing the phase) for limits outside 1..1000; refuse them here with a clear message. */
    static int limit(String method, int max) {
        if (max < 1 || max > 1000) {
            throw new IllegalArgumentException(method + ": the limit must be between 1 and 1000, got " + max);
        }
        return max;
    }

    static int checkStatus(String method, int status, int min) {
        if (status < min || status > 599) {
            throw new IllegalArgumentException(method + ": status must be between " + min + " and 599, got " + status);
        }
        return status;
    }

    // ---------------------------------------------------------------- kong.router

    private static final class RouterImpl implements Router {
        private final Calls calls;

        RouterImpl(Calls calls) {
            this.calls = calls;
        }

        @Override
        public Optional<Route> getRoute() throws PdkException {
            return Optional.ofNullable(calls.call("kong.router.get_route")).filter(BridgedKong::isTable).map(Route::fromKong);
        }

        @Override
        public Optional<io.kongjava.pdk.entity.Service> getService() throws PdkException {
            return Optional.ofNullable(calls.call("kong.router.get_service")).filter(BridgedKong::isTable)
                    .map(io.kongjava.pdk.entity.Service::fromKong);
        }
    }

    // ---------------------------------------------------------------- kong.service

    private static final class ServiceImpl implements Service {
        private final Calls calls;
        private final ServiceRequest request;
        private final ServiceResponse response;

        ServiceImpl(Calls calls) {
            this.calls = calls;
            this.request = new ServiceRequestImpl(calls);
            this.response = new ServiceResponseImpl(calls);
        }

        @Override public ServiceRequest request() { return request; }
        @Override public ServiceResponse response() { return response; }
        @Override public boolean setUpstream(String host) throws PdkException { return calls.succeeded("kong.service.set_upstream", required(host, "host")); }

        @Override
        public void setTarget(String host, int port) throws PdkException {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("kong.service.set_target: port must be between 0 and 65535, got " + port);
            }
            calls.run("kong.service.set_target", required(host, "host"), port);
        }

        @Override public void setRetries(int retries) throws PdkException { calls.run("kong.service.set_retries", retries); }

        @Override
        public void setTimeouts(int connectTimeoutMs, int writeTimeoutMs, int readTimeoutMs) throws PdkException {
            calls.run("kong.service.set_timeouts", connectTimeoutMs, writeTimeoutMs, readTimeoutMs);
        }

        @Override public boolean setTlsVerify(boolean on) throws PdkException { return calls.succeeded("kong.service.set_tls_verify", on); }
        @Override public boolean setTlsVerifyDepth(int depth) throws PdkException { return calls.succeeded("kong.service.set_tls_verify_depth", depth); }
    }

    private static final class ServiceRequestImpl implements ServiceRequest {
        private final Calls calls;

        ServiceRequestImpl(Calls calls) {
            this.calls = calls;
        }

        @Override public void enableBuffering() throws PdkException { calls.run("kong.service.request.enable_buffering"); }
        @Override public void setScheme(String scheme) throws PdkException { calls.run("kong.service.request.set_scheme", required(scheme, "scheme")); }
        @Override public void setPath(String path) throws PdkException { calls.run("kong.service.request.set_path", required(path, "path")); }
        @Override public void setRawQuery(String query) throws PdkException { calls.run("kong.service.request.set_raw_query", required(query, "query")); }
        @Override public void setMethod(String method) throws PdkException { calls.run("kong.service.request.set_method", required(method, "method")); }

        @Override
        public void setQuery(Map<String, List<String>> args) throws PdkException {
            Map<String, Object> out = new LinkedHashMap<>();
            required(args, "args").forEach((name, values) -> {
                required(name, "query argument name");
                if (values == null || values.isEmpty()) {
                    out.put(name, Boolean.TRUE);
                } else {
                    values.forEach(v -> required(v, "value of query argument " + name));
                    out.put(name, values.size() == 1 ? values.get(0) : List.copyOf(values));
                }
            });
            calls.run("kong.service.request.set_query", out);
        }

        @Override public void clearQueryArg(String name) throws PdkException { calls.run("kong.service.request.clear_query_arg", required(name, "name")); }
        @Override public void setHeader(String name, String value) throws PdkException { calls.run("kong.service.request.set_header", required(name, "name"), required(value, "value")); }

        @Override
        public void setHeader(String name, List<String> values) throws PdkException {
            calls.run("kong.service.request.set_header", required(name, "name"), headerValues(values, name, "kong.service.request.set_header"));
        }

        @Override public void addHeader(String name, String value) throws PdkException { calls.run("kong.service.request.add_header", required(name, "name"), required(value, "value")); }
        @Override public void clearHeader(String name) throws PdkException { calls.run("kong.service.request.clear_header", required(name, "name")); }
        @Override public void setHeaders(Map<String, List<String>> headers) throws PdkException { calls.run("kong.service.request.set_headers", headerArg(required(headers, "headers"), "kong.service.request.set_headers")); }
        @Override public void setRawBody(byte[] body) throws PdkException { calls.run("kong.service.request.set_raw_body", required(body, "body")); }
        @Override public void setRawBody(String body) throws PdkException { calls.run("kong.service.request.set_raw_body", required(body, "body")); }
        @Override public boolean setBody(Map<String, ?> args) throws PdkException { return calls.succeeded("kong.service.request.set_body", required(args, "args")); }

        @Override
        public boolean setBody(Map<String, ?> args, String mimetype) throws PdkException {
            return calls.succeeded("kong.service.request.set_body", required(args, "args"), mimetype);
        }

        @Override public boolean enableTls() throws PdkException { return calls.succeeded("kong.service.request.enable_tls"); }
        @Override public boolean disableTls() throws PdkException { return calls.succeeded("kong.service.request.disable_tls"); }
    }

    private static final class ServiceResponseImpl implements ServiceResponse {
        private final Calls calls;

        ServiceResponseImpl(Calls calls) {
            this.calls = calls;
        }

        @Override public int getStatus() throws PdkException { return calls.intValue("kong.service.response.get_status"); }
        @Override public Optional<String> getHeader(String name) throws PdkException { return firstText(calls, "kong.service.response.get_header", required(name, "name")); }
        @Override public Map<String, List<String>> getHeaders() throws PdkException { return calls.multimap("kong.service.response.get_headers"); }
        @Override public Map<String, List<String>> getHeaders(int maxHeaders) throws PdkException { return calls.multimap("kong.service.response.get_headers", limit("kong.service.response.get_headers", maxHeaders)); }
        @Override public byte[] getRawBody() throws PdkException { return calls.bytes("kong.service.response.get_raw_body"); }
        @Override public Optional<Object> getBody() throws PdkException { return calls.value("kong.service.response.get_body"); }

        @Override
        public Optional<Object> getBody(String mimetype, int maxArgs) throws PdkException {
            // See Request.getBody: no nil before max_args.
            String type = mimetype;
            if (type == null) {
                Optional<String> contentType = firstText(calls, "kong.service.response.get_header", "Content-Type");
                if (contentType.isEmpty()) {
                    return Optional.empty();
                }
                type = contentType.get();
            }
            return calls.value("kong.service.response.get_body", type, maxArgs);
        }
    }

    // ---------------------------------------------------------------- kong.vault

    private static final class VaultImpl implements Vault {
        private final Calls calls;

        VaultImpl(Calls calls) {
            this.calls = calls;
        }

        @Override public Optional<String> get(String reference) throws PdkException { return calls.optionalText("kong.vault.get", required(reference, "reference")); }
        @Override public boolean isReference(String value) throws PdkException { return calls.bool("kong.vault.is_reference", required(value, "value")); }

        @Override
        public Optional<Map<String, Object>> parseReference(String reference) throws PdkException {
            Object v = calls.call("kong.vault.parse_reference", required(reference, "reference"));
            if (v == null || !isTable(v)) {
                return Optional.empty();
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) Wire.freeze(Wire.map(v));
            return Optional.ofNullable(m);
        }

        @Override
        public Map<String, Object> update(Map<String, Object> options) throws PdkException {
            return calls.map("kong.vault.update", required(options, "options"));
        }
    }
}
