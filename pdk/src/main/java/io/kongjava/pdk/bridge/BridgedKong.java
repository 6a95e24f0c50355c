package io.kongjava.pdk.bridge;

import io.kongjava.catalogue.KongStatusTexts;
import io.kongjava.catalogue.PdkFunction;
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
        this.ip = address -> calls.bool(PdkFunction.IP_IS_TRUSTED, required(address, "address"));
        this.log = new LogImpl(calls);
        this.nginx = new NginxImpl(calls);
        this.node = new NodeImpl(calls);
        this.cluster = () -> calls.optionalText(PdkFunction.CLUSTER_GET_ID);
        this.plugin = () -> calls.text(PdkFunction.PLUGIN_GET_ID);
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
    static Map<String, Object> headerArg(Map<String, List<String>> headers, PdkFunction method) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (headers == null) {
            return out;
        }
        headers.forEach((name, values) -> {
            required(name, "header name");
            if (values == null || values.isEmpty()) {
                throw new IllegalArgumentException(method.kongName() + ": header " + name + " has no value");
            }
            values.forEach(v -> required(v, "value of header " + name));
            out.put(name, values.size() == 1 ? values.get(0) : List.copyOf(values));
        });
        return out;
    }

    static Object headerValues(List<String> values, String name, PdkFunction method) {
        required(values, "values");
        if (values.isEmpty()) {
            throw new IllegalArgumentException(method.kongName() + ": header " + name + " has no value");
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

        @Override public String getIp() throws PdkException { return calls.text(PdkFunction.CLIENT_GET_IP); }
        @Override public String getForwardedIp() throws PdkException { return calls.text(PdkFunction.CLIENT_GET_FORWARDED_IP); }
        @Override public int getPort() throws PdkException { return calls.intValue(PdkFunction.CLIENT_GET_PORT); }
        @Override public int getForwardedPort() throws PdkException { return calls.intValue(PdkFunction.CLIENT_GET_FORWARDED_PORT); }

        @Override
        public Optional<Credential> getCredential() throws PdkException {
            return Optional.ofNullable(calls.call(PdkFunction.CLIENT_GET_CREDENTIAL)).filter(BridgedKong::isTable).map(Credential::fromKong);
        }

        @Override
        public Optional<Consumer> getConsumer() throws PdkException {
            return Optional.ofNullable(calls.call(PdkFunction.CLIENT_GET_CONSUMER)).filter(BridgedKong::isTable).map(Consumer::fromKong);
        }

        @Override
        public Optional<Consumer> loadConsumer(String consumerIdOrUsername, boolean searchByUsername) throws PdkException {
            required(consumerIdOrUsername, "consumer id");
            Object v = searchByUsername
                    ? calls.call(PdkFunction.CLIENT_LOAD_CONSUMER, consumerIdOrUsername, true)
                    : calls.call(PdkFunction.CLIENT_LOAD_CONSUMER, consumerIdOrUsername);
            return Optional.ofNullable(v).filter(BridgedKong::isTable).map(Consumer::fromKong);
        }

        @Override
        public void authenticate(Consumer consumer, Credential credential) throws PdkException {
            if (consumer == null && credential == null) {
                throw new IllegalArgumentException(PdkFunction.CLIENT_AUTHENTICATE.kongName() + ": a consumer or a credential is required");
            }
            if (consumer == null) {
                // A nil first argument followed by a table does not survive Kong's unpack of Args.
                throw new IllegalArgumentException(PdkFunction.CLIENT_AUTHENTICATE.kongName() + ": a credential without a consumer"
                        + " cannot be sent to Kong (a nil argument before a non-nil one is lost); pass the consumer too");
            }
            calls.run(PdkFunction.CLIENT_AUTHENTICATE, consumer.toKong(), credential == null ? null : credential.toKong());
        }

        @Override
        public Optional<String> getProtocol(boolean allowTerminated) throws PdkException {
            return allowTerminated
                    ? calls.optionalText(PdkFunction.CLIENT_GET_PROTOCOL, true)
                    : calls.optionalText(PdkFunction.CLIENT_GET_PROTOCOL);
        }

        @Override public ClientTls tls() { return tls; }
    }

    private static final class ClientTlsImpl implements ClientTls {
        private final Calls calls;

        ClientTlsImpl(Calls calls) {
            this.calls = calls;
        }

        @Override public boolean requestClientCertificate() throws PdkException { return calls.succeeded(PdkFunction.CLIENT_TLS_REQUEST_CLIENT_CERTIFICATE); }
        @Override public boolean disableSessionReuse() throws PdkException { return calls.succeeded(PdkFunction.CLIENT_TLS_DISABLE_SESSION_REUSE); }
        @Override public Optional<String> getFullClientCertificateChain() throws PdkException { return calls.optionalText(PdkFunction.CLIENT_TLS_GET_FULL_CLIENT_CERTIFICATE_CHAIN); }
        @Override public void setClientVerify(String result) throws PdkException { calls.run(PdkFunction.CLIENT_TLS_SET_CLIENT_VERIFY, required(result, "result")); }
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
        @Override public Optional<Object> get(String key) throws PdkException { return calls.value(PdkFunction.CTX_SHARED_GET, required(key, "key")); }
        @Override public void set(String key, Object value) throws PdkException { calls.run(PdkFunction.CTX_SHARED_SET, required(key, "key"), value); }
    }

    // ---------------------------------------------------------------- kong.log

    private static final class LogImpl implements Log {
        private final Calls calls;

        LogImpl(Calls calls) {
            this.calls = calls;
        }

        private void level(PdkFunction level, String message) throws PdkException {
            calls.run(level, message == null ? "nil" : message);
        }

        @Override public void emerg(String message) throws PdkException { level(PdkFunction.LOG_EMERG, message); }
        @Override public void alert(String message) throws PdkException { level(PdkFunction.LOG_ALERT, message); }
        @Override public void crit(String message) throws PdkException { level(PdkFunction.LOG_CRIT, message); }
        @Override public void err(String message) throws PdkException { level(PdkFunction.LOG_ERR, message); }
        @Override public void warn(String message) throws PdkException { level(PdkFunction.LOG_WARN, message); }
        @Override public void notice(String message) throws PdkException { level(PdkFunction.LOG_NOTICE, message); }
        @Override public void info(String message) throws PdkException { level(PdkFunction.LOG_INFO, message); }
        @Override public void debug(String message) throws PdkException { level(PdkFunction.LOG_DEBUG, message); }
        @Override public void deprecation(String message) throws PdkException { level(PdkFunction.LOG_DEPRECATION, message); }

        @Override
        public void setSerializeValue(String key, Object value, SerializeMode mode) throws PdkException {
            required(key, "key");
            required(mode, "mode");
            if (mode == SerializeMode.SET) {
                calls.run(PdkFunction.LOG_SET_SERIALIZE_VALUE, key, value);
                return;
            }
            if (value == null) {
                // {mode} after a nil value would be lost; Kong's nil value means "unset" anyway.
                throw new IllegalArgumentException(PdkFunction.LOG_SET_SERIALIZE_VALUE.kongName() + ": a null value can only be used with mode SET");
            }
            calls.run(PdkFunction.LOG_SET_SERIALIZE_VALUE, key, value, Map.of("mode", mode.kongName()));
        }

        @Override public String serialize() throws PdkException { return calls.text(PdkFunction.LOG_SERIALIZE); }
    }

    // ---------------------------------------------------------------- kong.nginx

    private static final class NginxImpl implements Nginx {
        private final Calls calls;

        NginxImpl(Calls calls) {
            this.calls = calls;
        }

        @Override public String getSubsystem() throws PdkException { return calls.text(PdkFunction.NGINX_GET_SUBSYSTEM); }

        @Override
        public Map<String, Long> getStatistics() throws PdkException {
            Map<String, Long> out = new LinkedHashMap<>();
            calls.map(PdkFunction.NGINX_GET_STATISTICS).forEach((k, v) -> {
                Long n = Wire.integer(v);
                if (n != null) {
                    out.put(k, n);
                }
            });
            return java.util.Collections.unmodifiableMap(out);
        }

        @Override public Optional<String> getVar(String name) throws PdkException { return calls.optionalText(PdkFunction.NGINX_GET_VAR, required(name, "name")); }
        @Override public Optional<String> getTls1VersionStr() throws PdkException { return calls.optionalText(PdkFunction.NGINX_GET_TLS1_VERSION_STR); }
        @Override public Optional<Object> getCtx(String key) throws PdkException { return calls.value(PdkFunction.NGINX_GET_CTX, required(key, "key")); }
        @Override public void setCtx(String key, Object value) throws PdkException { calls.run(PdkFunction.NGINX_SET_CTX, required(key, "key"), value); }
        @Override public double reqStartTime() throws PdkException { return calls.number(PdkFunction.NGINX_REQ_START_TIME); }
    }

    // ---------------------------------------------------------------- kong.node

    private static final class NodeImpl implements Node {
        private final Calls calls;

        NodeImpl(Calls calls) {
            this.calls = calls;
        }

        @Override public String getId() throws PdkException { return calls.text(PdkFunction.NODE_GET_ID); }
        @Override public String getHostname() throws PdkException { return calls.text(PdkFunction.NODE_GET_HOSTNAME); }
        @Override public MemoryStats getMemoryStats() throws PdkException { return MemoryStats.fromKong(calls.map(PdkFunction.NODE_GET_MEMORY_STATS)); }

        @Override
        public MemoryStats getMemoryStats(String unit, int scale) throws PdkException {
            return MemoryStats.fromKong(calls.map(PdkFunction.NODE_GET_MEMORY_STATS, required(unit, "unit"), scale));
        }
    }

    // ---------------------------------------------------------------- kong.request

    private static final class RequestImpl implements Request {
        private final Calls calls;

        RequestImpl(Calls calls) {
            this.calls = calls;
        }

        @Override public String getScheme() throws PdkException { return calls.text(PdkFunction.REQUEST_GET_SCHEME); }
        @Override public String getHost() throws PdkException { return calls.text(PdkFunction.REQUEST_GET_HOST); }
        @Override public int getPort() throws PdkException { return calls.intValue(PdkFunction.REQUEST_GET_PORT); }
        @Override public String getForwardedScheme() throws PdkException { return calls.text(PdkFunction.REQUEST_GET_FORWARDED_SCHEME); }
        @Override public String getForwardedHost() throws PdkException { return calls.text(PdkFunction.REQUEST_GET_FORWARDED_HOST); }
        @Override public int getForwardedPort() throws PdkException { return calls.intValue(PdkFunction.REQUEST_GET_FORWARDED_PORT); }
        @Override public String getForwardedPath() throws PdkException { return calls.text(PdkFunction.REQUEST_GET_FORWARDED_PATH); }
        @Override public Optional<String> getForwardedPrefix() throws PdkException { return calls.optionalText(PdkFunction.REQUEST_GET_FORWARDED_PREFIX); }
        @Override public double getHttpVersion() throws PdkException { return calls.number(PdkFunction.REQUEST_GET_HTTP_VERSION); }
        @Override public String getMethod() throws PdkException { return calls.text(PdkFunction.REQUEST_GET_METHOD); }
        @Override public String getPath() throws PdkException { return calls.text(PdkFunction.REQUEST_GET_PATH); }
        @Override public String getRawPath() throws PdkException { return calls.text(PdkFunction.REQUEST_GET_RAW_PATH); }
        @Override public String getPathWithQuery() throws PdkException { return calls.text(PdkFunction.REQUEST_GET_PATH_WITH_QUERY); }
        @Override public String getRawQuery() throws PdkException { return calls.text(PdkFunction.REQUEST_GET_RAW_QUERY); }

        @Override
        public Optional<String> getQueryArg(String name) throws PdkException {
            PdkFunction method = PdkFunction.REQUEST_GET_QUERY_ARG;
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

        @Override public Map<String, List<String>> getQuery() throws PdkException { return calls.multimap(PdkFunction.REQUEST_GET_QUERY); }
        @Override public Map<String, List<String>> getQuery(int maxArgs) throws PdkException { return calls.multimap(PdkFunction.REQUEST_GET_QUERY, PdkFunction.REQUEST_GET_QUERY.checked(1, maxArgs)); }
        @Override public Optional<String> getHeader(String name) throws PdkException { return firstText(calls, PdkFunction.REQUEST_GET_HEADER, required(name, "name")); }
        @Override public Map<String, List<String>> getHeaders() throws PdkException { return calls.multimap(PdkFunction.REQUEST_GET_HEADERS); }
        @Override public Map<String, List<String>> getHeaders(int maxHeaders) throws PdkException { return calls.multimap(PdkFunction.REQUEST_GET_HEADERS, PdkFunction.REQUEST_GET_HEADERS.checked(1, maxHeaders)); }
        @Override public byte[] getRawBody() throws PdkException { return getRawBody(0); }

        @Override
        public byte[] getRawBody(long maxAllowedFileSize) throws PdkException {
            // 0 means no limit
            return calls.bytes(PdkFunction.REQUEST_GET_RAW_BODY, PdkFunction.REQUEST_GET_RAW_BODY.checked(1, maxAllowedFileSize));
        }

        @Override public Optional<Object> getBody() throws PdkException { return calls.value(PdkFunction.REQUEST_GET_BODY); }
        @Override public Optional<Object> getBody(String mimetype) throws PdkException { return calls.value(PdkFunction.REQUEST_GET_BODY, mimetype); }

        @Override
        public Optional<Object> getBody(String mimetype, int maxArgs, long maxAllowedFileSize) throws PdkException {
            // Kong reads a nil mimetype as "use Content-Type", but a nil before max_args would be lost
            // in Args, so the Content-Type is looked up first (Kong answers nil without one too).
            String type = mimetype;
            if (type == null) {
                Optional<String> contentType = firstText(calls, PdkFunction.REQUEST_GET_HEADER, "Content-Type");
                if (contentType.isEmpty()) {
                    return Optional.empty();
                }
                type = contentType.get();
            }
            return calls.value(PdkFunction.REQUEST_GET_BODY, type, maxArgs, maxAllowedFileSize);
        }

        @Override
        public long getStartTime() throws PdkException {
            return Math.round(calls.number(PdkFunction.REQUEST_GET_START_TIME));
        }

        @Override
        public UriCaptures getUriCaptures() throws PdkException {
            Map<String, Object> m = calls.map(PdkFunction.REQUEST_GET_URI_CAPTURES);
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
    static Optional<String> firstText(Calls calls, PdkFunction method, Object... args) throws PdkException {
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
        private final Calls calls;

        ResponseImpl(Calls calls) {
            this.calls = calls;
        }

        @Override public int getStatus() throws PdkException { return calls.intValue(PdkFunction.RESPONSE_GET_STATUS); }
        @Override public Optional<String> getHeader(String name) throws PdkException { return firstText(calls, PdkFunction.RESPONSE_GET_HEADER, required(name, "name")); }
        @Override public Map<String, List<String>> getHeaders() throws PdkException { return calls.multimap(PdkFunction.RESPONSE_GET_HEADERS); }
        @Override public Map<String, List<String>> getHeaders(int maxHeaders) throws PdkException { return calls.multimap(PdkFunction.RESPONSE_GET_HEADERS, PdkFunction.RESPONSE_GET_HEADERS.checked(1, maxHeaders)); }
        @Override public String getSource() throws PdkException { return calls.text(PdkFunction.RESPONSE_GET_SOURCE); }
        @Override public void setStatus(int status) throws PdkException { calls.run(PdkFunction.RESPONSE_SET_STATUS, PdkFunction.RESPONSE_SET_STATUS.checked(1, status)); }
        @Override public void setHeader(String name, String value) throws PdkException { calls.run(PdkFunction.RESPONSE_SET_HEADER, required(name, "name"), required(value, "value")); }

        @Override
        public void setHeader(String name, List<String> values) throws PdkException {
            calls.run(PdkFunction.RESPONSE_SET_HEADER, required(name, "name"), headerValues(values, name, PdkFunction.RESPONSE_SET_HEADER));
        }

        @Override public void addHeader(String name, String value) throws PdkException { calls.run(PdkFunction.RESPONSE_ADD_HEADER, required(name, "name"), required(value, "value")); }
        @Override public void clearHeader(String name) throws PdkException { calls.run(PdkFunction.RESPONSE_CLEAR_HEADER, required(name, "name")); }
        @Override public void setHeaders(Map<String, List<String>> headers) throws PdkException { calls.run(PdkFunction.RESPONSE_SET_HEADERS, headerArg(required(headers, "headers"), PdkFunction.RESPONSE_SET_HEADERS)); }

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
                throw new IllegalArgumentException(PdkFunction.RESPONSE_EXIT.kongName() + ": a JSON body must be a Map or a List");
            }
            sendExit(status, body, headers);
        }

        private void sendExit(int status, Object body, Map<String, List<String>> headers) throws PdkException {
            PdkFunction method = PdkFunction.RESPONSE_EXIT;
            method.checked(1, status);
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
            PdkFunction method = PdkFunction.RESPONSE_ERROR;
            method.checked(1, status);
            Map<String, Object> h = headerArg(headers, method);
            if (h.isEmpty()) {
                calls.terminal(method, status, message);
            } else {
                // Kong's default text for the status, since a nil message before the headers would be lost.
                String text = message != null ? message
                        : KongStatusTexts.defaultMessage(status);
                calls.terminal(method, status, text, h);
            }
        }
    }

    // ---------------------------------------------------------------- kong.router

    private static final class RouterImpl implements Router {
        private final Calls calls;

        RouterImpl(Calls calls) {
            this.calls = calls;
        }

        @Override
        public Optional<Route> getRoute() throws PdkException {
            return Optional.ofNullable(calls.call(PdkFunction.ROUTER_GET_ROUTE)).filter(BridgedKong::isTable).map(Route::fromKong);
        }

        @Override
        public Optional<io.kongjava.pdk.entity.Service> getService() throws PdkException {
            return Optional.ofNullable(calls.call(PdkFunction.ROUTER_GET_SERVICE)).filter(BridgedKong::isTable)
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
        @Override public boolean setUpstream(String host) throws PdkException { return calls.succeeded(PdkFunction.SERVICE_SET_UPSTREAM, required(host, "host")); }

        @Override
        public void setTarget(String host, int port) throws PdkException {
            calls.run(PdkFunction.SERVICE_SET_TARGET, required(host, "host"), PdkFunction.SERVICE_SET_TARGET.checked(2, port));
        }

        @Override public void setRetries(int retries) throws PdkException { calls.run(PdkFunction.SERVICE_SET_RETRIES, retries); }

        @Override
        public void setTimeouts(int connectTimeoutMs, int writeTimeoutMs, int readTimeoutMs) throws PdkException {
            calls.run(PdkFunction.SERVICE_SET_TIMEOUTS, connectTimeoutMs, writeTimeoutMs, readTimeoutMs);
        }

        @Override public boolean setTlsVerify(boolean on) throws PdkException { return calls.succeeded(PdkFunction.SERVICE_SET_TLS_VERIFY, on); }
        @Override public boolean setTlsVerifyDepth(int depth) throws PdkException { return calls.succeeded(PdkFunction.SERVICE_SET_TLS_VERIFY_DEPTH, depth); }
    }

    private static final class ServiceRequestImpl implements ServiceRequest {
        private final Calls calls;

        ServiceRequestImpl(Calls calls) {
            this.calls = calls;
        }

        @Override public void enableBuffering() throws PdkException { calls.run(PdkFunction.SERVICE_REQUEST_ENABLE_BUFFERING); }
        @Override public void setScheme(String scheme) throws PdkException { calls.run(PdkFunction.SERVICE_REQUEST_SET_SCHEME, required(scheme, "scheme")); }
        @Override public void setPath(String path) throws PdkException { calls.run(PdkFunction.SERVICE_REQUEST_SET_PATH, required(path, "path")); }
        @Override public void setRawQuery(String query) throws PdkException { calls.run(PdkFunction.SERVICE_REQUEST_SET_RAW_QUERY, required(query, "query")); }
        @Override public void setMethod(String method) throws PdkException { calls.run(PdkFunction.SERVICE_REQUEST_SET_METHOD, required(method, "method")); }

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
            calls.run(PdkFunction.SERVICE_REQUEST_SET_QUERY, out);
        }

        @Override public void clearQueryArg(String name) throws PdkException { calls.run(PdkFunction.SERVICE_REQUEST_CLEAR_QUERY_ARG, required(name, "name")); }
        @Override public void setHeader(String name, String value) throws PdkException { calls.run(PdkFunction.SERVICE_REQUEST_SET_HEADER, required(name, "name"), required(value, "value")); }

        @Override
        public void setHeader(String name, List<String> values) throws PdkException {
            calls.run(PdkFunction.SERVICE_REQUEST_SET_HEADER, required(name, "name"), headerValues(values, name, PdkFunction.SERVICE_REQUEST_SET_HEADER));
        }

        @Override public void addHeader(String name, String value) throws PdkException { calls.run(PdkFunction.SERVICE_REQUEST_ADD_HEADER, required(name, "name"), required(value, "value")); }
        @Override public void clearHeader(String name) throws PdkException { calls.run(PdkFunction.SERVICE_REQUEST_CLEAR_HEADER, required(name, "name")); }
        @Override public void setHeaders(Map<String, List<String>> headers) throws PdkException { calls.run(PdkFunction.SERVICE_REQUEST_SET_HEADERS, headerArg(required(headers, "headers"), PdkFunction.SERVICE_REQUEST_SET_HEADERS)); }
        @Override public void setRawBody(byte[] body) throws PdkException { calls.run(PdkFunction.SERVICE_REQUEST_SET_RAW_BODY, required(body, "body")); }
        @Override public void setRawBody(String body) throws PdkException { calls.run(PdkFunction.SERVICE_REQUEST_SET_RAW_BODY, required(body, "body")); }
        @Override public boolean setBody(Map<String, ?> args) throws PdkException { return calls.succeeded(PdkFunction.SERVICE_REQUEST_SET_BODY, required(args, "args")); }

        @Override
        public boolean setBody(Map<String, ?> args, String mimetype) throws PdkException {
            return calls.succeeded(PdkFunction.SERVICE_REQUEST_SET_BODY, required(args, "args"), mimetype);
        }

        @Override public boolean enableTls() throws PdkException { return calls.succeeded(PdkFunction.SERVICE_REQUEST_ENABLE_TLS); }
        @Override public boolean disableTls() throws PdkException { return calls.succeeded(PdkFunction.SERVICE_REQUEST_DISABLE_TLS); }
    }

    private static final class ServiceResponseImpl implements ServiceResponse {
        private final Calls calls;

        ServiceResponseImpl(Calls calls) {
            this.calls = calls;
        }

        @Override public int getStatus() throws PdkException { return calls.intValue(PdkFunction.SERVICE_RESPONSE_GET_STATUS); }
        @Override public Optional<String> getHeader(String name) throws PdkException { return firstText(calls, PdkFunction.SERVICE_RESPONSE_GET_HEADER, required(name, "name")); }
        @Override public Map<String, List<String>> getHeaders() throws PdkException { return calls.multimap(PdkFunction.SERVICE_RESPONSE_GET_HEADERS); }
        @Override public Map<String, List<String>> getHeaders(int maxHeaders) throws PdkException { return calls.multimap(PdkFunction.SERVICE_RESPONSE_GET_HEADERS, PdkFunction.SERVICE_RESPONSE_GET_HEADERS.checked(1, maxHeaders)); }
        @Override public byte[] getRawBody() throws PdkException { return calls.bytes(PdkFunction.SERVICE_RESPONSE_GET_RAW_BODY); }
        @Override public Optional<Object> getBody() throws PdkException { return calls.value(PdkFunction.SERVICE_RESPONSE_GET_BODY); }

        @Override
        public Optional<Object> getBody(String mimetype, int maxArgs) throws PdkException {
            // See Request.getBody: no nil before max_args.
            String type = mimetype;
            if (type == null) {
                Optional<String> contentType = firstText(calls, PdkFunction.SERVICE_RESPONSE_GET_HEADER, "Content-Type");
                if (contentType.isEmpty()) {
                    return Optional.empty();
                }
                type = contentType.get();
            }
            return calls.value(PdkFunction.SERVICE_RESPONSE_GET_BODY, type, maxArgs);
        }
    }

    // ---------------------------------------------------------------- kong.vault

    private static final class VaultImpl implements Vault {
        private final Calls calls;

        VaultImpl(Calls calls) {
            this.calls = calls;
        }

        @Override public Optional<String> get(String reference) throws PdkException { return calls.optionalText(PdkFunction.VAULT_GET, required(reference, "reference")); }
        @Override public boolean isReference(String value) throws PdkException { return calls.bool(PdkFunction.VAULT_IS_REFERENCE, required(value, "value")); }

        @Override
        public Optional<Map<String, Object>> parseReference(String reference) throws PdkException {
            Object v = calls.call(PdkFunction.VAULT_PARSE_REFERENCE, required(reference, "reference"));
            if (v == null || !isTable(v)) {
                return Optional.empty();
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) Wire.freeze(Wire.map(v));
            return Optional.ofNullable(m);
        }

        @Override
        public Map<String, Object> update(Map<String, Object> options) throws PdkException {
            return calls.map(PdkFunction.VAULT_UPDATE, required(options, "options"));
        }
    }
}
