package io.kongjava.pdk.entity;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A Kong route as {@code kong.router.get_route()} returns it. Fields Kong did not send are empty; every
 * field Kong sent, including ones not modelled here (expression routes, Enterprise fields), is in
 * {@link #raw()}.
 *
 * @param createdAt  Unix seconds, 0 if unknown
 * @param serviceId  the id of the route's service, if it has one
 */
public record Route(
        String id,
        Optional<String> name,
        long createdAt,
        long updatedAt,
        List<String> protocols,
        List<String> methods,
        List<String> hosts,
        List<String> paths,
        Map<String, List<String>> headers,
        List<String> snis,
        long httpsRedirectStatusCode,
        long regexPriority,
        boolean stripPath,
        Optional<String> pathHandling,
        boolean preserveHost,
        boolean requestBuffering,
        boolean responseBuffering,
        Optional<String> expression,
        List<String> tags,
        Optional<String> serviceId,
        Map<String, Object> raw) {

    public Route {
        protocols = List.copyOf(protocols);
        methods = List.copyOf(methods);
        hosts = List.copyOf(hosts);
        paths = List.copyOf(paths);
        headers = Map.copyOf(headers);
        snis = List.copyOf(snis);
        tags = List.copyOf(tags);
        raw = Map.copyOf(raw);
    }

    /** Reads Kong's route map leniently (missing or mistyped fields read as empty/default). */
    public static Route fromKong(Object kongRoute) {
        Fields f = new Fields(kongRoute);
        return new Route(
                f.textOr("id", ""),
                f.text("name"),
                f.integerOr("created_at", 0),
                f.integerOr("updated_at", 0),
                f.texts("protocols"),
                f.texts("methods"),
                f.texts("hosts"),
                f.texts("paths"),
                f.multimap("headers"),
                f.texts("snis"),
                f.integerOr("https_redirect_status_code", 426),
                f.integerOr("regex_priority", 0),
                f.boolOr("strip_path", true),
                f.text("path_handling"),
                f.boolOr("preserve_host", false),
                f.boolOr("request_buffering", true),
                f.boolOr("response_buffering", true),
                f.text("expression"),
                f.texts("tags"),
                f.foreignId("service"),
                nonNullRaw(f));
    }

    static Map<String, Object> nonNullRaw(Fields f) {
        Map<String, Object> raw = new java.util.LinkedHashMap<>(f.raw());
        raw.values().removeIf(java.util.Objects::isNull);
        return raw;
    }
}
