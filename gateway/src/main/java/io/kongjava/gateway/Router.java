package io.kongjava.gateway;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Matches requests to routes much as Kong's router does: hosts, methods and headers must match when set (a host
 * written with a port, only on that port; for each header, one of the request's values equals one of the route's,
 * case-insensitively, or matches it as a regex when written {@code ~*...}); paths match by prefix, or as a regex
 * when written {@code ~...}; among matches, routes with more conditions (methods, hosts, headers, paths), then
 * plain (not wildcard) hosts, then more headers, then regex paths, then a higher {@code regex_priority}, then the
 * longest prefix win: the order of Kong's {@code get_priority} (kong/router/transform.lua). Routes of a service
 * with {@code enabled: false} are left out.
 */
final class Router {

    /** A route that matched, with the path prefix it matched (stripped when strip_path is on). */
    record Match(DeclarativeConfig.Route route, String matchedPrefix, Captures captures) {
        Match(DeclarativeConfig.Route route, String matchedPrefix) {
            this(route, matchedPrefix, Captures.NONE);
        }
    }

    /**
     * What {@code kong.request.get_uri_captures} returns: a regex path's groups, the whole match first, and its named
     * groups; none unless the regex has a group (Kong's router keeps captures only then). A group that took no part
     * in the match is "".
     */
    record Captures(List<String> unnamed, Map<String, String> named) {
        static final Captures NONE = new Captures(List.of(), Map.of());

        static Captures of(Matcher matcher, KongRegex regex) {
            if (matcher.groupCount() == 0) {
                return NONE;
            }
            List<String> unnamed = new ArrayList<>();
            for (int group = 0; group <= matcher.groupCount(); group++) {
                unnamed.add(matcher.group(group) == null ? "" : matcher.group(group));
            }
            Map<String, String> named = new java.util.LinkedHashMap<>();
            matcher.namedGroups().forEach((name, group) -> {
                if (matcher.group(group) != null) {
                    named.put(regex.kongName(name), matcher.group(group));
                }
            });
            return new Captures(List.copyOf(unnamed), java.util.Collections.unmodifiableMap(named));
        }
    }

    private record Candidate(DeclarativeConfig.Route route, String path, KongRegex regex, long priority, List<HostRule> hosts,
                             List<HeaderRule> headers) {
    }

    /** Kong's priority bits for a route with an {@code expression}: above every route of the traditional fields. */
    private static final long EXPRESSION_ONLY_BITS = 0xFFL << 56;

    /** Kong's order: the higher priority first (unsigned, as Kong's are); among expression routes of one priority, the higher id. */
    private static final Comparator<Candidate> KONG_ORDER = (a, b) -> {
        int byPriority = Long.compareUnsigned(b.priority(), a.priority());
        if (byPriority != 0 || a.route().expression() == null || b.route().expression() == null) {
            return byPriority;
        }
        return b.route().id().compareTo(a.route().id());
    };

    /** One header of a route: the request must carry it with one of these values (plain, or patterns from {@code ~*}). */
    private record HeaderRule(String name, List<String> values, List<Pattern> patterns) {
        static HeaderRule of(String name, List<String> configured) {
            List<String> values = new ArrayList<>();
            List<Pattern> patterns = new ArrayList<>();
            for (String value : configured) {
                if (value.startsWith("~*")) {
                    patterns.add(Pattern.compile(value.substring(2)));
                } else {
                    values.add(value);
                }
            }
            return new HeaderRule(name, List.copyOf(values), List.copyOf(patterns));
        }

        boolean matches(Map<String, List<String>> requestHeaders) {
            List<String> sent = requestHeaders.get(name);
            if (sent == null) {
                return false;
            }
            for (String value : sent) {
                String lower = value.toLowerCase(Locale.ROOT);
                if (values.contains(lower)) {
                    return true;
                }
                for (Pattern pattern : patterns) {
                    if (pattern.matcher(lower).find()) {
                        return true;
                    }
                }
            }
            return false;
        }
    }

    /**
     * A route's host: {@code example.com:8080} is the host and a port (Kong's {@code split_host_port}, and
     * {@code http.host == "example.com" && net.dst.port == 8080}); without one, {@code port} is -1 and any port matches.
     */
    private record HostRule(String host, int port) {
        static HostRule of(String entry) {
            int colon = entry.indexOf(':');
            if (colon > 0 && isPort(entry.substring(colon + 1))) {
                return new HostRule(entry.substring(0, colon), Integer.parseInt(entry.substring(colon + 1)));
            }
            return new HostRule(entry, -1);
        }

