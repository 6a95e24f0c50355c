package io.kongjava.emulation;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Everything Kong knows about one request that the PDK can read or change: the client's request, the
 * upstream request being built, the response, the request context and what plugins recorded. The gateway
 * fills it from a live request; the test kit from a fake one.
 */
public final class KongRequest {

    /** The request as the client sent it (read-only to plugins). */
    public String method = "GET";
    public String scheme = "http";
    public String host = "localhost";
    public int port = 8000;
    /** The path as received, without the query ({@code kong.request.get_raw_path}). */
    public String path = "/";
    private String normalizedFrom;
    private String normalizedPath;

    /**
     * The path Kong routes on and {@code kong.request.get_path} returns: {@link #path} normalized
     * ({@link KongUri#normalize}, slashes merged).
     */
    public String normalizedPath() {
        String raw = path;
        if (raw != normalizedFrom) {
            normalizedPath = KongUri.normalize(raw, true);
            normalizedFrom = raw;
        }
        return normalizedPath;
    }
    /** The query string without {@code ?}; empty when none. */
    public String rawQuery = "";
    public final Map<String, List<String>> headers = new LinkedHashMap<>();
    public byte[] body = new byte[0];
    /**
     * Set while the client's body has not been read (a route with {@code request_buffering: false}): reads it into
     * {@link #body} the first time a plugin asks for it, as nginx reads it for {@code ngx.req.read_body}; unread, it
     * goes to the upstream as it comes.
     */
    public PendingBody pendingBody;

    /** Reads a body left unread so far. */
    @FunctionalInterface
    public interface PendingBody {
        void read() throws java.io.IOException;
    }

    /** Reads the body now if it was left unread; nothing once it is read. */
    public void readPendingBody() throws java.io.IOException {
        PendingBody pending = pendingBody;
        if (pending != null) {
            pendingBody = null;
            pending.read();
        }
    }
    public String clientIp = "127.0.0.1";
    /** kong.conf's trusted_ips: whose X-Forwarded-* headers are passed on, and what kong.ip.is_trusted answers. */
    public IpRanges trustedIps = IpRanges.NONE;
    /** kong.conf's real_ip_header (lower-cased): where a trusted client's own client address is read from. */
    public String realIpHeader = "x-real-ip";
    /** kong.conf's real_ip_recursive: trusted addresses in that header are skipped, from the right. */
    public boolean realIpRecursive;
    /**
     * The headers kong.conf's {@code headers} and {@code headers_upstream} let Kong add, lower-cased (the upstream's
     * X-Kong-Request-Id as {@code upstream:x-kong-request-id}); Kong's defaults unless set.
     */
    public java.util.Set<String> kongHeaders = DEFAULT_KONG_HEADERS;

    public static final java.util.Set<String> DEFAULT_KONG_HEADERS = java.util.Set.of("server", "via", "x-kong-proxy-latency",
            "x-kong-response-latency", "x-kong-admin-latency", "x-kong-upstream-latency", "x-kong-request-id", "upstream:x-kong-request-id");
    /** The names of kong.yaml's Upstreams, which kong.service.set_upstream may choose. */
    public java.util.Set<String> upstreamNames = java.util.Set.of();
    /** kong.nginx.get_statistics, from the server the request came in on; null: this request is all there is. */
    public java.util.function.Supplier<Map<String, Object>> nginxStatistics;
    public int clientPort = 40000;
    public double httpVersion = 1.1;
    public long startedAtMillis = System.currentTimeMillis();
    /**
     * Random ids are not secrets: {@code UUID.randomUUID()} would take SecureRandom's shared lock (a read of
     * /dev/urandom) twice for every request the gateway makes one of these for.
     */
    public String requestId = randomHex();
    /** Kong buffers bodies above client_body_buffer_size (8 KiB) to a temp file. */
    public int clientBodyBufferSize = 8192;
    /**
     * The temp file nginx spooled a body above {@link #clientBodyBufferSize} to, which {@code get_raw_body} reads
     * (by its path, as Kong does); {@code null} when the body is only in memory.
     */
    public java.nio.file.Path bodyFile;

    /** Matched entities as Kong's serializer prints them; {@code null} when none. */
    public Map<String, Object> route;
    public Map<String, Object> service;
    public Map<String, Object> consumer;
    public Map<String, Object> credential;
    /** Prefix the route stripped ({@code kong.request.get_forwarded_prefix}), if any. */
    public String strippedPrefix;
    /** The matched route's regex groups (the whole match first) and named groups, for kong.request.get_uri_captures. */
    public List<String> uriCaptures = List.of();
    public Map<String, String> uriCapturesNamed = Map.of();
    public String pluginId = randomUuid().toString();

