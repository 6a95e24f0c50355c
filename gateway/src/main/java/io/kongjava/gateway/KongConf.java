package io.kongjava.gateway;

import io.kongjava.http.HeaderLimits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * kong.conf as {@code kong start} reads it: {@code key = value} lines, {@code #} comments, and
 * {@code KONG_<KEY>} environment variables overriding the file (matched case-insensitively).
 */
public final class KongConf {

    /** A plugin-server entry, with Kong 3.9+'s defaults resolved. */
    public record PluginServerEntry(String name, Path socket, String startCmd, String queryCmd) {
    }

    private final Path file;
    private final Map<String, String> values;
    /** Keys of the file that Kong does not know, each with the closest it knows: Kong ignores them silently. */
    private final List<String> warnings;
    /** Where each value came from: {@code kong.conf:LINE} or the environment variable, for error messages. */
    private final Map<String, String> origins;

    private KongConf(Path file, Map<String, String> values, Map<String, String> origins, List<String> warnings) {
        this.file = file;
        this.warnings = List.copyOf(warnings);
        this.values = values;
        this.origins = origins;
    }

    public static KongConf load(Path file, Map<String, String> environment) throws ConfigException {
        Map<String, String> values = new LinkedHashMap<>();
        Map<String, String> origins = new LinkedHashMap<>();
        List<String> warnings = new ArrayList<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage());
        }
        for (int i = 0; i < lines.size(); i++) {
            String line = stripComment(lines.get(i)).strip();
            if (line.isEmpty()) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException(file + ":" + (i + 1) + ": expected 'key = value', got '" + line + "'");
            }
            String key = line.substring(0, eq).strip().toLowerCase(Locale.ROOT);
            if (!key.matches("[a-z0-9_]+")) {
                throw new ConfigException(file + ":" + (i + 1) + ": invalid key '" + key + "'");
            }
            values.put(key, line.substring(eq + 1).strip());
            origins.put(key, file + ":" + (i + 1));
            if (!KnownKeys.isKnown(key)) {
                String closest = KnownKeys.closest(key);
                warnings.add(file + ":" + (i + 1) + ": unknown property '" + key + "'"
                        + (closest == null ? "" : ", did you mean '" + closest + "'?") + " (Kong ignores it)");
            }
        }
        environment.forEach((name, value) -> {
            if (name.regionMatches(true, 0, "KONG_", 0, 5) && name.length() > 5) {
                String key = name.substring(5).toLowerCase(Locale.ROOT);
                values.put(key, value.strip());
                origins.put(key, file + " (overridden by environment variable " + name + ")");
            }
        });
        return new KongConf(file.toAbsolutePath(), values, origins, warnings);
    }

    /** The file's keys Kong does not know, as {@code FILE:LINE: unknown property 'KEY', did you mean 'CLOSEST'?}. */
    public List<String> warnings() {
        return warnings;
    }

    /** Kong allows {@code #} in values when escaped as {@code \#}. */
    private static String stripComment(String line) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\\' && i + 1 < line.length() && line.charAt(i + 1) == '#') {
                out.append('#');
                i++;
            } else if (c == '#') {
                break;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** {@code FILE:LINE: KEY} (or the environment variable that set it), to start an error message with. */
    String where(String key) {
        return origins.getOrDefault(key, file.toString()) + ": " + key;
    }

    public Path file() {
        return file;
    }

    public String get(String key, String defaultValue) {
        String value = values.get(key);
        return value == null || value.isEmpty() ? defaultValue : value;
    }

    /**
     * Kong's {@code headers} and {@code headers_upstream}: the headers Kong adds to answers and to upstream requests,
     * lower-cased, {@code server_tokens} and {@code latency_tokens} expanded, {@code off} for none; the upstream's
     * X-Kong-Request-Id as {@code upstream:x-kong-request-id}.
     */
    public java.util.Set<String> kongHeaders() throws ConfigException {
        java.util.Set<String> enabled = new java.util.HashSet<>();
        List<String> headers = values.containsKey("headers") ? list("headers") : List.of("server_tokens", "latency_tokens", "X-Kong-Request-Id");
        for (String entry : headers) {
            switch (entry.toLowerCase(java.util.Locale.ROOT)) {
                case "off" -> {
                    if (headers.size() > 1) {
                        throw new ConfigException(where("headers") + ": 'off' cannot be used with other values");
                    }
                }
                case "server_tokens" -> enabled.addAll(List.of("server", "via"));
                case "latency_tokens" -> enabled.addAll(List.of("x-kong-proxy-latency", "x-kong-response-latency", "x-kong-admin-latency",
                        "x-kong-upstream-latency"));
                case "server", "via", "x-kong-proxy-latency", "x-kong-response-latency", "x-kong-admin-latency", "x-kong-upstream-latency",
                     "x-kong-upstream-status", "x-kong-request-id" -> enabled.add(entry.toLowerCase(java.util.Locale.ROOT));
                default -> throw new ConfigException(where("headers") + ": invalid entry '" + entry + "'");
            }
        }
        List<String> upstream = values.containsKey("headers_upstream") ? list("headers_upstream") : List.of("X-Kong-Request-Id");
        for (String entry : upstream) {
            switch (entry.toLowerCase(java.util.Locale.ROOT)) {
                case "off" -> {
                    if (upstream.size() > 1) {
                        throw new ConfigException(where("headers_upstream") + ": 'off' cannot be used with other values");
                    }
                }
                case "x-kong-request-id" -> enabled.add("upstream:x-kong-request-id");
                default -> throw new ConfigException(where("headers_upstream") + ": invalid entry '" + entry + "'");
            }
        }
        return enabled;
    }

    public List<String> list(String key) {
        List<String> out = new ArrayList<>();
        for (String part : get(key, "").split(",")) {
            if (!part.isBlank()) {
                out.add(part.strip());
            }
        }
        return out;
    }

    public Path prefix() {
        return Path.of(get("prefix", "/usr/local/kong"));
    }

    /** Resolves {@code path} against the directory of kong.conf when it is relative. */
    public Path resolve(String path) {
        Path p = Path.of(path);
        return p.isAbsolute() ? p : file.getParent().resolve(p).normalize();
    }

    /** One {@code proxy_listen} entry: its address and the flags Kong takes (kong/conf_loader/listeners.lua). */
    public record Listener(java.net.InetSocketAddress address, String entry, boolean ssl, boolean http2, boolean proxyProtocol) {
    }

    /** Kong's flags of an http listener: plain words, or patterns ({@code backlog=N}, {@code so_keepalive=...}). */
    private static final List<java.util.regex.Pattern> LISTEN_FLAGS = java.util.stream.Stream.of("ssl", "http2", "proxy_protocol",
                    "deferred", "bind", "reuseport", "backlog=\\d+", "ipv6only=on", "ipv6only=off", "so_keepalive=on",
                    "so_keepalive=off", "so_keepalive=\\w*:\\w*:\\d*")
            .map(java.util.regex.Pattern::compile).toList();
    private static final String LISTEN_USAGE = "must be of form: [off] | <ip>:<port> [ssl] [http2] [proxy_protocol] [deferred]"
            + " [bind] [reuseport] [backlog=%d+] [ipv6only=on] [ipv6only=off] [so_keepalive=on] [so_keepalive=off]"
            + " [so_keepalive=%w*:%w*:%d*], [... next entry ...]";

    /** {@code proxy_listen}'s first address: host and port. */
    public java.net.InetSocketAddress proxyListen() throws ConfigException {
        List<Listener> listeners = proxyListeners();
        if (listeners.isEmpty()) {
            throw new ConfigException(where("proxy_listen") + ": 'off': the local gateway serves nothing without a proxy listener");
        }
        return listeners.getFirst().address();
    }

    /**
     * Every {@code proxy_listen} address with its flags, as Kong parses them: a flag Kong does not know is refused with
     * Kong's usage line; {@code off} gives none (Kong's default: {@code 0.0.0.0:8000 reuseport backlog=16384,
     * 0.0.0.0:8443 http2 ssl reuseport backlog=16384}).
     */
    public List<Listener> proxyListeners() throws ConfigException {
        List<String> entries = values.containsKey("proxy_listen") ? list("proxy_listen")
                : List.of("0.0.0.0:8000 reuseport backlog=16384", "0.0.0.0:8443 http2 ssl reuseport backlog=16384");
        if (entries.isEmpty()) {
            throw new ConfigException(where("proxy_listen") + ": " + LISTEN_USAGE);
        }
        if (entries.getFirst().strip().equals("off")) {
            return List.of();
        }
        List<Listener> listeners = new ArrayList<>();
        for (String entry : entries) {
            String[] words = entry.strip().split("\\s+");
            String address = words[0];
            boolean ssl = false;
            boolean http2 = false;
            boolean proxyProtocol = false;
            for (int i = 1; i < words.length; i++) {
                String flag = words[i];
                if (LISTEN_FLAGS.stream().noneMatch(pattern -> pattern.matcher(flag).matches())) {
                    throw new ConfigException(where("proxy_listen") + ": '" + flag + "' in '" + entry.strip() + "' is no flag Kong knows;"
                            + " proxy_listen " + LISTEN_USAGE);
                }
                ssl |= flag.equals("ssl");
                http2 |= flag.equals("http2");
                proxyProtocol |= flag.equals("proxy_protocol");
            }
            int colon = address.lastIndexOf(':');
            if (colon <= 0) {
                throw new ConfigException(where("proxy_listen") + ": '" + address + "' needs host:port; proxy_listen " + LISTEN_USAGE);
            }
            String host = address.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            try {
                listeners.add(new Listener(new java.net.InetSocketAddress(host, Integer.parseInt(address.substring(colon + 1))),
                        entry.strip(), ssl, http2, proxyProtocol));
            } catch (IllegalArgumentException e) { // a port that is no number, or out of range
                throw new ConfigException(where("proxy_listen") + ": '" + address + "' has an invalid port");
            }
        }
        return listeners;
    }

    /** The pluginserver entries as Kong 3.9+ resolves them (default socket under the prefix). */
    public List<PluginServerEntry> pluginServers() throws ConfigException {
        List<PluginServerEntry> entries = new ArrayList<>();
        for (String name : list("pluginserver_names")) {
            String lower = name.toLowerCase(Locale.ROOT);
            String key = "pluginserver_" + lower.replace('-', '_') + "_";
            Path socket = Path.of(get(key + "socket", prefix().resolve(lower + ".socket").toString()));
            String start = get(key + "start_cmd", null);
            String query = get(key + "query_cmd", null);
            Path defaultBin = Path.of("/usr/local/bin", lower);
            if (start == null && Files.isExecutable(defaultBin)) {
                start = defaultBin.toString();
            }
            if (query == null) {
                if (!Files.isExecutable(defaultBin)) {
                    throw new ConfigException(where("pluginserver_names") + ": query_command undefined for pluginserver " + lower
                            + " (set " + key + "query_cmd)");
                }
                query = defaultBin + " -dump";
            }
            entries.add(new PluginServerEntry(lower, socket, start, query));
        }
        return entries;
    }

    /**
     * nginx's {@code large_client_header_buffers} and {@code underscores_in_headers} as kong.conf injects them
     * ({@code nginx_proxy_...} for the proxy server block, else {@code nginx_http_...}); Kong's when neither is set
     * ({@code 4 8k}, nginx's default, and {@code on}, which Kong's nginx template sets).
     */
    public HeaderLimits headerLimits() throws ConfigException {
        String underscoresKey = values.containsKey("nginx_proxy_underscores_in_headers") ? "nginx_proxy_underscores_in_headers"
                : "nginx_http_underscores_in_headers";
        Boolean flag = nginxFlag(underscoresKey);
        String underscores = flag == null || flag ? "on" : "off";
        String key = values.containsKey("nginx_proxy_large_client_header_buffers") ? "nginx_proxy_large_client_header_buffers"
                : "nginx_http_large_client_header_buffers";
        String value = get(key, null);
        if (value == null) {
            return new HeaderLimits(HeaderLimits.KONG_DEFAULT.buffers(), HeaderLimits.KONG_DEFAULT.bufferSize(), underscores.equals("on"));
        }
        String[] parts = value.strip().split("\\s+");
        if (parts.length != 2 || !parts[0].matches("[1-9][0-9]*")) {
            throw new ConfigException(where(key) + ": '" + value + "' is not 'NUMBER SIZE' (as nginx's default '4 8k')");
        }
        long size = parseSize(key, parts[1]);
        if (size < 1 || size > Integer.MAX_VALUE / 1024) {
            throw new ConfigException(where(key) + ": '" + value + "' has a buffer size out of range");
        }
        return new HeaderLimits(Integer.parseInt(parts[0]), (int) size, underscores.equals("on"));
    }

    /** {@code FILE:LINE: KEY} of an entry's start command, or of pluginserver_names when Kong's default path supplied it. */
    String startCmdOrigin(PluginServerEntry entry) {
        String key = "pluginserver_" + entry.name().replace('-', '_') + "_start_cmd";
        return where(values.containsKey(key) ? key : "pluginserver_names");
    }

    /** {@code FILE:LINE: KEY} of an entry's socket, as {@link #startCmdOrigin}. */
    String socketOrigin(PluginServerEntry entry) {
        String key = "pluginserver_" + entry.name().replace('-', '_') + "_socket";
        return where(values.containsKey(key) ? key : "pluginserver_names");
    }

    /** {@code FILE:LINE: KEY} of an entry's query command, as {@link #startCmdOrigin}. */
    String queryCmdOrigin(PluginServerEntry entry) {
        String key = "pluginserver_" + entry.name().replace('-', '_') + "_query_cmd";
        return where(values.containsKey(key) ? key : "pluginserver_names");
    }

    /** A whole number of at least 0 ({@code upstream_keepalive_pool_size}, say). */
    public long nonNegative(String key, long defaultValue) throws ConfigException {
        String value = get(key, null);
        if (value == null) {
            return defaultValue;
        }
        try {
            long parsed = Long.parseLong(value.strip());
            if (parsed >= 0) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new ConfigException(where(key) + ": '" + value + "' is not a whole number of at least 0");
    }

    /** A setting of nginx's boolean syntax, as Kong checks it: {@code on} or {@code off}. */
    public boolean onOff(String key, boolean defaultValue) throws ConfigException {
        String value = get(key, null);
        if (value == null) {
            return defaultValue;
        }
        return switch (value.strip()) {
            case "on" -> true;
            case "off" -> false;
            default -> {
                // Kong's ngx_boolean (conf_loader/parse.lua): anything but exactly "on" is off, without a word
                System.getLogger(KongConf.class.getName()).log(System.Logger.Level.WARNING,
                        where(key) + ": '" + value + "' is not on or off; read as off, as Kong reads it");
                yield false;
            }
        };
    }

    /**
     * An nginx flag directive kong.conf injects ({@code nginx_proxy_real_ip_recursive}): {@code on} or {@code off} in any
     * letter case, as nginx takes them; anything else would stop nginx from starting. {@code null} when not set.
     */
    public Boolean nginxFlag(String key) throws ConfigException {
        String value = get(key, null);
        if (value == null) {
            return null;
        }
        return switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "on" -> true;
            case "off" -> false;
            default -> throw new ConfigException(where(key) + ": '" + value + "' is not 'on' or 'off' (nginx would not start)");
        };
    }

    /** A setting of Kong's size syntax ({@code 16m}, {@code 8k}) in bytes. */
    public long size(String key, long defaultBytes) throws ConfigException {
        String value = get(key, null);
        if (value == null) {
            return defaultBytes;
        }
        return parseSize(key, value);
    }

    private long parseSize(String key, String value) throws ConfigException {
        String v = value.toLowerCase(Locale.ROOT);
        long unit = v.endsWith("k") ? 1024 : v.endsWith("m") ? 1024 * 1024 : v.endsWith("g") ? 1024L * 1024 * 1024 : 1;
        String digits = unit == 1 ? v : v.substring(0, v.length() - 1);
        try {
            return Long.parseLong(digits.strip()) * unit;
        } catch (NumberFormatException e) {
            throw new ConfigException(where(key) + ": '" + value + "' is not a size (expected a number, optionally with k, m or g)");
        }
    }
}