        boolean matches(String requestHost, int requestPort) {
            return (port < 0 || port == requestPort) && hostMatches(host, requestHost);
        }
    }

    /** Kong's cap on the headers counted in a route's priority (its field has 8 bits less one). */
    private static final long MAX_HEADER_COUNT = 255;

    private final List<Candidate> candidates = new ArrayList<>();
    private final boolean hasExpressions;

    Router(List<DeclarativeConfig.Route> routes) {
        for (DeclarativeConfig.Route route : routes) {
            if (route.service() != null && !route.service().enabled()) {
                continue; // Kong leaves the routes of a disabled service out of its router: they answer 404
            }
            if (route.expression() != null) {
                candidates.add(new Candidate(route, null, null, EXPRESSION_ONLY_BITS | route.priority(), List.of(), List.of()));
                continue;
            }
            long conditions = (route.hosts().isEmpty() ? 0 : 1) + (route.methods().isEmpty() ? 0 : 1) + (route.paths().isEmpty() ? 0 : 1)
                    + (route.headers().isEmpty() ? 0 : 1) + (route.snis().isEmpty() ? 0 : 1);
            long headerCount = Math.min(route.headers().size(), MAX_HEADER_COUNT);
            List<HeaderRule> headers = route.headers().entrySet().stream().map(e -> HeaderRule.of(e.getKey(), e.getValue())).toList();
            boolean plainHostsOnly = !route.hosts().isEmpty() && route.hosts().stream().noneMatch(h -> h.contains("*"));
            List<HostRule> hosts = route.hosts().stream().map(HostRule::of).toList();
            List<String> paths = route.paths().isEmpty() ? List.of("/") : route.paths();
            for (String path : paths) {
                KongRegex regex = path.startsWith("~") ? KongRegex.compile(path.substring(1)) : null;
                long length = regex != null || route.paths().isEmpty() ? 0 : path.length() & 0x7FFFF;
                long regexPriority = regex != null ? (route.regexPriority() & 0xFFFFFFFFL) << 19 : 0;
                long priority = conditions << 61 | (plainHostsOnly ? 1L << 60 : 0) | headerCount << 52 | (regex != null ? 1L << 51 : 0)
                        | regexPriority | length;
                candidates.add(new Candidate(route, path, regex, priority, hosts, headers));
            }
        }
        candidates.sort(KONG_ORDER);
        hasExpressions = candidates.stream().anyMatch(candidate -> candidate.route().expression() != null);
    }

    /** As {@link #match(String, String, int, String, Map)} for a Host header that carries its port, if any, and no other header. */
    Optional<Match> match(String method, String host, String path) {
        return match(method, host, -1, path, Map.of());
    }

    /** As {@link #match(String, String, int, String, Map, Connection)} with no query and a loopback client. */
    Optional<Match> match(String method, String host, int listenPort, String path, Map<String, List<String>> headers) {
        return match(method, host, listenPort, path, headers, new Connection("", "127.0.0.1", 0, "127.0.0.1"));
    }

    /** Whether some route has an expression, which may ask for the query and the addresses. */
    boolean hasExpressions() {
        return hasExpressions;
    }

    /** What an expression may ask of a request besides its line and headers. */
    record Connection(String rawQuery, String clientIp, int clientPort, String localIp) {
    }

    /**
     * The route for a request.
     *
     * @param host       the Host header, with or without a port
     * @param listenPort the port the request came in on: what a route host with a port is compared with when the
     *                   Host header has none, as Kong does
     * @param headers    the request's headers, names lower-cased, each with all its values
     * @param connection the query and the addresses, for routes with an expression
     */
    Optional<Match> match(String method, String host, int listenPort, String path, Map<String, List<String>> headers, Connection connection) {
        String hostOnly = host == null ? "" : host.toLowerCase(Locale.ROOT);
        int port = listenPort;
        int colon = hostOnly.lastIndexOf(':');
        if (colon >= 0 && isPort(hostOnly.substring(colon + 1))) {
            port = Integer.parseInt(hostOnly.substring(colon + 1));
            hostOnly = hostOnly.substring(0, colon);
        }
        RouteExpression.Request facts = null;
        for (Candidate candidate : candidates) {
            DeclarativeConfig.Route route = candidate.route();
            if (route.expression() != null) {
                if (facts == null) {
                    String hostHeader = host;
                    if (hostHeader != null) {
                        int portColon = hostHeader.lastIndexOf(':');
                        if (portColon >= 0 && isPort(hostHeader.substring(portColon + 1))) {
                            hostHeader = hostHeader.substring(0, portColon);
                        }
                    }
                    facts = new RouteExpression.Request("http", method, hostHeader, path, headers, queries(connection.rawQuery()),
                            connection.clientIp(), connection.clientPort(), connection.localIp(), port);
                }
                RouteExpression.Result result = route.expression().evaluate(facts);
                if (result.matched()) {
                    return Optional.of(new Match(route, result.matchedPath(), result.captures()));
                }
                continue;
            }
            if (!route.methods().isEmpty() && !route.methods().contains(method)) {
                continue;
            }
            if (!candidate.hosts().isEmpty() && !anyMatches(candidate.hosts(), hostOnly, port)) {
                continue;
            }
            if (!allMatch(candidate.headers(), headers)) {
                continue;
            }
            if (candidate.regex() != null) {
                Matcher matcher = candidate.regex().pattern().matcher(path);
                if (matcher.lookingAt()) {
                    return Optional.of(new Match(route, path.substring(0, matcher.end()), Captures.of(matcher, candidate.regex())));
                }
            } else if (path.startsWith(candidate.path())) {
                return Optional.of(new Match(route, candidate.path()));
            }
        }
        return Optional.empty();
    }