    /** The request Kong will send upstream, as plugins change it. */
    public final Upstream upstream = new Upstream();

    /** The response to the client. */
    public int responseStatus;
    public final Map<String, List<String>> responseHeaders = new LinkedHashMap<>();
    /** {@code service}, {@code exit} or {@code error}. */
    public String responseSource = "service";
    /** Set when a plugin called kong.response.exit/error. */
    public Exit exit;

    /** The upstream's response when Kong buffered it (response phase), else {@code null}. */
    public UpstreamResponse upstreamResponse;

    public final Map<String, Object> ctxShared = new LinkedHashMap<>();
    public final Map<String, Object> nginxCtx = new LinkedHashMap<>();
    public final Map<String, String> nginxVars = new LinkedHashMap<>();
    public final List<SerializeValue> serializeValues = new ArrayList<>();
    public final List<LogLine> logLines = new ArrayList<>();

    /** Figures the serialized log record reports; the gateway sets them as the request runs. */
    public long responseSize;
    public long requestSize;
    /** The request head's bytes (request line, headers, blank line), part of {@link #requestSize}. */
    public long requestHeadSize;
    public double latencyKong;
    public double latencyProxy = -1;
    public double latencyRequest;
    public double latencyReceive;
    public String upstreamStatus = "";
    public String upstreamUri = "";
    public final List<Map<String, Object>> tries = new ArrayList<>();

    public record Exit(int status, byte[] body, Map<String, List<String>> headers) {
    }

    public record UpstreamResponse(int status, Map<String, List<String>> headers, byte[] body) {
    }

    public record SerializeValue(String key, Object value, String mode) {
    }

    public record LogLine(String level, String message) {
    }

    /** The upstream request being built. */
    public static final class Upstream {
        public String scheme = "http";
        public String host;
        public int port = 80;
        public String method;
        public String path;
        /** {@code null}: the client's query goes upstream unchanged. */
        public String rawQuery;
        public final Map<String, List<String>> headers = new LinkedHashMap<>();
        /** {@code null}: the client's body goes upstream unchanged. */
        public byte[] body;
        /** Set by kong.service.set_target: bypasses the service's host. */
        /** The Upstream entity kong.service.set_upstream chose by name, or null. */
        public String upstreamName;
        public String targetHost;
        public int targetPort;
        public boolean buffering;
        public int retries = 5;
        public int connectTimeoutMs = 60_000;
        public int writeTimeoutMs = 60_000;
        public int readTimeoutMs = 60_000;
        public Boolean tlsVerify;
        /** kong.service.set_tls_verify_depth's value for this request; null: the Service's. */
        public Integer tlsVerifyDepth;
    }

    /**
     * The client address as nginx's realip module makes it ($remote_addr): for a client in trusted_ips, the last
     * address of the list its real_ip_header holds (every such header, in order); with real_ip_recursive on, the
     * walk goes on leftwards while the address it reached is trusted too, and stops at the first one that is not
     * (the leftmost when all are). An entry that is not an IP address stops the walk where it was.
     */
    public String forwardedIp() {
        if (trustedIps.isEmpty() || !trustedIps.contains(clientIp)) {
            return clientIp;
        }
        List<String> sent = headers.get(realIpHeader);
        if (sent == null || sent.isEmpty()) {
            return clientIp;
        }
        String[] entries = String.join(",", sent).split(",");
        String address = clientIp;
        for (int i = entries.length - 1; i >= 0; i--) {
            String candidate = entries[i].trim();
            if (candidate.isEmpty()) {
                continue;
            }
            if (IpRanges.literal(candidate) == null) {
                break;
            }
            address = candidate;
            if (!realIpRecursive || !trustedIps.contains(address)) {
                break;
            }
        }
        return address;
    }

    public String header(String name) {
        List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
        return values == null || values.isEmpty() ? null : values.getFirst();
    }

    public void addHeader(String name, String value) {
        headers.computeIfAbsent(name.toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(value);
    }

    /** 32 hex digits, as Kong's request ids. */
    public static String randomHex() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return HexFormat.of().toHexDigits(random.nextLong()) + HexFormat.of().toHexDigits(random.nextLong());
    }

    /** A version 4 (random) UUID from a non-blocking source. */
    static UUID randomUuid() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long most = random.nextLong() & 0xFFFF_FFFF_FFFF_0FFFL | 0x4000L; // version 4
        long least = random.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL | 0x8000_0000_0000_0000L; // IETF variant
        return new UUID(most, least);
    }

    public String pathWithQuery() {
        return rawQuery.isEmpty() ? path : path + "?" + rawQuery;
    }
}
