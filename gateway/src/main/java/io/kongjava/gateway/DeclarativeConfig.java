package io.kongjava.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.snakeyaml.error.MarkedYAMLException;
import io.kongjava.emulation.Vaults;
import io.kongjava.relay.UpstreamTls;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.UUID;

/**
 * A decK / DB-less {@code kong.yaml} ({@code _format_version: "3.0"}): services, their routes, and plugins
 * on the global, service and route levels. Plugin configs are checked against the schema each plugin
 * server dumped, with defaults filled in, as Kong does when it loads the file. Consumers are refused: nothing here
 * identifies them.
 */
public final class DeclarativeConfig {

    /** A service; {@code enabled} false keeps its routes out of the router, as Kong's router build does. */
    public record Service(String id, String name, String protocol, String host, int port, String path,
                          int connectTimeout, int readTimeout, int writeTimeout, int retries, boolean enabled, UpstreamTls tls,
                          Map<String, Object> entity) {

        public Service(String id, String name, String protocol, String host, int port, String path,
                       int connectTimeout, int readTimeout, int writeTimeout, int retries, Map<String, Object> entity) {
            this(id, name, protocol, host, port, path, connectTimeout, readTimeout, writeTimeout, retries, true, UpstreamTls.KONG_DEFAULT, entity);
        }
    }

    /** A {@code certificates} entity: a certificate chain and its PKCS#8 private key, PEM. */
    public record CertificateEntity(String id, String cert, String key) {
    }

    /**
     * A route. {@code headers}: lower-cased header names, each with the values (lower-cased; {@code ~*} marks a
     * regex) one of which the request must carry; {@code regexPriority} orders regex paths of equal weight.
     */
    public record Route(String id, String name, List<String> paths, List<String> methods, List<String> hosts,
                        Map<String, List<String>> headers, List<String> snis, int regexPriority, RouteExpression expression, long priority,
                        boolean httpsOnly, int httpsRedirectStatusCode, boolean stripPath, boolean preserveHost, Service service,
                        Map<String, Object> entity) {

        public Route(String id, String name, List<String> paths, List<String> methods, List<String> hosts,
                     boolean stripPath, boolean preserveHost, Service service, Map<String, Object> entity) {
            this(id, name, paths, methods, hosts, Map.of(), List.of(), 0, null, 0, false, 426, stripPath, preserveHost, service, entity);
        }

        /** Kong's {@code request_buffering} (default true); false: the client's body goes upstream as it comes. */
        public boolean requestBuffering() {
            return !Boolean.FALSE.equals(entity.get("request_buffering"));
        }
    }

    /**
     * A configured plugin; {@code serviceId}/{@code routeId} null when not scoped to one; {@code origin} where it is
     * declared ({@code kong.yaml:12: services[0].plugins[0]}).
     */
    public record PluginEntity(String id, String name, Map<String, Object> config, String serviceId, String routeId, String origin) {
    }

    /** Why consumers, and plugins scoped to one, are refused rather than their plugins being run for every request. */
    private static final String NO_CONSUMERS = "consumers are not supported by the local gateway: it cannot identify"
            + " the consumer of a request, so a consumer's plugins would run for everyone; use Kong for this file";

    public final List<Service> services = new ArrayList<>();
    public final List<Route> routes = new ArrayList<>();
    /** Fields Kong would act on that the local gateway leaves alone, each with where it is (logged at start). */
    public final List<String> warnings = new ArrayList<>();
    public final List<PluginEntity> plugins = new ArrayList<>();
    /** The {@code ca_certificates} entities' PEM text, by id. */
    public final Map<String, String> caCertificates = new LinkedHashMap<>();
    /** The {@code certificates} entities, by id (a Service's {@code client_certificate}). */
    public final Map<String, CertificateEntity> certificates = new LinkedHashMap<>();
    private boolean expressionsRouter;
    /** The Upstreams by name: a Service whose host is one of them is balanced over its targets. */
    public final Map<String, Balancer> upstreams = new LinkedHashMap<>();

    private final Path file;
    private final UnaryOperator<String> environment;
    /** The line of each key and array element of the file, by its path ({@code services[0].routes[1].paths}). */
    private Map<String, Integer> lines = Map.of();
    /** Where each plugin was declared, by Kong's key for it (name, route, service): no two may share one. */
    private final Map<List<String>, String> declaredPlugins = new LinkedHashMap<>();
    /** Entity names already declared, by Kong's entity name ("services", "routes"), with where. */
    private final Map<String, String> declaredNames = new LinkedHashMap<>();

    private DeclarativeConfig(Path file, UnaryOperator<String> environment) {
        this.file = file;
        this.environment = environment;
    }

    /**
     * @param schemas the {@code Schema} of every plugin the plugin servers provide, by plugin name
     * @param enabled the names in kong.conf's {@code plugins} (besides {@code bundled})
     */
    public static DeclarativeConfig load(Path file, Map<String, Map<String, Object>> schemas, List<String> enabled) throws ConfigException {
        return load(file, schemas, enabled, System::getenv);
    }

    /** As above, with {@code environment} answering the env vault ({@code {vault://env/NAME}}). */
    public static DeclarativeConfig load(Path file, Map<String, Map<String, Object>> schemas, List<String> enabled,
                                         UnaryOperator<String> environment) throws ConfigException {
        return load(file, schemas, enabled, environment, false);
    }

