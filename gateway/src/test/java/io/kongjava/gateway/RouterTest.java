package io.kongjava.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which route Kong picks for a request, and the path it sends upstream. */
class RouterTest {

    @TempDir
    Path dir;

    /** A router over the routes of a kong.yaml fragment. */
    private Router router(String routes) throws Exception {
        return new Router(load("_format_version: \"3.0\"\n" + routes).routes);
    }

    private DeclarativeConfig load(String yaml) throws Exception {
        Path file = dir.resolve("kong.yaml");
        Files.writeString(file, yaml);
        return DeclarativeConfig.load(file, Map.of(), List.of(), name -> null);
    }

    private static String routeFor(Router router, String method, String host, String path) {
        return router.match(method, host, path).map(m -> m.route().name()).orElse(null);
    }

    /** A router over routes loaded as under kong.conf's router_flavor = expressions. */
    private Router expressionsRouter(String routes) throws Exception {
        Path file = dir.resolve("kong.yaml");
        Files.writeString(file, "_format_version: \"3.0\"\n" + routes);
        return new Router(DeclarativeConfig.load(file, Map.of(), List.of(), name -> null, true).routes);
    }

    @Test
    void expressionRoutesGoByPriorityAndComeBeforeRoutesOfTraditionalFields() throws Exception {
        Router router = expressionsRouter("""
                routes:
                  - {name: traditional, paths: [/v1], methods: [GET], hosts: [api.example]}
                  - {name: any-v1, expression: 'http.path ^= "/v1"', priority: 10}
                  - {name: canary, expression: 'http.path ^= "/v1" && http.headers.x_canary == "yes"', priority: 20}
                  - {name: legacy, expression: 'http.path ^= "/legacy"'}
                """);

        assertThat(route(router, "/v1/messages", Map.of("x-canary", List.of("yes")))).isEqualTo("canary");
        assertThat(route(router, "/v1/messages", Map.of())).isEqualTo("any-v1");
        assertThat(routeFor(router, "GET", "api.example", "/v1")).as("an expression route of any priority comes first").isEqualTo("any-v1");
        assertThat(routeFor(router, "GET", "api.example", "/legacy/x")).isEqualTo("legacy");
        assertThat(routeFor(router, "GET", "api.example", "/other")).isNull();
    }

    @Test
    void aRouteOfFourConditionsWinsAlthoughItsPriorityHasTheTopBitSet() throws Exception {
        // 4 << 61 sets bit 63: Kong's priorities are unsigned 64-bit numbers
        Router router = router("""
                routes:
                  - {name: path-only, paths: [/v1]}
                  - {name: everything, paths: [/v1], methods: [GET], hosts: [api.example], headers: {x-team: [a]}}
                """);

        assertThat(router.match("GET", "api.example", 8000, "/v1", Map.of("x-team", List.of("a"))).orElseThrow().route().name())
                .isEqualTo("everything");
    }

    @Test
    void aRegexRouteKeepsItsGroupsForGetUriCaptures() throws Exception {
        Router router = router("""
                routes:
                  - {name: posts, paths: ['~/users/(?<id>[0-9]+)/(posts|comments)(/x)?']}
                  - {name: plain-regex, paths: ['~/plain/[a-z]+']}
                """);

        Router.Captures captures = router.match("GET", "h", "/users/42/posts/7").orElseThrow().captures();
        assertThat(captures.unnamed()).containsExactly("/users/42/posts", "42", "posts", "");
        assertThat(captures.named()).containsExactly(Map.entry("id", "42"));
        assertThat(router.match("GET", "h", "/plain/abc").orElseThrow().captures()).as("no group, no captures").isEqualTo(Router.Captures.NONE);
        assertThat(expressionsRouter("""
                routes:
                  - {name: e, expression: 'http.path ~ "^/users/(?P<id>[0-9]+)"'}
                """).match("GET", "h", "/users/9/x").orElseThrow().captures().named()).containsExactly(Map.entry("id", "9"));
    }

    @Test
    void groupNamesJavaWouldRefuseKeepTheirKongNames() throws Exception {
        Router router = router("""
                routes:
                  - {name: users, paths: ['~/users/(?<user_id>[0-9]+)/(?P<item_2>[a-z]+)/\\k<user_id>']}
                """);

        assertThat(router.match("GET", "h", "/users/42/posts/42").orElseThrow().captures().named())
                .containsOnly(Map.entry("user_id", "42"), Map.entry("item_2", "posts"));
        assertThat(router.match("GET", "h", "/users/42/posts/7")).as("the backreference still refers to user_id").isEmpty();
    }

