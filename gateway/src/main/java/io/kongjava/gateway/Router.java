package io.kongjava.gateway;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Matches requests to routes much as Kong's router does: hosts and methods must match when set; paths match
 * by prefix, or as a regex when written {@code ~...}; among matches, routes with more conditions, then
 * regex paths, then the longest prefix win.
 */
final class Router {

    /** A route that matched, with the path prefix it matched (stripped when strip_path is on). */
    record Match(DeclarativeConfig.Route route, String matchedPrefix) {
    }

    private record Candidate(DeclarativeConfig.Route route, String path, Pattern regex, int weight) {
    }

    private final List<Candidate> candidates = new ArrayList<>();

    Router(List<DeclarativeConfig.Route> routes) {
        for (DeclarativeConfig.Route route : routes) {
            int conditions = (route.hosts().isEmpty() ? 0 : 1) + (route.methods().isEmpty() ? 0 : 1);
            List<String> paths = route.paths().isEmpty() ? List.of("/") : route.paths();
            for (String path : paths) {
                Pattern regex = path.startsWith("~") ? Pattern.compile(path.substring(1)) : null;
                int weight = conditions * 1_000_000 + (regex != null ? 500_000 : 0) + path.length();
                candidates.add(new Candidate(route, path, regex, weight));
            }
        }
        candidates.sort(Comparator.comparingInt(Candidate::weight).reversed());
    }

    Optional<Match> match(String method, String host, String path) {
        String hostOnly = host == null ? "" : host.toLowerCase(Locale.ROOT).replaceFirst(":\\d+$", "");
        for (Candidate candidate : candidates) {
            DeclarativeConfig.Route route = candidate.route();
            if (!route.methods().isEmpty() && !route.methods().contains(method)) {
                continue;
            }
            if (!route.hosts().isEmpty() && route.hosts().stream().noneMatch(h -> hostMatches(h, hostOnly))) {
                continue;
            }
            if (candidate.regex() != null) {
                Matcher matcher = candidate.regex().matcher(path);
                if (matcher.lookingAt()) {
                    return Optional.of(new Match(route, path.substring(0, matcher.end())));
                }
            } else if (path.startsWith(candidate.path())) {
                return Optional.of(new Match(route, candidate.path()));
            }
        }
        return Optional.empty();
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