    /**
     * @param expressionsRouter kong.conf's {@code router_flavor = expressions}: routes may then have an {@code expression}
     *                          and a {@code priority}, fields Kong's routes schema has only under that flavor
     */
    public static DeclarativeConfig load(Path file, Map<String, Map<String, Object>> schemas, List<String> enabled,
                                         UnaryOperator<String> environment, boolean expressionsRouter) throws ConfigException {
        DeclarativeConfig config = new DeclarativeConfig(file, environment);
        config.expressionsRouter = expressionsRouter;
        Map<String, Object> root;
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            Object parsed = parseYaml(text);
            config.lines = YamlLines.index(text);
            if (!(parsed instanceof Map<?, ?>)) {
                throw new ConfigException(file + ": expected a mapping at the top level");
            }
            root = cast(parsed);
        } catch (JsonProcessingException e) {
            // The line of the YAML problem itself (the parser's location is that of the last good token).
            int line = e instanceof MarkedYAMLException marked && marked.getProblemMark() != null ? marked.getProblemMark().getLine() + 1
                    : e.getLocation() != null ? e.getLocation().getLineNr() : -1;
            throw new ConfigException(file + (line > 0 ? ":" + line : "") + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage());
        }
        Object version = root.get("_format_version");
        if (version != null && !(version instanceof String)) {
            // Kong's schema types it as a string: an unquoted 3.0 is a YAML number and is refused.
            throw new ConfigException(config.at("_format_version") + ": expected a string, got "
                    + (version instanceof Number ? "the number " : "") + version
                    + " (write _format_version: \"3.0\", in quotes)");
        }
        if (version == null) {
            throw new ConfigException(config.at("_format_version") + ": required field missing (write _format_version: \"3.0\")");
        }
        if (!List.of("3.0", "2.1", "1.1").contains(String.valueOf(version))) {
            throw new ConfigException(config.at("_format_version") + ": expected one of: 1.1, 2.1, 3.0, got " + version);
        }
        if (!"3.0".equals(version)) {
            int migrated = migrateRoutePaths(root);
            if (migrated > 0) {
                config.warnings.add(config.at("_format_version") + ": " + version + ": " + migrated + " route path(s) migrated as Kong"
                        + " migrates them (a path that looks like a regex now starts with ~); write the file as 3.0 to say so yourself");
            }
        }
        for (String key : root.keySet()) {
            if (!List.of("_format_version", "_transform", "_workspace", "services", "routes", "plugins", "consumers", "upstreams",
                    "targets", "ca_certificates", "certificates").contains(key)) {
                throw new ConfigException(config.at(key) + ": unknown entity type");
            }
        }
        if (!config.list(root.get("consumers"), "consumers").isEmpty()) {
            throw new ConfigException(config.at("consumers") + ": " + NO_CONSUMERS);
        }
        List<Object> caCertificates = config.list(root.get("ca_certificates"), "ca_certificates");
        for (int i = 0; i < caCertificates.size(); i++) {
            config.addCaCertificate(config.cast(caCertificates.get(i), "ca_certificates[" + i + "]"), "ca_certificates[" + i + "]");
        }
        List<Object> certificates = config.list(root.get("certificates"), "certificates");
        for (int i = 0; i < certificates.size(); i++) {
            config.addCertificate(config.cast(certificates.get(i), "certificates[" + i + "]"), "certificates[" + i + "]");
        }
        config.addUpstreams(config.list(root.get("upstreams"), "upstreams"), config.list(root.get("targets"), "targets"));
        List<Object> services = config.list(root.get("services"), "services");
        for (int i = 0; i < services.size(); i++) {
            config.addService(config.cast(services.get(i), "services[" + i + "]"), "services[" + i + "]", schemas, enabled);
        }
        List<Object> routes = config.list(root.get("routes"), "routes");
        for (int i = 0; i < routes.size(); i++) {
            Map<String, Object> route = config.cast(routes.get(i), "routes[" + i + "]");
            Service service = null;
            if (route.get("service") != null) {
                Object ref = reference(route.get("service"));
                int index = i;
                service = config.services.stream().filter(s -> s.name().equals(ref) || s.id().equals(ref)).findFirst()
                        .orElseThrow(() -> new ConfigException(config.at("routes[" + index + "].service") + ": no service " + ref));
            }
            config.addRoute(route, service, "routes[" + i + "]", schemas, enabled);
        }
        List<Object> plugins = config.list(root.get("plugins"), "plugins");
        for (int i = 0; i < plugins.size(); i++) {
            Map<String, Object> plugin = config.cast(plugins.get(i), "plugins[" + i + "]");
            int index = i;
            // A top-level plugin may be scoped with service: and route: (by name or id), as in Kong's own files.
            String serviceId = null;
            if (plugin.get("service") != null) {
                Object ref = reference(plugin.get("service"));
                serviceId = config.services.stream().filter(s -> s.name().equals(ref) || s.id().equals(ref)).map(Service::id)
                        .findFirst().orElseThrow(() -> new ConfigException(config.at("plugins[" + index + "].service") + ": no service " + ref));
            }
            String routeId = null;
            if (plugin.get("route") != null) {
                Object ref = reference(plugin.get("route"));
                routeId = config.routes.stream().filter(r -> r.name().equals(ref) || r.id().equals(ref)).map(Route::id)
                        .findFirst().orElseThrow(() -> new ConfigException(config.at("plugins[" + index + "].route") + ": no route " + ref));
            }
            config.addPlugin(plugin, serviceId, routeId, "plugins[" + i + "]", schemas, enabled);
        }
        return config;
    }

    /**
     * The fields Kong's schemas give each entity (kong/db/schema/entities/services.lua, routes.lua with either router
     * flavor, plugins.lua; 3.x), plus what a declarative file nests in them and the service's {@code url} shorthand.
     * Kong refuses a file with any other field ("unknown field"); so does the gateway, rather than run a route whose
     * misspelt {@code strip_path} it never read.
     */
    private static final Set<String> SERVICE_FIELDS = Set.of("id", "created_at", "updated_at", "name", "retries", "protocol", "host",
            "port", "path", "connect_timeout", "write_timeout", "read_timeout", "tags", "client_certificate", "tls_verify",
            "tls_verify_depth", "ca_certificates", "enabled", "url", "routes", "plugins");
    private static final Set<String> ROUTE_FIELDS = Set.of("id", "created_at", "updated_at", "name", "protocols", "methods", "hosts",
            "paths", "headers", "https_redirect_status_code", "regex_priority", "strip_path", "path_handling", "preserve_host",
            "request_buffering", "response_buffering", "snis", "sources", "destinations", "tags", "service", "expression", "priority",
            "plugins");
    private static final Set<String> PLUGIN_FIELDS = Set.of("id", "created_at", "updated_at", "name", "instance_name", "route", "service",
            "consumer", "consumer_group", "config", "protocols", "enabled", "tags", "ordering");

    /**
     * Kong's fields the local gateway does not act on, with the value under which that makes no difference (Kong's
     * default; {@code null}: only absent or empty). Set otherwise, Kong would route or proxy differently.
     */
    // request_buffering is acted on; response_buffering switches nginx's proxy_buffering, which changes how long the
    // upstream's connection is held for a slow client, not what the client or a plugin sees: the gateway streams
    // answers either way (Kong's response phase buffers the answer whatever the route says, here as there).
    private static final Map<String, Object> ROUTE_FIELDS_IGNORED = Map.of();
    /** Kong's cap on an expression route's priority (its routes schema: between 0 and 2^46 - 1). */
    private static final long MAX_PRIORITY = (1L << 46) - 1;
    private static final Map<String, Object> SERVICE_FIELDS_IGNORED = Map.of();
    private static final Set<String> CA_CERTIFICATE_FIELDS = Set.of("id", "cert", "cert_digest", "tags", "created_at", "updated_at");
    private static final Set<String> CERTIFICATE_FIELDS = Set.of("id", "cert", "key", "cert_alt", "key_alt", "snis", "tags",
            "created_at", "updated_at");
    private static final Map<String, Object> PLUGIN_FIELDS_IGNORED = defaults("ordering", null, "consumer_group", null);

    private static Map<String, Object> defaults(Object... fieldsAndValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < fieldsAndValues.length; i += 2) {
            map.put((String) fieldsAndValues[i], fieldsAndValues[i + 1]);
        }
        return map;
    }

    /** When this file was loaded, in seconds: DB-less Kong fills each entity's created_at and updated_at with it. */
    private final long loadedAt = java.time.Instant.now().getEpochSecond();

    private void timestamps(Map<String, Object> entity, Map<String, Object> given) {
        for (String field : List.of("created_at", "updated_at")) {
            entity.put(field, given.get(field) instanceof Number n ? (Object) n.longValue() : loadedAt);
        }
    }

    private void refuseUnknownFields(Map<String, Object> entity, Set<String> known, String where) throws ConfigException {
        for (String field : entity.keySet()) {
            if (!known.contains(field)) {
                throw new ConfigException(at(where + "." + field) + ": unknown field");
            }
        }
    }

    /**
     * Kong's migration of a 1.1 or 2.1 file's route paths (kong/db/declarative/migrations/route_path.lua with
     * migrate_path_280_300.lua): a path of only {@code [a-zA-Z0-9.\-_~/%]} is normalized; any other is a regex, and
     * gets {@code ~} with its percent-encoded bytes decoded (reserved ones upper-cased, regex metacharacters escaped).
     * Returns how many paths changed.
     */
    @SuppressWarnings("unchecked")
    static int migrateRoutePaths(Map<String, Object> root) {
        List<Object> routes = new ArrayList<>();
        if (root.get("routes") instanceof List<?> top) {
            routes.addAll(top);
        }
        if (root.get("services") instanceof List<?> services) {
            for (Object service : services) {
                if (service instanceof Map<?, ?> s && s.get("routes") instanceof List<?> nested) {
                    routes.addAll(nested);
                }
            }
        }
        int changed = 0;
        for (Object route : routes) {
            if (route instanceof Map<?, ?> r && r.get("paths") instanceof List<?> paths) {
                List<Object> migrated = new ArrayList<>();
                for (Object path : paths) {
                    String now = path instanceof String p ? migratePath(p) : null;
                    if (now != null && !now.equals(path)) {
                        changed++;
                    }
                    migrated.add(now != null ? now : path);
                }
                ((Map<String, Object>) r).put("paths", migrated);
            }
        }
        return changed;
    }

    private static final java.util.regex.Pattern NOT_REGEX = java.util.regex.Pattern.compile("[a-zA-Z0-9.\\-_~/%]*");
    private static final String RESERVED = "!#$%&'()*+,/:;=?@[]";
    private static final Map<Character, String> REGEX_META = Map.of('.', "\\.", '^', "\\^", '-', "\\-", '{', "\\{", '}', "\\}",
            '\\', "\\\\", '|', "\\|");

    static String migratePath(String path) {
        if (NOT_REGEX.matcher(path).matches()) {
            return io.kongjava.emulation.KongUri.normalize(path, true);
        }
        StringBuilder out = new StringBuilder("~");
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '%' && i + 2 < path.length() && isHex(path.charAt(i + 1)) && isHex(path.charAt(i + 2))) {
                char decoded = (char) Integer.parseInt(path.substring(i + 1, i + 3), 16);
                out.append(RESERVED.indexOf(decoded) >= 0 ? path.substring(i, i + 3).toUpperCase(Locale.ROOT)
                        : REGEX_META.getOrDefault(decoded, String.valueOf(decoded)));
                i += 2;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean isHex(char c) {
        return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F';
    }

    /** Kong's declarative loader: "uniqueness violation: 'services' entity with name set to 'x' already declared". */
    private void refuseDuplicateName(String entities, String name, String where) throws ConfigException {
        if (name == null) {
            return;
        }
        String earlier = declaredNames.putIfAbsent(entities + "\u0000" + name, where);
        if (earlier != null) {
            throw new ConfigException(at(where + ".name") + ": uniqueness violation: '" + entities + "' entity with name set to '"
                    + name + "' already declared (at " + earlier + ")");
        }
    }

    /** Kong's {@code tags}: a set of strings. */
    private void checkTags(Map<String, Object> entity, String where) throws ConfigException {
        Object tags = entity.get("tags");
        if (tags == null) {
            return;
        }
        if (!(tags instanceof List<?> list)) {
            throw new ConfigException(at(where + ".tags") + ": expected a set");
        }
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof String)) {
                throw new ConfigException(at(where + ".tags[" + i + "]") + ": expected a string");
            }
        }
    }

    private void warnIgnored(Map<String, Object> entity, Map<String, Object> ignored, String where) {
        ignored.forEach((field, harmless) -> {
            Object value = entity.get(field);
            boolean empty = value == null || (value instanceof java.util.Collection<?> c && c.isEmpty()) || (value instanceof Map<?, ?> m && m.isEmpty());
            boolean same = harmless != null && value instanceof Number n && harmless instanceof Number h ? n.longValue() == h.longValue()
                    : harmless != null && harmless.equals(value);
            if (!empty && !same) {
                warnings.add(at(where + "." + field) + ": set to " + value + ", which Kong acts on and the local gateway ignores");
            }
        });
    }

    /**
     * A Service's TLS settings, as Kong and nginx apply them to the upstream's connection: {@code tls_verify} unset or
     * false checks nothing (nginx's {@code proxy_ssl_verify off}, Kong's default); true checks the certificate and
     * its name against the JVM's trust store plus the Service's {@code ca_certificates}, through at most
     * {@code tls_verify_depth} intermediate CAs (nginx's default, 1, when unset); {@code client_certificate}
     * is presented when the upstream asks. Only for https Services, as Kong's schema says. Also set in the Service
     * entity plugins read, so that java-ai-proxy's relay applies them too.
     */
    private UpstreamTls serviceTls(Map<String, Object> s, String protocol, String where, Map<String, Object> entity) throws ConfigException {
        for (String field : List.of("tls_verify", "tls_verify_depth", "ca_certificates", "client_certificate")) {
            if (s.get(field) != null && !"https".equals(protocol)) {
                throw new ConfigException(at(where + "." + field) + ": can only be set when 'protocol' is 'https' (this Service's is '" + protocol + "')");
            }
        }
        Object verify = s.get("tls_verify");
        if (verify != null && !(verify instanceof Boolean)) {
            throw new ConfigException(at(where + ".tls_verify") + ": expected a boolean");
        }
        Integer verifyDepth = null;
        if (s.get("tls_verify_depth") != null) {
            int depth = intValue(s.get("tls_verify_depth"), 0);
            verifyDepth = depth;
            if (depth < 0 || depth > 64) {
                throw new ConfigException(at(where + ".tls_verify_depth") + ": value should be between 0 and 64");
            }
            entity.put("tls_verify_depth", (long) depth);
        }
        List<String> caIds = strings(s.get("ca_certificates"), where + ".ca_certificates");
        for (String caId : caIds) {
            if (!caCertificates.containsKey(caId)) {
                throw new ConfigException(at(where + ".ca_certificates") + ": no ca_certificates entity with id " + caId
                        + (caCertificates.isEmpty() ? " (this file has none)" : "; known: " + caCertificates.keySet()));
            }
        }
        String clientId = null;
        if (s.get("client_certificate") != null) {
            Object reference = s.get("client_certificate") instanceof Map<?, ?> map ? map.get("id") : s.get("client_certificate");
            clientId = reference == null ? null : String.valueOf(reference);
            if (clientId == null || !certificates.containsKey(clientId)) {
                throw new ConfigException(at(where + ".client_certificate") + ": no certificates entity with id " + clientId
                        + (certificates.isEmpty() ? " (this file has none)" : "; known: " + certificates.keySet()));
            }
        }
        if (verify != null) {
            entity.put("tls_verify", verify);
        }
        if (!caIds.isEmpty()) {
            entity.put("ca_certificates", caIds);
        }
        if (clientId != null) {
            entity.put("client_certificate", Map.of("id", clientId));
        }
        return new UpstreamTls(Boolean.TRUE.equals(verify), List.copyOf(caIds), clientId, verifyDepth);
    }

    private void addCaCertificate(Map<String, Object> c, String where) throws ConfigException {
        refuseUnknownFields(c, CA_CERTIFICATE_FIELDS, where);
        String pem = string(c.get("cert"), null);
        if (pem == null) {
            throw new ConfigException(at(where + ".cert") + ": required field missing");
        }
        List<java.security.cert.X509Certificate> chain = pemCertificates(pem, where + ".cert");
        if (chain.getFirst().getBasicConstraints() < 0) {
            // Kong's ca_certificates schema checks the same
            throw new ConfigException(at(where + ".cert") + ": not a CA certificate (it lacks the CA basic constraint); a server's own"
                    + " certificate that signs itself needs it too, e.g. keytool -ext bc:c");
        }
        String id = string(c.get("id"), uuid("ca_certificate:" + where));
        caCertificates.put(id, pem);
    }

    private List<java.security.cert.X509Certificate> pemCertificates(String pem, String where) throws ConfigException {
        try {
            return UpstreamTls.certificates(pem);
        } catch (java.security.GeneralSecurityException e) {
            throw new ConfigException(at(where) + ": not a PEM certificate: " + e.getMessage());
        }
    }

    private static final Set<String> UPSTREAM_FIELDS = Set.of("id", "created_at", "updated_at", "name", "algorithm", "hash_on",
            "hash_fallback", "hash_on_header", "hash_fallback_header", "hash_on_cookie", "hash_on_cookie_path", "hash_on_query_arg",
            "hash_fallback_query_arg", "hash_on_uri_capture", "hash_fallback_uri_capture", "slots", "healthchecks", "tags", "host_header",
            "client_certificate", "use_srv_name", "targets", "sticky_sessions_cookie", "sticky_sessions_cookie_path");
    private static final Set<String> TARGET_FIELDS = Set.of("id", "created_at", "updated_at", "upstream", "target", "weight", "tags");

    /** The Upstreams with their nested targets, and the top-level targets that name their Upstream (by name or id). */
    private void addUpstreams(List<Object> upstreamEntries, List<Object> targetEntries) throws ConfigException {
        Map<String, List<Balancer.Target>> targetsByUpstream = new LinkedHashMap<>();
        Map<String, Map<String, Object>> byIdOrName = new LinkedHashMap<>();
        Map<String, String> whereOf = new LinkedHashMap<>();
        for (int i = 0; i < upstreamEntries.size(); i++) {
            String where = "upstreams[" + i + "]";
            Map<String, Object> u = cast(upstreamEntries.get(i), where);
            refuseUnknownFields(u, UPSTREAM_FIELDS, where);
            String name = string(u.get("name"), null);
            if (name == null) {
                throw new ConfigException(at(where + ".name") + ": required field missing");
            }
            if (targetsByUpstream.containsKey(name)) {
                throw new ConfigException(at(where + ".name") + ": another upstream is named " + name);
            }
            List<Balancer.Target> targets = new java.util.ArrayList<>();
            targetsByUpstream.put(name, targets);
            byIdOrName.put(name, u);
            whereOf.put(name, where);
            if (u.get("id") != null) {
                byIdOrName.put(String.valueOf(u.get("id")), u);
            }
            List<Object> nested = list(u.get("targets"), where + ".targets");
            for (int t = 0; t < nested.size(); t++) {
                targets.add(target(cast(nested.get(t), where + ".targets[" + t + "]"), where + ".targets[" + t + "]"));
            }
        }
        for (int i = 0; i < targetEntries.size(); i++) {
            String where = "targets[" + i + "]";
            Map<String, Object> t = cast(targetEntries.get(i), where);
            Object reference = reference(t.get("upstream"));
            Map<String, Object> upstream = reference == null ? null : byIdOrName.get(String.valueOf(reference));
            if (upstream == null) {
                throw new ConfigException(at(where + ".upstream") + ": " + (reference == null ? "required field missing" : "no upstream " + reference));
            }
            targetsByUpstream.get(String.valueOf(upstream.get("name"))).add(target(t, where));
        }
        for (Map.Entry<String, List<Balancer.Target>> entry : targetsByUpstream.entrySet()) {
            String name = entry.getKey();
            String where = whereOf.get(name);
            Map<String, Object> u = byIdOrName.get(name);
            String algorithm = string(u.get("algorithm"), "round-robin");
            if (!List.of("round-robin", "least-connections", "consistent-hashing", "latency").contains(algorithm)) {
                throw new ConfigException(at(where + ".algorithm") + ": expected one of: consistent-hashing, least-connections, round-robin, latency");
            }
            Balancer.Hash hashOn = hash(u, "hash_on", "hash_on_header", "hash_on_cookie", "hash_on_query_arg", "hash_on_uri_capture", where);
            Balancer.Hash hashFallback = hash(u, "hash_fallback", "hash_fallback_header", "hash_on_cookie", "hash_fallback_query_arg",
                    "hash_fallback_uri_capture", where);
            if (!hashOn.on().equals("none") && u.get("algorithm") == null) {
                algorithm = "consistent-hashing"; // Kong's shorthand: a hash_on makes the algorithm consistent-hashing
            }
            TargetHealth.Thresholds passive = passiveChecks(u.get("healthchecks"), where);
            ActiveHealthChecks.Probe active = activeChecks(u.get("healthchecks"), where);
            double threshold = 0;
            if (u.get("healthchecks") instanceof Map<?, ?> checks) {
                onlyFields(checks, Set.of("active", "passive", "threshold"), where + ".healthchecks");
                Object given = checks.get("threshold");
                if (given != null && !(given instanceof Number n && n.doubleValue() >= 0 && n.doubleValue() <= 100)) {
                    throw new ConfigException(at(where + ".healthchecks.threshold") + ": " + given + " is not a number between 0 and 100");
                }
                threshold = given == null ? 0 : ((Number) given).doubleValue();
            }
            for (String field : List.of("client_certificate", "use_srv_name", "sticky_sessions_cookie")) {
                if (u.get(field) != null && !Boolean.FALSE.equals(u.get(field))) {
                    warnings.add(at(where + "." + field) + ": set to " + u.get(field) + ", which Kong acts on and the local gateway ignores");
                }
            }
            upstreams.put(name, new Balancer(name, algorithm, hashOn, hashFallback, string(u.get("host_header"), null), entry.getValue(), passive, active,
                    threshold));
        }
    }

    private static final Set<String> ACTIVE_FIELDS = Set.of("type", "timeout", "concurrency", "http_path", "https_sni",
            "https_verify_certificate", "headers", "healthy", "unhealthy");
    private static final Set<String> HEALTHY_FIELDS = Set.of("interval", "http_statuses", "successes");
    private static final Set<String> UNHEALTHY_FIELDS = Set.of("interval", "http_statuses", "tcp_failures", "timeouts", "http_failures");

    /** An Upstream's {@code healthchecks.passive} thresholds, with Kong's defaults and bounds. */
    private TargetHealth.Thresholds passiveChecks(Object checks, String where) throws ConfigException {
        Map<?, ?> passive = checks instanceof Map<?, ?> c && c.get("passive") instanceof Map<?, ?> p ? p : Map.of();
        String at = where + ".healthchecks.passive";
        onlyFields(passive, Set.of("type", "healthy", "unhealthy"), at);
        String type = string(passive.get("type"), "http");
        if (!List.of("tcp", "http", "https", "grpc", "grpcs").contains(type)) {
            throw new ConfigException(at(at + ".type") + ": expected one of: tcp, http, https, grpc, grpcs");
        }
        return thresholds(passive, at, TargetHealth.Thresholds.PASSIVE, false);
    }

    /** An Upstream's {@code healthchecks.active} probe, with Kong's defaults and bounds. */
    private ActiveHealthChecks.Probe activeChecks(Object checks, String where) throws ConfigException {
        if (!(checks instanceof Map<?, ?> c && c.get("active") instanceof Map<?, ?> active)) {
            return ActiveHealthChecks.Probe.OFF;
        }
        String at = where + ".healthchecks.active";
        onlyFields(active, ACTIVE_FIELDS, at);
        ActiveHealthChecks.Probe defaults = ActiveHealthChecks.Probe.OFF;
        String type = string(active.get("type"), defaults.type());
        if (!List.of("tcp", "http", "https", "grpc", "grpcs").contains(type)) {
            throw new ConfigException(at(at + ".type") + ": expected one of: tcp, http, https, grpc, grpcs");
        }
        Duration healthyInterval = seconds(nested(active, "healthy").get("interval"), at + ".healthy.interval", 0);
        Duration unhealthyInterval = seconds(nested(active, "unhealthy").get("interval"), at + ".unhealthy.interval", 0);
        if (type.startsWith("grpc") && (!healthyInterval.isZero() || !unhealthyInterval.isZero())) {
            warnings.add(at(at + ".type") + ": " + type + " probes are not run by the local gateway (tcp, http and https are)");
            healthyInterval = Duration.ZERO;
            unhealthyInterval = Duration.ZERO;
        }
        String path = string(active.get("http_path"), defaults.httpPath());
        if (!path.startsWith("/")) {
            throw new ConfigException(at(at + ".http_path") + ": should start with: /");
        }
        Map<String, List<String>> headers = new LinkedHashMap<>();
        if (active.get("headers") instanceof Map<?, ?> given) {
            for (Map.Entry<?, ?> header : given.entrySet()) {
                headers.put(String.valueOf(header.getKey()), strings(header.getValue() instanceof List<?> ? header.getValue()
                        : List.of(header.getValue()), at + ".headers." + header.getKey()));
            }
        } else if (active.get("headers") != null) {
            throw new ConfigException(at(at + ".headers") + ": expected a map of header names to lists of values");
        }
        Object verify = active.get("https_verify_certificate");
        if (verify != null && !(verify instanceof Boolean)) {
            throw new ConfigException(at(at + ".https_verify_certificate") + ": expected a boolean");
        }
        return new ActiveHealthChecks.Probe(type, seconds(active.get("timeout"), at + ".timeout", 1),
                (int) bounded(active.get("concurrency"), at + ".concurrency", 1, 1L << 31, defaults.concurrency()),
                path, string(active.get("https_sni"), null), verify == null || (Boolean) verify, headers,
                healthyInterval, unhealthyInterval, thresholds(active, at, TargetHealth.Thresholds.ACTIVE, true));
    }

    private TargetHealth.Thresholds thresholds(Map<?, ?> check, String at, TargetHealth.Thresholds defaults, boolean active)
            throws ConfigException {
        Map<?, ?> healthy = nested(check, "healthy");
        Map<?, ?> unhealthy = nested(check, "unhealthy");
        if (!active) {
            onlyFields(healthy, Set.of("http_statuses", "successes"), at + ".healthy");
            onlyFields(unhealthy, Set.of("http_statuses", "tcp_failures", "timeouts", "http_failures"), at + ".unhealthy");
        } else {
            onlyFields(healthy, HEALTHY_FIELDS, at + ".healthy");
            onlyFields(unhealthy, UNHEALTHY_FIELDS, at + ".unhealthy");
        }
        return new TargetHealth.Thresholds(
                statuses(healthy.get("http_statuses"), at + ".healthy.http_statuses", defaults.healthyStatuses()),
                (int) bounded(healthy.get("successes"), at + ".healthy.successes", 0, 255, 0),
                statuses(unhealthy.get("http_statuses"), at + ".unhealthy.http_statuses", defaults.unhealthyStatuses()),
                (int) bounded(unhealthy.get("tcp_failures"), at + ".unhealthy.tcp_failures", 0, 255, 0),
                (int) bounded(unhealthy.get("timeouts"), at + ".unhealthy.timeouts", 0, 255, 0),
                (int) bounded(unhealthy.get("http_failures"), at + ".unhealthy.http_failures", 0, 255, 0));
    }

    private Map<?, ?> nested(Map<?, ?> map, String field) throws ConfigException {
        Object value = map.get(field);
        return value instanceof Map<?, ?> m ? m : Map.of();
    }

    private void onlyFields(Map<?, ?> map, Set<String> known, String at) throws ConfigException {
        for (Object key : map.keySet()) {
            if (!known.contains(String.valueOf(key))) {
                throw new ConfigException(at(at + "." + key) + ": unknown field");
            }
        }
    }

    private Set<Integer> statuses(Object value, String at, Set<Integer> defaults) throws ConfigException {
        if (value == null) {
            return defaults;
        }
        Set<Integer> out = new java.util.HashSet<>();
        for (Object code : list(value, at)) {
            if (!(code instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.intValue() < 100 || n.intValue() > 999) {
                throw new ConfigException(at(at) + ": " + code + " is not a status code (an integer between 100 and 999)");
            }
            out.add(n.intValue());
        }
        return Set.copyOf(out);
    }

    /** A host's port: after the last colon of a name or of a bracketed IPv6 address (a bare IPv6 address has none). */
    private static final java.util.regex.Pattern HOST_PORT = java.util.regex.Pattern.compile("^(?:\\[[^\\]]*\\]|[^:\\[\\]]+):([0-9]+)$");

    /** Kong's constants.PROTOCOLS, what a Service's protocol may be. */
    private static final List<String> KONG_PROTOCOLS = List.of("grpc", "grpcs", "http", "https", "tcp", "tls", "tls_passthrough", "udp", "ws", "wss");
    /** A Service timeout's upper bound in Kong's schema (kong/db/schema/entities/services.lua): 2^31 - 2 ms. */
    private static final long MAX_TIMEOUT_MS = 2147483646L;

    /** An integer field as Kong's schema checks it: a whole number (not a quoted one) within {@code between}. */
    private long kongInteger(Object value, String at, long min, long max, long defaultValue) throws ConfigException {
        if (value == null) {
            return defaultValue;
        }
        if (!(value instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || Double.isInfinite(n.doubleValue())) {
            throw new ConfigException(at(at) + ": expected an integer" + (value instanceof String ? " (got the string '" + value
                    + "'; write it without quotes)" : ""));
        }
        if (n.doubleValue() < min || n.doubleValue() > max) {
            throw new ConfigException(at(at) + ": value should be between " + min + " and " + max);
        }
        return n.longValue();
    }

    private long bounded(Object value, String at, long min, long max, long defaultValue) throws ConfigException {
        if (value == null) {
            return defaultValue;
        }
        if (!(value instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.longValue() < min || n.longValue() > max) {
            throw new ConfigException(at(at) + ": " + value + " is not an integer between " + min + " and " + max);
        }
        return n.longValue();
    }

    private Duration seconds(Object value, String at, double defaultSeconds) throws ConfigException {
        double seconds = defaultSeconds;
        if (value != null) {
            if (!(value instanceof Number n) || n.doubleValue() < 0 || n.doubleValue() > 65535) {
                throw new ConfigException(at(at) + ": " + value + " is not a number of seconds between 0 and 65535");
            }
            seconds = n.doubleValue();
        }
        return Duration.ofNanos(Math.round(seconds * 1e9));
    }

    private Balancer.Hash hash(Map<String, Object> u, String field, String headerField, String cookieField, String queryField,
                               String captureField, String where) throws ConfigException {
        String on = string(u.get(field), "none");
        String key = switch (on) {
            case "none", "ip", "path", "consumer" -> null;
            case "header" -> string(u.get(headerField), null);
            case "cookie" -> string(u.get(cookieField), null);
            case "query_arg" -> string(u.get(queryField), null);
            case "uri_capture" -> string(u.get(captureField), null);
            default -> throw new ConfigException(at(where + "." + field)
                    + ": expected one of: none, consumer, ip, header, cookie, path, query_arg, uri_capture");
        };
        if (List.of("header", "cookie", "query_arg", "uri_capture").contains(on) && key == null) {
            throw new ConfigException(at(where + "." + field) + ": " + on + " needs " + switch (on) {
                case "header" -> headerField;
                case "cookie" -> cookieField;
                case "query_arg" -> queryField;
                default -> captureField;
            });
        }
        return new Balancer.Hash(on, on.equals("header") ? key.toLowerCase(Locale.ROOT) : key);
    }

    /** {@code host:port}, {@code [v6]:port}, or a host alone (Kong's default target port, 8000); weight 0 to 65535. */
    private Balancer.Target target(Map<String, Object> t, String where) throws ConfigException {
        refuseUnknownFields(t, TARGET_FIELDS, where);
        String text = string(t.get("target"), null);
        if (text == null || text.isBlank()) {
            throw new ConfigException(at(where + ".target") + ": required field missing");
        }
        String host = text;
        int port = Balancer.DEFAULT_TARGET_PORT;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            host = close > 0 ? text.substring(1, close) : text;
            if (close > 0 && text.length() > close + 1 && text.charAt(close + 1) == ':') {
                port = port(text.substring(close + 2), where);
            }
        } else if (text.indexOf(':') >= 0 && text.indexOf(':') == text.lastIndexOf(':')) {
            host = text.substring(0, text.indexOf(':'));
            port = port(text.substring(text.indexOf(':') + 1), where);
        }
        if (host.isEmpty() || host.chars().anyMatch(c -> Character.isWhitespace(c) || c == '/')) {
            throw new ConfigException(at(where + ".target") + ": Invalid target ('" + text + "'); not a valid hostname or ip address");
        }
        int weight = intValue(t.get("weight"), 100);
        if (weight < 0 || weight > 65535) {
            throw new ConfigException(at(where + ".weight") + ": value should be between 0 and 65535");
        }
        return new Balancer.Target(host, port, weight);
    }

    private int port(String digits, String where) throws ConfigException {
        if (!digits.matches("[0-9]{1,5}") || Integer.parseInt(digits) > 65535) {
            throw new ConfigException(at(where + ".target") + ": invalid port '" + digits + "'");
        }
        return Integer.parseInt(digits);
    }

    private void addCertificate(Map<String, Object> c, String where) throws ConfigException {
        refuseUnknownFields(c, CERTIFICATE_FIELDS, where);
        String cert = string(c.get("cert"), null);
        String key = string(c.get("key"), null);
        if (cert == null || key == null) {
            throw new ConfigException(at(where + (cert == null ? ".cert" : ".key")) + ": required field missing");
        }
        pemCertificates(cert, where + ".cert");
        try {
            UpstreamTls.privateKey(key);
        } catch (java.security.GeneralSecurityException | IllegalArgumentException e) {
            throw new ConfigException(at(where + ".key") + ": " + (key.contains("BEGIN RSA PRIVATE KEY") || key.contains("BEGIN EC PRIVATE KEY")
                    ? "a PKCS#1/SEC1 key; give it as PKCS#8 (openssl pkcs8 -topk8 -nocrypt -in key.pem)" : e.getMessage()));
        }
        if (c.get("cert_alt") != null || c.get("key_alt") != null) {
            warnings.add(at(where + ".cert_alt") + ": an alternate certificate is for Kong's own TLS listeners; the local gateway"
                    + " presents 'cert' and 'key' to upstreams, as Kong does");
        }
        String id = string(c.get("id"), uuid("certificate:" + where));
        certificates.put(id, new CertificateEntity(id, cert, key));
    }

    private void addService(Map<String, Object> s, String where, Map<String, Map<String, Object>> schemas, List<String> enabled) throws ConfigException {
        refuseUnknownFields(s, SERVICE_FIELDS, where);
        warnIgnored(s, SERVICE_FIELDS_IGNORED, where);
        checkTags(s, where);
        String name = string(s.get("name"), null);
        refuseDuplicateName("services", name, where);
        String protocol = string(s.get("protocol"), "http");
        String host = string(s.get("host"), null);
        int port = -1;
        String path = string(s.get("path"), null);
        if (s.get("url") != null) {
            String text = string(s.get("url"), "");
            URI url;
            try {
                url = URI.create(text);
            } catch (IllegalArgumentException e) {
                url = null;
            }
            if (url == null || url.getScheme() == null || url.getHost() == null) {
                throw new ConfigException(at(where + ".url") + ": '" + text + "' is not a URL with a scheme and a host"
                        + " (e.g. http://127.0.0.1:8080/path)");
            }
            protocol = url.getScheme();
            host = url.getHost();
            port = url.getPort();
            path = url.getRawPath() == null || url.getRawPath().isEmpty() ? null : url.getRawPath();
        }
        if (host == null) {
            throw new ConfigException(at(where + ".host") + ": required field missing");
        }
        if (!KONG_PROTOCOLS.contains(protocol)) {
            throw new ConfigException(at(where + (s.get("url") != null ? ".url" : ".protocol")) + ": expected one of: "
                    + String.join(", ", KONG_PROTOCOLS));
        }
        if (!protocol.equals("http") && !protocol.equals("https")) {
            throw new ConfigException(at(where + (s.get("url") != null ? ".url" : ".protocol")) + ": '" + protocol
                    + "': the local gateway proxies http and https Services only");
        }
        if (port < 0) {
            port = (int) kongInteger(s.get("port"), where + ".port", 0, 65535, "https".equals(protocol) ? 443 : 80);
        }
        String id = string(s.get("id"), uuid("service:" + (name != null ? name : where)));
        Map<String, Object> entity = new LinkedHashMap<>();
        entity.put("id", id);
        if (name != null) {
            entity.put("name", name);
        }
        entity.put("protocol", protocol);
        entity.put("host", host);
        entity.put("port", (long) port);
        if (path != null) {
            entity.put("path", path);
        }
        int connect = (int) kongInteger(s.get("connect_timeout"), where + ".connect_timeout", 1, MAX_TIMEOUT_MS, 60000);
        int read = (int) kongInteger(s.get("read_timeout"), where + ".read_timeout", 1, MAX_TIMEOUT_MS, 60000);
        int write = (int) kongInteger(s.get("write_timeout"), where + ".write_timeout", 1, MAX_TIMEOUT_MS, 60000);
        int retries = (int) kongInteger(s.get("retries"), where + ".retries", 0, 32767, 5);
        entity.put("connect_timeout", (long) connect);
        entity.put("read_timeout", (long) read);
        entity.put("write_timeout", (long) write);
        entity.put("retries", (long) retries);
        boolean serviceEnabled = !(s.get("enabled") instanceof Boolean b) || b;
        entity.put("enabled", serviceEnabled);
        UpstreamTls tls = serviceTls(s, protocol, where, entity);
        timestamps(entity, s);
        entity.put("ws_id", "00000000-0000-4000-8000-000000000000");
        Service service = new Service(id, name == null ? id : name, protocol, host, port, path, connect, read, write, retries, serviceEnabled,
                tls, entity);
        services.add(service);
        List<Object> routes = list(s.get("routes"), where + ".routes");
        for (int i = 0; i < routes.size(); i++) {
            addRoute(cast(routes.get(i), where + ".routes[" + i + "]"), service, where + ".routes[" + i + "]", schemas, enabled);
        }
        List<Object> plugins = list(s.get("plugins"), where + ".plugins");
        for (int i = 0; i < plugins.size(); i++) {
            addPlugin(cast(plugins.get(i), where + ".plugins[" + i + "]"), id, null, where + ".plugins[" + i + "]", schemas, enabled);
        }
    }

    /**
     * A route's {@code headers}: a map of header names to lists of values, as Kong's routes schema has it. Names
     * and values are lower-cased (Kong's router compares both case-insensitively); Host belongs in {@code hosts}.
     */
    private Map<String, List<String>> headers(Object value, String where) throws ConfigException {
        if (value == null) {
            return Map.of();
        }
        if (!(value instanceof Map<?, ?> map)) {
            throw new ConfigException(at(where) + ": expected a map");
        }
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            String name = String.valueOf(entry.getKey());
            String at = where + "." + name;
            if (name.equalsIgnoreCase("host")) {
                throw new ConfigException(at(at) + ": cannot contain 'host' header, which must be specified in the 'hosts' attribute");
            }
            if (!name.matches("[a-zA-Z0-9_-]+")) {
                throw new ConfigException(at(at) + ": " + (name.isEmpty() ? "no header name provided"
                        : "bad header name '" + name + "', allowed characters are A-Z, a-z, 0-9, '_', and '-'"));
            }
            List<String> values = new ArrayList<>();
            for (String v : strings(entry.getValue(), at)) {
                if (v.startsWith("~*")) {
                    try {
                        java.util.regex.Pattern.compile(v.substring(2).toLowerCase(Locale.ROOT));
                    } catch (java.util.regex.PatternSyntaxException e) {
                        throw new ConfigException(at(at) + ": invalid regex '" + v.substring(2) + "': " + e.getDescription());
                    }
                }
                values.add(v.toLowerCase(Locale.ROOT));
            }
            if (values.isEmpty()) {
                throw new ConfigException(at(at) + ": length must be at least 1");
            }
            headers.put(name.toLowerCase(Locale.ROOT), List.copyOf(values));
        }
        return headers;
    }

    /**
     * A route's {@code snis}: server names (a {@code *} may stand for the leftmost or rightmost label), allowed
     * only on a route Kong can serve over TLS. Kong's router leaves them out of the match for a request that did
     * not come over https (kong/router/transform.lua), as every request to the local gateway does; they still
     * count in the route's priority.
     */
    private List<String> snis(Object value, List<String> protocols, String where) throws ConfigException {
        List<String> snis = strings(value, where).stream().map(sni -> sni.toLowerCase(Locale.ROOT)).toList();
        if (snis.isEmpty()) {
            return snis;
        }
        if (protocols.stream().noneMatch(List.of("https", "grpcs", "tls", "tls_passthrough")::contains)) {
            throw new ConfigException(at(where) + ": only allowed when 'protocols' include 'https', 'grpcs', 'tls' or 'tls_passthrough'");
        }
        for (String sni : snis) {
            String name = sni.startsWith("*.") ? sni.substring(2) : sni.endsWith(".*") ? sni.substring(0, sni.length() - 2) : sni;
            if (!SERVER_NAME.matcher(name).matches()) {
                throw new ConfigException(at(where) + ": invalid server name '" + sni + "'"
                        + (name.contains("*") ? ": a wildcard must be the leftmost or the rightmost label" : ""));
            }
        }
        return snis;
    }

    /** A host name without port: dot-separated labels of letters, digits, '-' and '_' (no IP literal check beyond that). */
    private static final java.util.regex.Pattern SERVER_NAME = java.util.regex.Pattern.compile("[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\\.?");

    /**
     * The route's {@code expression}, checked as Kong's routes schema checks it under {@code router_flavor = expressions}:
     * no traditional condition beside it, no {@code regex_priority}; a {@code priority} only with it. Without that flavor
     * Kong's schema has neither field.
     */
    private RouteExpression expression(Map<String, Object> r, String where, List<String> paths, List<String> methods, List<String> hosts,
                                       Map<String, List<String>> headers, List<String> snis, int regexPriority) throws ConfigException {
        for (String field : List.of("expression", "priority")) {
            if (r.containsKey(field) && !expressionsRouter) {
                throw new ConfigException(at(where + "." + field) + ": unknown field (Kong's routes have it only with"
                        + " router_flavor = expressions in kong.conf)");
            }
        }
        boolean traditional = !paths.isEmpty() || !methods.isEmpty() || !hosts.isEmpty() || !headers.isEmpty() || !snis.isEmpty();
        if (r.get("expression") == null) {
            if (r.get("priority") instanceof Number n && n.longValue() != 0 && traditional) {
                throw new ConfigException(at(where + ".priority") + ": cannot set 'priority' with 'methods', 'hosts', 'paths', 'headers' or 'snis'"
                        + " (it orders expression routes)");
            }
            return null;
        }
        if (!(r.get("expression") instanceof String text)) {
            throw new ConfigException(at(where + ".expression") + ": expected a string");
        }
        if (traditional) {
            throw new ConfigException(at(where + ".expression") + ": cannot set 'expression' with 'methods', 'hosts', 'paths', 'headers'"
                    + " or 'snis' on the same route");
        }
        if (regexPriority != 0) {
            throw new ConfigException(at(where + ".regex_priority") + ": cannot set 'regex_priority' with 'expression' (use 'priority')");
        }
        try {
            return RouteExpression.parse(text);
        } catch (RouteExpression.Invalid e) {
            throw new ConfigException(at(where + ".expression") + ": " + e.getMessage() + ": " + text);
        }
    }

    private long longValue(Object value, String where) throws ConfigException {
        if (value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
            return n.longValue();
        }
        throw new ConfigException(at(where) + ": expected an integer");
    }

    private void addRoute(Map<String, Object> r, Service service, String where, Map<String, Map<String, Object>> schemas, List<String> enabled) throws ConfigException {
        refuseUnknownFields(r, ROUTE_FIELDS, where);
        warnIgnored(r, ROUTE_FIELDS_IGNORED, where);
        List<String> protocols = r.get("protocols") == null ? List.of("http", "https") : strings(r.get("protocols"), where + ".protocols");
        // Kong's port 8000 answers a route without http (https only) with 426 or a redirect; other protocols
        // (grpc, tcp, ws, ...) the local gateway does not serve at all
        boolean httpsOnly = protocols.contains("https") && !protocols.contains("http");
        if (!protocols.contains("http") && !httpsOnly) {
            warnings.add(at(where + ".protocols") + ": set to " + protocols + "; the local gateway serves the route over plain http all the same");
        }
        if ("v1".equals(r.get("path_handling"))) {
            warnings.add(at(where + ".path_handling") + ": v1 is deprecated and does not work under Kong's default router_flavor"
                    + " (traditional_compatible), which joins paths as v0; so does the local gateway");
        } else if (r.get("path_handling") != null && !"v0".equals(r.get("path_handling"))) {
            throw new ConfigException(at(where + ".path_handling") + ": expected one of: v0, v1");
        }
        int redirectCode = intValue(r.get("https_redirect_status_code"), 426);
        if (!List.of(426, 301, 302, 307, 308).contains(redirectCode)) {
            throw new ConfigException(at(where + ".https_redirect_status_code") + ": expected one of: 426, 301, 302, 307, 308");
        }
        String name = string(r.get("name"), null);
        refuseDuplicateName("routes", name, where);
        checkTags(r, where);
        List<String> paths = strings(r.get("paths"), where + ".paths");
        List<String> methods = strings(r.get("methods"), where + ".methods");
        for (int i = 0; i < methods.size(); i++) {
            if (!methods.get(i).matches("[A-Z]+")) { // Kong's typedefs.http_method: "^%u+$"
                throw new ConfigException(at(where + ".methods[" + i + "]") + ": invalid value: " + methods.get(i)
                        + " (upper-case letters only, as GET or PURGE)");
            }
        }
        List<String> hosts = strings(r.get("hosts"), where + ".hosts");
        for (int i = 0; i < hosts.size(); i++) {
            if (!hosts.get(i).matches("[A-Za-z0-9._*\\[\\]:-]+")) { // what Kong's host normalization takes
                throw new ConfigException(at(where + ".hosts[" + i + "]") + ": invalid value: " + hosts.get(i));
            }
            java.util.regex.Matcher port = HOST_PORT.matcher(hosts.get(i));
            if (port.find() && (port.group(1).length() > 5 || Integer.parseInt(port.group(1)) > 65535)) {
                throw new ConfigException(at(where + ".hosts[" + i + "]") + ": invalid port number");
            }
        }
        hosts = hosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).toList();
        Map<String, List<String>> headers = headers(r.get("headers"), where + ".headers");
        int regexPriority = intValue(r.get("regex_priority"), 0);
        List<String> snis = snis(r.get("snis"), protocols, where + ".snis");
        for (String field : List.of("sources", "destinations")) {
            // Kong matches these on stream routes (tcp, tls, udp) only; its http subschema refuses them
            boolean set = r.get(field) instanceof java.util.Collection<?> c ? !c.isEmpty() : r.get(field) != null;
            if (set && (protocols.contains("http") || protocols.contains("https"))) {
                throw new ConfigException(at(where + "." + field) + ": cannot be set on a route whose 'protocols' include 'http' or 'https'");
            }
            if (set) {
                warnings.add(at(where + "." + field) + ": set to " + r.get(field) + ", which Kong matches on stream routes and the local gateway ignores");
            }
        }
        RouteExpression expression = expression(r, where, paths, methods, hosts, headers, snis, regexPriority);
        long priority = r.get("priority") == null ? 0 : longValue(r.get("priority"), where + ".priority");
        if (priority < 0 || priority > MAX_PRIORITY) {
            throw new ConfigException(at(where + ".priority") + ": value should be between 0 and " + MAX_PRIORITY);
        }
        if (expression == null && paths.isEmpty() && methods.isEmpty() && hosts.isEmpty() && headers.isEmpty() && snis.isEmpty()) {
            throw new ConfigException(at(where) + (protocols.contains("https") || !protocols.contains("http")
                    ? ": must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'"
                    : ": must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http'"));
        }
        for (String path : paths) {
            if (!path.startsWith("/") && !path.startsWith("~")) {
                throw new ConfigException(at(where + ".paths") + ": should start with: / (fixed path) or ~/ (regex path)");
            }
            if (path.startsWith("~")) {
                try {
                    KongRegex.compile(path.substring(1));
                } catch (java.util.regex.PatternSyntaxException e) {
                    throw new ConfigException(at(where + ".paths") + ": invalid regex: '" + path.substring(1) + "' (" + e.getDescription()
                            + " at index " + e.getIndex() + ")");
                }
            }
        }
        String id = string(r.get("id"), uuid("route:" + (name != null ? name : where)));
        boolean strip = !(r.get("strip_path") instanceof Boolean b) || b;
        boolean preserve = r.get("preserve_host") instanceof Boolean b && b;
        Map<String, Object> entity = new LinkedHashMap<>();
        entity.put("id", id);
        if (name != null) {
            entity.put("name", name);
        }
        entity.put("paths", paths);
        if (!methods.isEmpty()) {
            entity.put("methods", methods);
        }
        if (!hosts.isEmpty()) {
            entity.put("hosts", hosts);
        }
        if (!headers.isEmpty()) {
            entity.put("headers", headers);
        }
        if (!snis.isEmpty()) {
            entity.put("snis", snis);
        }
        entity.put("protocols", protocols);
        entity.put("strip_path", strip);
        entity.put("preserve_host", preserve);
        entity.put("path_handling", "v0");
        entity.put("regex_priority", (long) regexPriority);
        if (expression != null) {
            entity.put("expression", expression.toString());
        }
        if (expressionsRouter) {
            entity.put("priority", priority);
        }
        entity.put("https_redirect_status_code", (long) redirectCode);
        entity.put("request_buffering", !Boolean.FALSE.equals(r.get("request_buffering")));
        entity.put("response_buffering", !Boolean.FALSE.equals(r.get("response_buffering")));
        if (service != null) {
            entity.put("service", Map.of("id", service.id()));
        }
        timestamps(entity, r);
        entity.put("ws_id", "00000000-0000-4000-8000-000000000000");
        routes.add(new Route(id, name == null ? id : name, paths, methods, hosts, headers, snis, regexPriority, expression, priority,
                httpsOnly, redirectCode,
                strip, preserve, service, entity));
        List<Object> plugins = list(r.get("plugins"), where + ".plugins");
        for (int i = 0; i < plugins.size(); i++) {
            addPlugin(cast(plugins.get(i), where + ".plugins[" + i + "]"), null, id, where + ".plugins[" + i + "]", schemas, enabled);
        }
    }

    private void addPlugin(Map<String, Object> p, String serviceId, String routeId, String where,
                           Map<String, Map<String, Object>> schemas, List<String> enabled) throws ConfigException {
        refuseUnknownFields(p, PLUGIN_FIELDS, where);
        checkTags(p, where);
        warnIgnored(p, PLUGIN_FIELDS_IGNORED, where);
        String name = string(p.get("name"), null);
        if (name == null) {
            throw new ConfigException(at(where + ".name") + ": required field missing");
        }
        if (p.get("consumer") != null) {
            throw new ConfigException(at(where + ".consumer") + ": " + NO_CONSUMERS);
        }
        // Kong validates a disabled plugin as any other (name enabled, config against the schema); it only does not run it.
        boolean disabled = p.get("enabled") instanceof Boolean b && !b;
        if (!enabled.contains(name) && io.kongjava.catalogue.KongBundledPlugins.NAMES.contains(name)) {
            throw new ConfigException(at(where) + ": '" + name + "' is one of Kong's own Lua plugins, which the local gateway cannot"
                    + " run (it runs external plugins only); Kong itself runs it with plugins = bundled");
        }
        if (!enabled.contains(name)) {
            String near = enabled.stream().filter(known -> KnownKeys.distance(known, name) <= 2)
                    .min(java.util.Comparator.comparingInt(known -> KnownKeys.distance(known, name))).orElse(null);
            throw new ConfigException(at(where) + ": plugin '" + name + "' not enabled; add it to the 'plugins' configuration property"
                    + (near != null ? " (did you mean '" + near + "'?)" : ""));
        }
        Map<String, Object> schema = schemas.get(name);
        if (schema == null) {
            throw new ConfigException(at(where) + ": " + name + " plugin is enabled but not installed; no plugin found (no plugin server dumped it)");
        }
        Map<String, Object> given = p.get("config") == null ? new LinkedHashMap<>() : cast(p.get("config"), where + ".config");
        List<String> errors = new ArrayList<>();
        SchemaCheck.References references = disabled ? SchemaCheck.References.KEEP
                : (path, reference) -> resolveReference(where + ".config." + path, reference);
        Map<String, Object> config = SchemaCheck.apply(configFields(schema), given, "", errors, references);
        if (!errors.isEmpty()) {
            // One line per error, each at the line of its field: "kong.yaml:12: plugins[0].config.model.name (java-ai-proxy): ..."
            List<String> located = new ArrayList<>();
            for (String error : errors) {
                int colon = error.indexOf(": ");
                String path = where + ".config." + error.substring(0, colon);
                located.add(at(path) + " (" + name + "): " + error.substring(colon + 2));
            }
            throw new ConfigException(String.join("\n", located));
        }
        List<String> key = Arrays.asList(name, routeId, serviceId);
        String earlier = declaredPlugins.putIfAbsent(key, where);
        if (earlier != null) {
            throw new ConfigException(at(where) + ": uniqueness violation: plugin '" + name + "' already declared "
                    + scope(serviceId, routeId) + " at " + earlier + " (Kong allows one plugin of a name per route, service and consumer)");
        }
        if (disabled) {
            return;
        }
        String id = string(p.get("id"), uuid("plugin:" + name + ":" + serviceId + ":" + routeId + ":" + where));
        plugins.add(new PluginEntity(id, name, config, serviceId, routeId, at(where)));
    }

    private String scope(String serviceId, String routeId) {
        String route = routeId == null ? null
                : "route '" + routes.stream().filter(r -> r.id().equals(routeId)).map(Route::name).findFirst().orElse(routeId) + "'";
        String service = serviceId == null ? null
                : "service '" + services.stream().filter(s -> s.id().equals(serviceId)).map(Service::name).findFirst().orElse(serviceId) + "'";
        if (route == null && service == null) {
            return "globally";
        }
        return "on " + (route == null ? service : service == null ? route : route + " and " + service);
    }

    private static Object parseYaml(String text) throws JsonProcessingException {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        if (!hasAliases(text)) {
            return yaml.readValue(text, Object.class);
        }
        // Kong's YAML loader expands anchors and aliases (PyYAML writes them for values used twice); Jackson's gives an
        // alias's name instead. SnakeYAML's safe loader expands them, at most 50 per collection (no "billion laughs").
        org.yaml.snakeyaml.LoaderOptions options = new org.yaml.snakeyaml.LoaderOptions();
        org.yaml.snakeyaml.DumperOptions unused = new org.yaml.snakeyaml.DumperOptions();
        Object loaded = new org.yaml.snakeyaml.Yaml(new org.yaml.snakeyaml.constructor.SafeConstructor(options),
                new org.yaml.snakeyaml.representer.Representer(unused), unused, options, new DatesAsText()).load(text);
        return yaml.convertValue(loaded, Object.class);
    }

    /** Kong's YAML loader (lyaml) has no timestamp type, nor has Jackson's: 2023-06-01 stays the text it is. */
    private static final class DatesAsText extends org.yaml.snakeyaml.resolver.Resolver {
        @Override
        public org.yaml.snakeyaml.nodes.Tag resolve(org.yaml.snakeyaml.nodes.NodeId kind, String value, boolean implicit) {
            org.yaml.snakeyaml.nodes.Tag tag = super.resolve(kind, value, implicit);
            return org.yaml.snakeyaml.nodes.Tag.TIMESTAMP.equals(tag) ? org.yaml.snakeyaml.nodes.Tag.STR : tag;
        }
    }

    private static boolean hasAliases(String text) {
        if (text.indexOf('*') < 0) {
            return false;
        }
        try {
            for (org.yaml.snakeyaml.events.Event event : new org.yaml.snakeyaml.Yaml().parse(new java.io.StringReader(text))) {
                if (event instanceof org.yaml.snakeyaml.events.AliasEvent) {
                    return true;
                }
            }
        } catch (RuntimeException notYaml) {
            return false; // Jackson reports it, with its line
        }
        return false;
    }

    /** Kong resolves {@code {vault://env/NAME}} references in referenceable fields when it loads the config. */
    private String resolveReference(String where, String reference) throws ConfigException {
        String secret = Vaults.resolve(reference, environment);
        if (secret == null) {
            String variable = Vaults.variable(reference, environment);
            throw new ConfigException(at(where) + ": could not resolve vault reference " + reference + (variable != null
                    ? " (set the environment variable " + variable + ")"
                    : " (for {vault://env/NAME} set the environment variable NAME in upper case with _ for -)"));
        }
        if (secret.isEmpty()) {
            // Kong would pass "" on and every request of the route would fail on it: said here, naming the variable
            String variable = Vaults.variable(reference, environment);
            throw new ConfigException(at(where) + ": vault reference " + reference + " resolved to an empty value"
                    + (variable != null ? " (the environment variable " + variable + " is set but empty)" : ""));
        }
        return secret;
    }

    /** A foreign key as decK writes it: a name or id, or {@code {name: ...}} / {@code {id: ...}}. */
    private static Object reference(Object value) {
        if (value instanceof Map<?, ?> m) {
            return m.get("name") != null ? m.get("name") : m.get("id");
        }
        return value;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> configFields(Map<String, Object> schema) {
        for (Object field : (List<Object>) schema.getOrDefault("fields", List.of())) {
            Map<String, Object> f = (Map<String, Object>) field;
            if (f.get("config") instanceof Map<?, ?> config) {
                return (List<Object>) ((Map<String, Object>) config).getOrDefault("fields", List.of());
            }
        }
        return List.of();
    }

    private static String uuid(String seed) {
        return UUID.nameUUIDFromBytes(seed.getBytes(StandardCharsets.UTF_8)).toString();
    }

    private static int intValue(Object value, int defaultValue) {
        return value instanceof Number n ? n.intValue() : defaultValue;
    }

    private static String string(Object value, String defaultValue) {
        return value == null ? defaultValue : String.valueOf(value);
    }

    private List<String> strings(Object value, String where) throws ConfigException {
        List<String> out = new ArrayList<>();
        for (Object element : list(value, where)) {
            out.add(String.valueOf(element));
        }
        return out;
    }

    private List<Object> list(Object value, String path) throws ConfigException {
        if (value == null) {
            return List.of();
        }
        if (value instanceof List<?> l) {
            return new ArrayList<>(l);
        }
        throw new ConfigException(at(path) + ": expected an array");
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> cast(Object value, String path) throws ConfigException {
        if (value instanceof Map<?, ?> map) {
            return (Map<String, Object>) map;
        }
        throw new ConfigException(at(path) + ": expected a mapping, got " + value);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Object value) {
        return (Map<String, Object>) value;
    }

    /**
     * {@code FILE:LINE: PATH}, the start of an error message. A key that is missing has no line: its closest
     * enclosing key or element has, as {@code services[0]} for {@code services[0].host}.
     */
    private String at(String path) {
        for (String enclosing = path; !enclosing.isEmpty(); enclosing = YamlLines.parent(enclosing)) {
            Integer line = lines.get(enclosing);
            if (line != null) {
                return file + ":" + line + ": " + path;
            }
        }
        return file + ": " + path;
    }
}