    @Test
    void anExpressionRouteStripsTheHttpPathItMatchedOn() throws Exception {
        Router router = expressionsRouter("""
                routes:
                  - {name: prefixed, expression: 'http.method == "POST" && http.path ^= "/anything"'}
                  - {name: kept, expression: 'http.path ^= "/keep"', strip_path: false}
                """);

        Router.Match prefixed = router.match("POST", "h", "/anything/v1/messages").orElseThrow();
        assertThat(prefixed.matchedPrefix()).isEqualTo("/anything");
        assertThat(Router.upstreamPath(true, "/", "/anything/v1/messages", prefixed.matchedPrefix())).isEqualTo("/v1/messages");
        assertThat(router.match("GET", "h", "/keep/it").orElseThrow().route().stripPath()).isFalse();
    }

    @Test
    void serverNamesAreLeftOutOfThePlainHttpMatchButCountInPriorityAsInKong() throws Exception {
        // Kong's router: (net.protocol != "https" || tls.sni == ...), and the snis add one to the route's weight
        Router router = router("""
                routes:
                  - {name: plain, paths: [/v1]}
                  - {name: by-name, paths: [/v1], snis: [api.example, "*.example.org"]}
                  - {name: tls-only, protocols: [https], snis: [secure.example]}
                """);

        assertThat(routeFor(router, "GET", "anything.test", "/v1")).as("no SNI over plain http: the names do not filter").isEqualTo("by-name");
        assertThat(routeFor(router, "GET", "anything.test", "/elsewhere")).as("a route of snis alone matches every plain request")
                .isEqualTo("tls-only");
    }

    @Test
    void aRouteWithHeadersMatchesOnlyRequestsCarryingOneOfItsValuesForEachHeader() throws Exception {
        Router router = router("""
                routes:
                  - {name: any, paths: [/v1]}
                  - {name: team-a, paths: [/v1], headers: {x-team: [a, alpha]}}
                  - {name: team-a-beta, paths: [/v1], headers: {x-team: [a], x-channel: [beta]}}
                  - {name: version, paths: [/v1], headers: {x-version: ['~*^2\\.[0-9]+$']}}
                """);

        assertThat(route(router, "/v1", Map.of())).isEqualTo("any");
        assertThat(route(router, "/v1", Map.of("x-team", List.of("A")))).as("values compare case-insensitively").isEqualTo("team-a");
        assertThat(route(router, "/v1", Map.of("x-team", List.of("b", "alpha")))).as("any of the request's values").isEqualTo("team-a");
        assertThat(route(router, "/v1", Map.of("x-team", List.of("a"), "x-channel", List.of("beta"))))
                .as("more headers win among routes of equal weight").isEqualTo("team-a-beta");
        assertThat(route(router, "/v1", Map.of("x-team", List.of("c")))).isEqualTo("any");
        assertThat(route(router, "/v1", Map.of("x-version", List.of("2.13")))).as("~* is a regex").isEqualTo("version");
        assertThat(route(router, "/v1", Map.of("x-version", List.of("3.1")))).isEqualTo("any");
    }

    @Test
    void aHeaderOutweighsALongerPrefixAsKongsPriorityCountsItAsACondition() throws Exception {
        Router router = router("""
                routes:
                  - {name: long-prefix, paths: [/v1/messages]}
                  - {name: canary, paths: [/v1], headers: {x-canary: ["true"]}}
                """);

        assertThat(route(router, "/v1/messages", Map.of("x-canary", List.of("true")))).isEqualTo("canary");
        assertThat(route(router, "/v1/messages", Map.of())).isEqualTo("long-prefix");
    }

    @Test
    void aHigherRegexPriorityWinsAmongRegexPaths() throws Exception {
        Router router = router("""
                routes:
                  - {name: low, paths: ['~/items/\\d+'], regex_priority: 1}
                  - {name: high, paths: ["~/items/[0-9]+$"], regex_priority: 5}
                """);

        assertThat(route(router, "/items/42", Map.of())).isEqualTo("high");
    }