    /**
     * The path Kong sends upstream ({@code get_upstream_uri_v0} in kong/router/utils.lua, path_handling v0):
     * the service path joined with what is left of the request path once the matched prefix is stripped
     * ({@code strip_path}), or with the whole request path. The query is not part of it.
     *
     * @param matchedPrefix the part of the path the route matched, or null when strip_path is off
     */
    static String upstreamPath(boolean stripPath, String servicePath, String requestPath, String matchedPrefix) {
        String base = servicePath == null || servicePath.isEmpty() ? "/" : servicePath;
        if (!stripPath || matchedPrefix == null) {
            if (base.endsWith("/")) {
                return base + requestPath.substring(1);
            }
            return requestPath.equals("/") ? base : base + requestPath;
        }
        String postfix = sanitizePostfix(requestPath.substring(matchedPrefix.length()));
        if (base.endsWith("/")) {
            if (postfix.isEmpty()) {
                return base.equals("/") ? "/" : requestPath.endsWith("/") ? base : base.substring(0, base.length() - 1);
            }
            return postfix.startsWith("/") ? base.substring(0, base.length() - 1) + postfix : base + postfix;
        }
        if (postfix.isEmpty()) {
            return requestPath.length() > 1 && requestPath.endsWith("/") ? base + "/" : base;
        }
        return postfix.startsWith("/") ? base + postfix : base + "/" + postfix;
    }

    /** Kong's {@code sanitize_uri_postfix}: a leftover {@code .}, {@code ..}, {@code ./} or {@code ../} is dropped. */
    private static String sanitizePostfix(String postfix) {
        if (postfix.equals(".") || postfix.equals("..")) {
            return "";
        }
        if (postfix.startsWith("./")) {
            return postfix.substring(2);
        }
        return postfix.startsWith("../") ? postfix.substring(3) : postfix;
    }

    /** The query's arguments as nginx decodes them ({@code +} is a space); an argument without {@code =} has the value "". */
    static Map<String, List<String>> queries(String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return Map.of();
        }
        Map<String, List<String>> arguments = new java.util.LinkedHashMap<>();
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int equals = pair.indexOf('=');
            String name = decode(equals < 0 ? pair : pair.substring(0, equals));
            String value = equals < 0 ? "" : decode(pair.substring(equals + 1));
            arguments.computeIfAbsent(name, key -> new ArrayList<>()).add(value);
        }
        return arguments;
    }

    private static String decode(String text) {
        try {
            return java.net.URLDecoder.decode(text, java.nio.charset.StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return text; // a malformed escape stays as sent
        }
    }

    private static boolean anyMatches(List<HostRule> hosts, String host, int port) {
        for (HostRule rule : hosts) {
            if (rule.matches(host, port)) {
                return true;
            }
        }
        return false;
    }

    private static boolean allMatch(List<HeaderRule> rules, Map<String, List<String>> headers) {
        for (HeaderRule rule : rules) {
            if (!rule.matches(headers)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isPort(String digits) {
        if (digits.isEmpty() || digits.length() > 5) {
            return false;
        }
        for (int i = 0; i < digits.length(); i++) {
            if (digits.charAt(i) < '0' || digits.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    private static boolean hostMatches(String pattern, String host) {
        if (pattern.startsWith("*.")) {
            return host.endsWith(pattern.substring(1));
        }
        if (pattern.endsWith(".*")) {
            return host.startsWith(pattern.substring(0, pattern.length() - 1));
        }
        return pattern.equals(host);
    }
}