    @Test
    void aRouteOfHeadersAloneIsValidAndHostInHeadersIsRefusedAsKongRefusesIt() throws Exception {
        Router router = router("""
                routes:
                  - {name: by-header, headers: {x-tenant: [t1]}}
                """);
        assertThat(route(router, "/anything/at/all", Map.of("x-tenant", List.of("t1")))).isEqualTo("by-header");
        assertThat(route(router, "/anything/at/all", Map.of())).isNull();

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> router("""
                routes:
                  - {name: r, paths: [/], headers: {Host: [example.com]}}
                """)).hasMessageContaining("routes[0].headers.Host: cannot contain 'host' header, which must be specified in the 'hosts' attribute");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> router("""
                routes:
                  - {name: r, paths: [/], headers: {"x team": [a]}}
                """)).hasMessageContaining("bad header name 'x team', allowed characters are A-Z, a-z, 0-9, '_', and '-'");
    }

    private static String route(Router router, String path, Map<String, List<String>> headers) {
        return router.match("GET", "localhost", 8000, path, headers).map(m -> m.route().name()).orElse(null);
    }

    @Test
    void theLongestMatchingPrefixWins() throws Exception {
        Router router = router("""
                routes:
                  - {name: root, paths: [/]}
                  - {name: anything, paths: [/anything]}
                  - {name: messages, paths: [/anything/v1/messages]}
                """);

        assertThat(routeFor(router, "POST", "localhost", "/anything/v1/messages")).isEqualTo("messages");
        assertThat(routeFor(router, "POST", "localhost", "/anything/v1/messages/count_tokens")).isEqualTo("messages");
        assertThat(routeFor(router, "GET", "localhost", "/anything/v1/models")).isEqualTo("anything");
        assertThat(routeFor(router, "GET", "localhost", "/anythingelse")).as("a prefix is a plain string prefix").isEqualTo("anything");
        assertThat(routeFor(router, "GET", "localhost", "/other")).isEqualTo("root");
        assertThat(router.match("GET", "localhost", "/anything/v1/messages")).get()
                .extracting(Router.Match::matchedPrefix).isEqualTo("/anything/v1/messages");
    }

    @Test
    void methodsNarrowARoute() throws Exception {
        Router router = router("""
                routes:
                  - {name: any, paths: [/api]}
                  - {name: read, paths: [/api], methods: [GET]}
                  - {name: write, paths: [/api], methods: [POST, PUT]}
                """);

        assertThat(routeFor(router, "GET", "localhost", "/api/items")).isEqualTo("read");
        assertThat(routeFor(router, "POST", "localhost", "/api/items")).isEqualTo("write");
        assertThat(routeFor(router, "PUT", "localhost", "/api/items")).isEqualTo("write");
        assertThat(routeFor(router, "DELETE", "localhost", "/api/items")).isEqualTo("any");
    }

    @Test
    void hostsNarrowARoutePlainHostsBeatWildcards() throws Exception {
        Router router = router("""
                routes:
                  - {name: fallback, paths: [/]}
                  - {name: exact, paths: [/], hosts: [api.example.com]}
                  - {name: subdomains, paths: [/], hosts: ["*.example.com"]}
                  - {name: any-tld, paths: [/], hosts: [example.*]}
                """);

        assertThat(routeFor(router, "GET", "api.example.com:8000", "/")).as("the port is ignored").isEqualTo("exact");
        assertThat(routeFor(router, "GET", "API.Example.COM", "/")).as("hosts are case-insensitive").isEqualTo("exact");
        assertThat(routeFor(router, "GET", "www.example.com", "/")).isEqualTo("subdomains");
        assertThat(routeFor(router, "GET", "example.org", "/")).isEqualTo("any-tld");
        assertThat(routeFor(router, "GET", "elsewhere.net", "/")).isEqualTo("fallback");
        assertThat(routeFor(router, "GET", null, "/")).isEqualTo("fallback");
    }

    @Test
    void aHostWithAPortMatchesOnlyThatPortAPlainHostAnyPort() throws Exception {
        // As Kong's router (kong/router/transform.lua) reads hosts: "example.com:8080" is the host example.com and
        // the port 8080, the port of the Host header or, when it has none, the port the request came in on.
        Router router = router("""
                routes:
                  - {name: fallback, paths: [/]}
                  - {name: on-8080, paths: [/], hosts: ["example.com:8080"]}
                  - {name: subdomains-on-8443, paths: [/], hosts: ["*.example.com:8443"]}
                  - {name: any-port, paths: [/], hosts: [api.example.com]}
                """);

        assertThat(routeFor(router, "GET", "example.com:8080", "/")).isEqualTo("on-8080");
        assertThat(routeFor(router, "GET", "example.com:9090", "/")).isEqualTo("fallback");
        assertThat(router.match("GET", "example.com", 8080, "/", Map.of())).as("Host without a port, listening on 8080").get()
                .extracting(m -> m.route().name()).isEqualTo("on-8080");
        assertThat(router.match("GET", "example.com", 8000, "/", Map.of())).get()
                .extracting(m -> m.route().name()).isEqualTo("fallback");
        assertThat(routeFor(router, "GET", "www.example.com:8443", "/")).isEqualTo("subdomains-on-8443");
        assertThat(routeFor(router, "GET", "www.example.com:8080", "/")).isEqualTo("fallback");
        assertThat(routeFor(router, "GET", "api.example.com:1234", "/")).isEqualTo("any-port");
        assertThat(router.match("GET", "api.example.com", 8000, "/", Map.of())).get()
                .extracting(m -> m.route().name()).isEqualTo("any-port");
    }

    @Test
    void theGatewayMatchesAHostWithoutAPortWithThePortItListensOn() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        DeclarativeConfig config = load("""
                _format_version: "3.0"
                routes:
                  - name: on-this-port
                    hosts: ["example.com:%d"]
                """.formatted(port));
        try (Gateway gateway = new Gateway(config, Map.of(), 1024).start(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
            assertThat(statusLine(port, "example.com")).as("matched; no service behind it").contains(" 503 ");
            assertThat(statusLine(port, "example.com:" + port)).contains(" 503 ");
            assertThat(statusLine(port, "example.com:1")).contains(" 404 ");
        }
    }

    /** The status line the gateway answers a GET with {@code host} as the Host header (which HttpClient will not send as given). */
    private static String statusLine(int port, String host) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine();
        }
    }

    @Test
    void aRouteOfHttpsOnlyIsAnsweredAsKongsHttpListenerAnswersIt() throws Exception {
        DeclarativeConfig config = load("""
                _format_version: "3.0"
                services:
                  - name: s
                    url: http://127.0.0.1:9
                    routes:
                      - {name: secure, paths: [/secure], protocols: [https]}
                      - {name: moved, paths: [/moved], protocols: [https], https_redirect_status_code: 308}
                """);
        assertThat(config.warnings).as("acted on, so not warned about").isEmpty();
        try (Gateway gateway = new Gateway(config, Map.of(), 1024).start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            int port = gateway.address().getPort();

            String upgrade = responseHead(port, "/secure/x?a=1", "api.example.com");
            assertThat(upgrade).startsWith("HTTP/1.1 426 ").containsIgnoringCase("\nUpgrade: TLS/1.2, HTTP/1.1")
                    .containsIgnoringCase("\nConnection: Upgrade\n")
                    .contains("\"message\":\"Please use HTTPS protocol\"");
            String moved = responseHead(port, "/moved/x?a=1", "api.example.com:" + port);
            assertThat(moved).startsWith("HTTP/1.1 308 ").containsIgnoringCase("\nLocation: https://api.example.com/moved/x?a=1");
        }

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> load("""
                _format_version: "3.0"
                routes: [{name: r, paths: [/], protocols: [https], https_redirect_status_code: 303}]
                """)).hasMessageContaining("routes[0].https_redirect_status_code: expected one of: 426, 301, 302, 307, 308");
    }

    /** Everything the gateway answers a GET of {@code target} with (head and body), until it closes. */
    private static String responseHead(int port, String target, String host) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.getOutputStream().write(("GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).replace("\r\n", "\n");
        }
    }

    @Test
    void theRoutesOfADisabledServiceAreLeftOutAsKongLeavesThemOutOfItsRouter() throws Exception {
        DeclarativeConfig config = load("""
                _format_version: "3.0"
                services:
                  - name: retired
                    url: http://127.0.0.1:9
                    enabled: false
                    routes: [{name: retired-messages, paths: [/anything/v1/messages]}]
                  - name: current
                    url: http://127.0.0.1:9
                    routes: [{name: anything, paths: [/anything]}]
                """);
        Router router = new Router(config.routes);

        assertThat(config.warnings).as("acted on, so not warned about").isEmpty();
        assertThat(routeFor(router, "POST", "localhost", "/anything/v1/messages")).isEqualTo("anything");
        assertThat(config.services.getFirst().entity()).containsEntry("enabled", false);
    }

    @Test
    void moreConditionsBeatALongerPath() throws Exception {
        Router router = router("""
                routes:
                  - {name: long-path, paths: [/a/b/c]}
                  - {name: host-and-path, paths: [/a], hosts: [example.com]}
                """);

        assertThat(routeFor(router, "GET", "example.com", "/a/b/c")).isEqualTo("host-and-path");
        assertThat(routeFor(router, "GET", "other.com", "/a/b/c")).isEqualTo("long-path");
    }

    @Test
    void aPathBeatsAMethodAsTheOnlyCondition() throws Exception {
        // Kong counts paths as a condition too: one condition each, then the path length decides.
        Router router = router("""
                routes:
                  - {name: all-gets, methods: [GET]}
                  - {name: api, paths: [/api]}
                """);

        assertThat(routeFor(router, "GET", "localhost", "/api")).isEqualTo("api");
        assertThat(routeFor(router, "POST", "localhost", "/api")).isEqualTo("api");
        assertThat(routeFor(router, "GET", "localhost", "/other")).isEqualTo("all-gets");
        assertThat(routeFor(router, "POST", "localhost", "/other")).isNull();
    }

    @Test
    void regexPathsStartWithTildeAreAnchoredAtTheStartAndBeatPrefixes() throws Exception {
        Router router = router("""
                routes:
                  - {name: users, paths: [/users]}
                  - {name: user-by-id, paths: ['~/users/\\d+$']}
                  - {name: model, paths: ['~/models/(?<name>[^/]+)']}
                """);

        assertThat(routeFor(router, "GET", "localhost", "/users/42")).isEqualTo("user-by-id");
        assertThat(routeFor(router, "GET", "localhost", "/users/42/posts")).as("$ anchors the end").isEqualTo("users");
        assertThat(routeFor(router, "GET", "localhost", "/users/ann")).isEqualTo("users");
        assertThat(routeFor(router, "GET", "localhost", "/v1/users/42")).as("anchored at the start").isNull();
        assertThat(router.match("GET", "localhost", "/models/claude/versions")).get()
                .extracting(Router.Match::matchedPrefix).as("what the regex matched is the prefix").isEqualTo("/models/claude");
    }

    @Test
    void noMatchingRouteGivesEmpty() throws Exception {
        Router router = router("""
                routes:
                  - {name: only, paths: [/anything], methods: [POST], hosts: [api.example.com]}
                """);

        assertThat(router.match("POST", "api.example.com", "/anything")).isPresent();
        assertThat(router.match("POST", "api.example.com", "/something")).isEmpty();
        assertThat(router.match("GET", "api.example.com", "/anything")).isEmpty();
        assertThat(router.match("POST", "www.example.com", "/anything")).isEmpty();
        assertThat(router.match("POST", null, "/anything")).isEmpty();
        assertThat(new Router(List.of()).match("GET", "localhost", "/")).isEmpty();
    }

    /** service path, route path, strip_path, request path, upstream path ({@code -} for no service path). */
    @ParameterizedTest(name = "service {0} route {1} strip_path={2}: {3} -> {4}")
    @CsvSource({
            // Kong's documented table for path_handling v0
            "/s,     /fv0,       false, /fv0req,                 /s/fv0req",
            "/s,     /tv0,       true,  /tv0req,                 /s/req",
            "/s,     /fv0/,      false, /fv0/req,                /s/fv0/req",
            "/s,     /tv0/,      true,  /tv0/req,                /s/req",
            "/s/,    /fv0,       false, /fv0req,                 /s/fv0req",
            "/s/,    /tv0,       true,  /tv0req,                 /s/req",
            "/s/,    /fv0/,      false, /fv0/req,                /s/fv0/req",
            "/s/,    /tv0/,      true,  /tv0/req,                /s/req",
            // the Claude Code how-to's route
            "/base,  /anything,  true,  /anything/v1/messages,   /base/v1/messages",
            "/base/, /anything,  true,  /anything/v1/messages,   /base/v1/messages",
            "-,      /anything,  true,  /anything/v1/messages,   /v1/messages",
            "-,      /anything,  false, /anything/v1/messages,   /anything/v1/messages",
            // a request for the route's path itself keeps its trailing slash, or lack of one
            "/base,  /anything,  true,  /anything,               /base",
            "/base/, /anything,  true,  /anything,               /base",
            "/base,  /anything,  true,  /anything/,              /base/",
            "/base/, /anything,  true,  /anything/,              /base/",
            "-,      /anything,  true,  /anything,               /",
            "/base,  /,          false, /,                       /base",
            "/base,  /,          true,  /x,                      /base/x",
            // a regex path strips what it matched; a leading ../ left after the prefix is dropped
            "/base,  ~/v\\d+,    true,  /v1/messages,            /base/messages",
            "/base,  /anything/, true,  /anything/../etc,        /base/etc",
    })
    void theUpstreamPathJoinsTheServicePathWithWhatIsLeftAsKongDoes(String servicePath, String routePath, boolean stripPath,
                                                                    String requestPath, String expected) {
        String base = "-".equals(servicePath) ? null : servicePath;
        DeclarativeConfig.Service service = new DeclarativeConfig.Service("s", "s", "http", "upstream", 80, base,
                60000, 60000, 60000, 5, Map.of());
        DeclarativeConfig.Route route = new DeclarativeConfig.Route("r", "r", List.of(routePath), List.of(), List.of(),
                stripPath, false, service, Map.of());

        Optional<Router.Match> match = new Router(List.of(route)).match("GET", "localhost", requestPath);

        assertThat(match).isPresent();
        String strippedPrefix = route.stripPath() ? match.get().matchedPrefix() : null;
        assertThat(Router.upstreamPath(route.stripPath(), service.path(), requestPath, strippedPrefix)).isEqualTo(expected);
    }

    @Test
    void theGatewayProxiesToTheJoinedPathAndKeepsTheQuery() throws Exception {
        HttpServer upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        upstream.createContext("/", exchange -> {
            byte[] body = exchange.getRequestURI().toString().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        upstream.start();
        try {
            DeclarativeConfig config = load("""
                    _format_version: "3.0"
                    services:
                      - name: upstream
                        url: http://127.0.0.1:%d/base
                        routes:
                          - name: claude-code
                            paths: [/anything]
                    """.formatted(upstream.getAddress().getPort()));
            try (Gateway gateway = new Gateway(config, Map.of(), 1024 * 1024).start(new InetSocketAddress("127.0.0.1", 0))) {
                String base = "http://127.0.0.1:" + gateway.address().getPort();

                assertThat(get(base + "/anything/v1/messages?beta=true")).isEqualTo("/base/v1/messages?beta=true");
                assertThat(get(base + "/anything/v1/messages?q=a%20b&beta=true&flag")).isEqualTo("/base/v1/messages?q=a%20b&beta=true&flag");
                assertThat(get(base + "/anything")).isEqualTo("/base");
            }
        } finally {
            upstream.stop(0);
        }
    }

    @Test
    void theGatewaySendsRequestsWithTheRoutesHeaderToItsServiceAndOthersToTheDefault() throws Exception {
        HttpServer upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        upstream.createContext("/", exchange -> {
            byte[] body = exchange.getRequestURI().getPath().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        upstream.start();
        try {
            DeclarativeConfig config = load("""
                    _format_version: "3.0"
                    services:
                      - name: stable
                        url: http://127.0.0.1:%1$d/stable
                        routes: [{name: stable, paths: [/anything]}]
                      - name: canary
                        url: http://127.0.0.1:%1$d/canary
                        routes: [{name: canary, paths: [/anything], headers: {x-canary: ["yes"]}}]
                    """.formatted(upstream.getAddress().getPort()));
            assertThat(config.warnings).as("headers are acted on, so not warned about").isEmpty();
            try (Gateway gateway = new Gateway(config, Map.of(), 1024 * 1024).start(new InetSocketAddress("127.0.0.1", 0));
                 HttpClient client = HttpClient.newHttpClient()) {
                URI uri = URI.create("http://127.0.0.1:" + gateway.address().getPort() + "/anything/v1/messages");
                HttpResponse<String> canary = client.send(HttpRequest.newBuilder(uri).header("X-Canary", "YES").build(),
                        HttpResponse.BodyHandlers.ofString());
                HttpResponse<String> stable = client.send(HttpRequest.newBuilder(uri).header("X-Canary", "no").build(),
                        HttpResponse.BodyHandlers.ofString());

                assertThat(canary.body()).isEqualTo("/canary/v1/messages");
                assertThat(stable.body()).isEqualTo("/stable/v1/messages");
            }
        } finally {
            upstream.stop(0);
        }
    }

    private static String get(String url) throws IOException, InterruptedException {
        try (HttpClient client = HttpClient.newHttpClient()) {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(url).isEqualTo(200);
            return response.body();
        }
    }
}
