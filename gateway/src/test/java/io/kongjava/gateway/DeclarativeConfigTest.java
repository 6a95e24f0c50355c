package io.kongjava.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A decK / DB-less kong.yaml as Kong loads it: entities, plugins on every level, and the errors Kong refuses with. */
class DeclarativeConfigTest {

    private static final List<String> ENABLED = List.of("greeter", "java-file-log");

    @TempDir
    Path dir;

    private Path write(String yaml) throws IOException {
        Path file = dir.resolve("kong.yaml");
        Files.writeString(file, yaml);
        return file;
    }

    private DeclarativeConfig load(String yaml) throws Exception {
        return DeclarativeConfig.load(write(yaml), PluginSchemas.both(), ENABLED, name -> null);
    }

    private static DeclarativeConfig.Service service(DeclarativeConfig config, String name) {
        return config.services.stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
    }

    private static DeclarativeConfig.Route route(DeclarativeConfig config, String name) {
        return config.routes.stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow();
    }

    /** Loading {@code file} with both test plugins enabled fails with a ConfigException. */
    static org.assertj.core.api.AbstractThrowableAssert<?, ? extends Throwable> assertRefused(Path file) {
        return assertThatThrownBy(() -> DeclarativeConfig.load(file, PluginSchemas.both(), ENABLED, name -> null))
                .isInstanceOf(ConfigException.class);
    }

    @Test
    void servicesRoutesAndPluginsOnEveryLevel() throws Exception {
        DeclarativeConfig config = load("""
                _format_version: "3.0"
                services:
                  - name: anthropic
                    url: https://api.anthropic.com
                    read_timeout: 600000
                    routes:
                      - name: claude-code
                        paths: [/anything]
                        plugins:
                          - name: greeter
                            config: {greeting: from-route}
                    plugins:
                      - name: greeter
                        config: {greeting: from-service, times: 2}
                  - name: echo
                    host: echo.internal
                    port: 8080
                    path: /base
                routes:
                  - name: echo-route
                    service: echo
                    methods: [GET, POST]
                    hosts: [Echo.Example.com]
                    paths: [/echo]
                    strip_path: false
                    preserve_host: true
                plugins:
                  - name: greeter
                  - name: java-file-log
                    config: {path: /tmp/kong.json}
                """);

        DeclarativeConfig.Service anthropic = service(config, "anthropic");
        assertThat(anthropic.protocol()).isEqualTo("https");
        assertThat(anthropic.host()).isEqualTo("api.anthropic.com");
        assertThat(anthropic.port()).as("https's port when the url has none").isEqualTo(443);
        assertThat(anthropic.path()).isNull();
        assertThat(anthropic.readTimeout()).isEqualTo(600000);
        assertThat(anthropic.connectTimeout()).as("Kong's default").isEqualTo(60000);
        assertThat(anthropic.writeTimeout()).isEqualTo(60000);
        assertThat(anthropic.retries()).isEqualTo(5);

        DeclarativeConfig.Service echo = service(config, "echo");
        assertThat(echo.protocol()).isEqualTo("http");
        assertThat(echo.host()).isEqualTo("echo.internal");
        assertThat(echo.port()).isEqualTo(8080);
        assertThat(echo.path()).isEqualTo("/base");

        DeclarativeConfig.Route claude = route(config, "claude-code");
        assertThat(claude.paths()).containsExactly("/anything");
        assertThat(claude.methods()).isEmpty();
        assertThat(claude.hosts()).isEmpty();
        assertThat(claude.stripPath()).as("strip_path defaults to true").isTrue();
        assertThat(claude.preserveHost()).isFalse();
        assertThat(claude.service()).isEqualTo(anthropic);

        DeclarativeConfig.Route echoRoute = route(config, "echo-route");
        assertThat(echoRoute.methods()).containsExactly("GET", "POST");
        assertThat(echoRoute.hosts()).containsExactly("echo.example.com");
        assertThat(echoRoute.stripPath()).isFalse();
        assertThat(echoRoute.preserveHost()).isTrue();
        assertThat(echoRoute.service()).isEqualTo(echo);
        assertThat(echoRoute.entity()).containsEntry("service", Map.of("id", echo.id()));

        assertThat(config.plugins).extracting(p -> p.name() + " service=" + p.serviceId() + " route=" + p.routeId()
                        + " greeting=" + p.config().get("greeting"))
                .containsExactlyInAnyOrder(
                        "greeter service=null route=" + claude.id() + " greeting=from-route",
                        "greeter service=" + anthropic.id() + " route=null greeting=from-service",
                        "greeter service=null route=null greeting=hello",
                        "java-file-log service=null route=null greeting=null");
    }

    @Test
    void pluginConfigsGetTheDefaultsOfTheDumpedSchema() throws Exception {
        DeclarativeConfig config = load("""
                _format_version: "3.0"
                plugins:
                  - name: greeter
                    config:
                      times: 3
                """);

        Map<String, Object> auth = new LinkedHashMap<>();
        auth.put("header_name", "x-api-key");
        auth.put("header_value", null);
        assertThat(config.plugins).singleElement().satisfies(p ->
                assertThat(p.config()).containsExactly(Map.entry("greeting", "hello"), Map.entry("times", 3),
                        new java.util.AbstractMap.SimpleEntry<>("ratio", null), new java.util.AbstractMap.SimpleEntry<>("note", null),
                        Map.entry("auth", auth)));
    }

    @Test
    void aTopLevelPluginIsScopedByServiceAndRouteNames() throws Exception {
        DeclarativeConfig config = load("""
                _format_version: "3.0"
                services:
                  - name: anthropic
                    url: https://api.anthropic.com
                    routes:
                      - name: claude-code
                        paths: [/anything]
                plugins:
                  - name: greeter
                    service: anthropic
                    route: claude-code
                  - name: java-file-log
                    service: {name: anthropic}
                    config: {path: /tmp/kong.json}
                """);

        String serviceId = service(config, "anthropic").id();
        String routeId = route(config, "claude-code").id();
        assertThat(config.plugins).extracting(p -> p.name() + " " + p.serviceId() + " " + p.routeId())
                .containsExactly("greeter " + serviceId + " " + routeId, "java-file-log " + serviceId + " null");
    }

    @Test
    void aDisabledPluginIsLeftOut() throws Exception {
        DeclarativeConfig config = load("""
                _format_version: "3.0"
                plugins:
                  - name: greeter
                    enabled: false
                    config:
                      auth:
                        header_value: "{vault://env/not-set}"
                """);

        assertThat(config.plugins).as("nor are its vault references resolved").isEmpty();
    }

    @Test
    void aDisabledPluginIsStillValidatedAsKongDoes() throws Exception {
        Path notEnabled = write("""
                _format_version: "3.0"
                plugins:
                  - name: java-rate-limit
                    enabled: false
                """);
        assertRefused(notEnabled)
                .hasMessage(notEnabled + ":3: plugins[0]: plugin 'java-rate-limit' not enabled; add it to the 'plugins' configuration property");

        Path badConfig = write("""
                _format_version: "3.0"
                plugins:
                  - name: greeter
                    enabled: false
                    config: {times: two}
                """);
        assertRefused(badConfig)
                .hasMessage(badConfig + ":5: plugins[0].config.times (greeter): expected an integer");
    }

    @Test
    void kongsValueChecksOfTheDumpedSchemaAreAppliedEachAtItsLine() throws Exception {
        Path file = write("""
                _format_version: "3.0"
                plugins:
                  - name: greeter
                    config:
                      greeting: ""
                      times: 11
                      ratio: 0
                      note: "toolong"
                """);
        assertRefused(file).hasMessage(String.join("\n",
                file + ":5: plugins[0].config.greeting (greeter): length must be at least 1",
                file + ":6: plugins[0].config.times (greeter): value should be between 1 and 10",
                file + ":7: plugins[0].config.ratio (greeter): value must be greater than 0",
                file + ":8: plugins[0].config.note (greeter): length must be at most 5"));

        Path emptyAllowed = write("""
                _format_version: "3.0"
                plugins:
                  - name: greeter
                    config: {note: ""}
                """);
        assertThat(DeclarativeConfig.load(emptyAllowed, PluginSchemas.both(), ENABLED, name -> null).plugins.getFirst().config())
                .containsEntry("note", "");
    }

    @Test
    void envVaultReferencesAreResolvedOnlyInFieldsTheSchemaMarksReferenceable() throws Exception {
        Path file = write("""
                _format_version: "3.0"
                plugins:
                  - name: greeter
                    config:
                      greeting: "{vault://env/greeting}"
                      auth:
                        header_value: "{vault://env/anthropic-api-key}"
                """);
        Map<String, String> environment = Map.of("ANTHROPIC_API_KEY", "sk-test-123", "GREETING", "hi");

        DeclarativeConfig config = DeclarativeConfig.load(file, PluginSchemas.both(), ENABLED, environment::get);

        Map<String, Object> pluginConfig = config.plugins.getFirst().config();
        assertThat(pluginConfig).as("greeting is not referenceable: the text stays").containsEntry("greeting", "{vault://env/greeting}");
        assertThat(pluginConfig.get("auth")).isEqualTo(Map.of("header_name", "x-api-key", "header_value", "sk-test-123"));
    }

    @Test
    void referenceableStringsInArraysSetsAndMapsAreResolvedToo() throws Exception {
        Path file = write("""
                _format_version: "3.0"
                plugins:
                  - name: secrets
                    config:
                      tokens: ["{vault://env/token-a}", plain]
                      keys: ["{vault://env/token-b}"]
                      headers: {x-key: "{vault://env/token-b}"}
                      labels: ["{vault://env/token-a}"]
                """);
        Map<String, String> environment = Map.of("TOKEN_A", "a-secret", "TOKEN_B", "b-secret");

        DeclarativeConfig config = DeclarativeConfig.load(file, Map.of("secrets", PluginSchemas.parse(PluginSchemas.SECRETS)),
                List.of("secrets"), environment::get);

        assertThat(config.plugins.getFirst().config()).containsExactly(
                Map.entry("tokens", List.of("a-secret", "plain")),
                Map.entry("keys", List.of("b-secret")),
                Map.entry("headers", Map.of("x-key", "b-secret")),
                Map.entry("labels", List.of("{vault://env/token-a}")));
    }

    @Test
    void theElementsOfArraysSetsAndMapsAreCheckedAgainstTheirTypeAsKongChecksThem() throws Exception {
        Path file = write("""
                _format_version: "3.0"
                plugins:
                  - name: secrets
                    config:
                      tokens: [1, 2]
                      keys: ["ok", ""]
                      headers: {x-key: 3}
                      labels: [[nested]]
                """);

        assertThatThrownBy(() -> DeclarativeConfig.load(file, Map.of("secrets", PluginSchemas.parse(PluginSchemas.SECRETS)),
                List.of("secrets"), name -> null))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("plugins[0].config.tokens[0] (secrets): expected a string")
                .hasMessageContaining("plugins[0].config.tokens[1] (secrets): expected a string")
                .hasMessageContaining("plugins[0].config.keys[1] (secrets): length must be at least 1")
                .hasMessageContaining("plugins[0].config.headers.x-key (secrets): expected a string")
                .hasMessageContaining("plugins[0].config.labels[0] (secrets): expected a string");
    }

    @Test
    void referencesInsideTheRecordsOfAnArrayAreResolvedAndTheirFieldsChecked() throws Exception {
        Path file = write("""
                _format_version: "3.0"
                plugins:
                  - name: balanced
                    config:
                      targets:
                        - {name: first, auth: {header_value: "{vault://env/token-a}"}}
                        - {name: second, auth: {header_value: literal}}
                """);
        Map<String, String> environment = Map.of("TOKEN_A", "a-secret");

        DeclarativeConfig config = DeclarativeConfig.load(file, Map.of("balanced", PluginSchemas.parse(PluginSchemas.BALANCED)),
                List.of("balanced"), environment::get);

        assertThat(config.plugins.getFirst().config().get("targets")).isEqualTo(List.of(
                Map.of("name", "first", "auth", Map.of("header_value", "a-secret")),
                Map.of("name", "second", "auth", Map.of("header_value", "literal"))));

        Path unknown = write("""
                _format_version: "3.0"
                plugins:
                  - name: balanced
                    config:
                      targets: [{name: first, wieght: 3}]
                """);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> DeclarativeConfig.load(unknown,
                        Map.of("balanced", PluginSchemas.parse(PluginSchemas.BALANCED)), List.of("balanced"), environment::get))
                .hasMessageContaining("config.targets[0].wieght (balanced): unknown field");
    }

    @Test
    void anchorsAndAliasesAreExpandedAsKongsYamlLoaderDoes() throws Exception {
        // as PyYAML writes a value used twice
        Path file = write("""
                _format_version: "3.0"
                services:
                  - name: a
                    url: http://a.internal
                    routes:
                      - name: ra
                        paths: &paths [/x, /y]
                        methods: &methods [GET, POST]
                  - name: b
                    url: http://b.internal
                    routes:
                      - name: rb
                        hosts: [b.example]
                        paths: *paths
                        methods: *methods
                """);

        DeclarativeConfig config = DeclarativeConfig.load(file, PluginSchemas.both(), ENABLED, name -> null);

        assertThat(route(config, "rb").paths()).containsExactly("/x", "/y");
        assertThat(route(config, "rb").methods()).containsExactly("GET", "POST");

        // read alike with or without an alias: a date stays text (an unquoted anthropic_version)
        Path dated = write("""
                _format_version: "3.0"
                services:
                  - name: a
                    url: http://a.internal
                    routes:
                      - name: ra
                        paths: &paths [/x]
                    plugins:
                      - name: greeter
                        config:
                          greeting: 2023-06-01
                  - name: b
                    url: http://b.internal
                    routes:
                      - name: rb
                        hosts: [b.example]
                        paths: *paths
                """);
        DeclarativeConfig withDate = DeclarativeConfig.load(dated, PluginSchemas.both(), ENABLED, name -> null);
        assertThat(withDate.plugins.getFirst().config().get("greeting")).isEqualTo("2023-06-01");
    }

    // What Kong refuses to load: the error names the file and where in it.

    @Test
    void aYamlSyntaxErrorNamesTheFileAndTheLineOfTheProblem() throws Exception {
        Path unclosed = write("""
                _format_version: "3.0"
                services:
                  - name: anthropic
                    url: https://api.anthropic.com
                    routes: [ {name: claude-code, paths: [/anything] }
                  - name: other
                """);
        assertRefused(unclosed)
                .hasMessageStartingWith(unclosed + ":6: ")
                .hasMessageContaining("expected ',' or ']'");

        Path tab = write("""
                _format_version: "3.0"
                services:
                  - name: anthropic
                    url: https://api.anthropic.com
                    routes:
                      - name: claude-code
                	paths: [/anything]
                """);
        assertRefused(tab)
                .hasMessageStartingWith(tab + ":7: ")
                .hasMessageContaining("TAB");
    }

    @Test
    void aFormatVersion21Or11FileHasItsRoutePathsMigratedAsKongMigratesThem() throws Exception {
        DeclarativeConfig config = load("""
                _format_version: "2.1"
                services:
                  - name: up
                    url: http://127.0.0.1:9101
                    routes:
                      - name: users
                        paths: ["/v1/users/\\\\d+", "/plain/path", "/a/%7e/b/../c", "/x%2Fy(z)"]
                """);
        assertThat(config.routes.getFirst().paths())
                .containsExactly("~/v1/users/\\d+", "/plain/path", "/a/~/c", "~/x%2Fy(z)");
        assertThat(config.warnings).anySatisfy(w -> assertThat(w).contains("2.1: 3 route path(s) migrated as Kong migrates them"));
        assertThat(DeclarativeConfig.migratePath("/a%2eb%7Cc(x)")).as("decoded regex metacharacters are escaped").isEqualTo("~/a\\.b\\|c(x)");
    }

    @Test
    void aFormatVersionOtherThan30IsRefused() throws Exception {
        Path other = write("_format_version: \"4.0\"\n");
        assertThatThrownBy(() -> DeclarativeConfig.load(other, PluginSchemas.both(), ENABLED, name -> null))
                .isInstanceOf(ConfigException.class)
                .hasMessage(other + ":1: _format_version: expected one of: 1.1, 2.1, 3.0, got 4.0");

        Path missing = write("services: []\n");
        assertThatThrownBy(() -> DeclarativeConfig.load(missing, PluginSchemas.both(), ENABLED, name -> null))
                .isInstanceOf(ConfigException.class)
                .hasMessage(missing + ": _format_version: required field missing (write _format_version: \"3.0\")");
    }

    @Test
    void aFormatVersionWrittenAsANumberIsRefused() throws Exception {
        // YAML reads an unquoted 3.0 as a number; Kong's schema wants the string ("in '_format_version': expected a string").
        Path file = write("""
                _format_version: 3.0
                services: []
                """);

        assertRefused(file)
                .hasMessage(file + ":1: _format_version: expected a string, got the number 3.0 (write _format_version: \"3.0\", in quotes)");
    }

    @Test
    void aMisspeltFieldOfAServiceRouteOrPluginIsRefusedWhereItIs() throws Exception {
        Path route = write("""
                _format_version: "3.0"
                services:
                  - name: s
                    url: http://127.0.0.1:9
                    routes:
                      - name: r
                        paths: [/x]
                        strip_pth: false
                """);
        assertRefused(route).hasMessage(route + ":8: services[0].routes[0].strip_pth: unknown field");

        Path service = write("""
                _format_version: "3.0"
                services:
                  - name: s
                    url: http://127.0.0.1:9
                    read_timeuot: 1000
                """);
        assertRefused(service).hasMessage(service + ":5: services[0].read_timeuot: unknown field");

        Path plugin = write("""
                _format_version: "3.0"
                plugins:
                  - name: greeter
                    confg: {}
                """);
        assertRefused(plugin).hasMessage(plugin + ":4: plugins[0].confg: unknown field");
    }

    @Test
    void serviceAndRouteFieldsAreCheckedAsKongsSchemaChecksThem() throws Exception {
        String service = """
                _format_version: "3.0"
                services:
                  - name: s
                    host: 127.0.0.1
                    %s
                    routes:
                      - name: r
                        %s
                """;
        String[][] refused = {
                {"port: \"18201\"", "paths: [/x]", ":5: services[0].port: expected an integer (got the string '18201'; write it without quotes)"},
                {"read_timeout: 0", "paths: [/x]", ":5: services[0].read_timeout: value should be between 1 and 2147483646"},
                {"read_timeout: 3000000000", "paths: [/x]", ":5: services[0].read_timeout: value should be between 1 and 2147483646"},
                {"retries: -3", "paths: [/x]", ":5: services[0].retries: value should be between 0 and 32767"},
                {"retries: \"0\"", "paths: [/x]", ":5: services[0].retries: expected an integer (got the string '0'; write it without quotes)"},
                {"connect_timeout: 1.5", "paths: [/x]", ":5: services[0].connect_timeout: expected an integer"},
                {"protocol: ftp", "paths: [/x]", ":5: services[0].protocol: expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp, ws, wss"},
                {"protocol: grpc", "paths: [/x]", ":5: services[0].protocol: 'grpc': the local gateway proxies http and https Services only"},
                {"port: 80", "methods: [get]", ":8: services[0].routes[0].methods[0]: invalid value: get (upper-case letters only, as GET or PURGE)"},
                {"port: 80", "hosts: [\"example.com:99999\"]", ":8: services[0].routes[0].hosts[0]: invalid port number"},
                {"port: 80", "hosts: [\"exa mple.com\"]", ":8: services[0].routes[0].hosts[0]: invalid value: exa mple.com"},
        };
        for (String[] c : refused) {
            Path file = write(service.formatted(c[0], c[1]));
            assertRefused(file).as(c[0] + " / " + c[1]).hasMessage(file + c[2]);
        }
        Path url = write("""
                _format_version: "3.0"
                services:
                  - name: s
                    url: ftp://127.0.0.1:18201
                """);
        assertRefused(url).hasMessage(url + ":4: services[0].url: expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp, ws, wss");
    }

    @Test
    void whatKongWouldActOnAndTheGatewayIgnoresIsNamedAsAWarning() throws Exception {
        DeclarativeConfig config = load("""
                _format_version: "3.0"
                services:
                  - name: s
                    url: https://127.0.0.1:9
                    tls_verify_depth: 2
                    routes:
                      - name: r
                        paths: [/x]
                        request_buffering: false
                        protocols: [grpc]
                        regex_priority: 0
                        response_buffering: false
                """);

        assertThat(config.warnings).as("tls_verify_depth and request_buffering are acted on; answers are streamed whatever"
                + " response_buffering says").singleElement().asString()
                .contains(":10: services[0].routes[0].protocols: set to [grpc]");
        assertThat(config.services.getFirst().tls().verifyDepth()).isEqualTo(2);
        assertThat(config.routes.getFirst().requestBuffering()).isFalse();
    }

    @Test
    void serverNamesAndStreamMatchFieldsAreCheckedAsKongsRouteSchemaChecksThem() throws Exception {
        DeclarativeConfig config = load("""
                _format_version: "3.0"
                routes:
                  - name: r
                    paths: [/x]
                    snis: [API.example, "*.example.org", "cdn.*"]
                """);
        assertThat(config.warnings).isEmpty();
        assertThat(config.routes.getFirst().snis()).containsExactly("api.example", "*.example.org", "cdn.*");
        assertThat(config.routes.getFirst().entity()).containsEntry("snis", List.of("api.example", "*.example.org", "cdn.*"));

        Path httpOnly = write("""
                _format_version: "3.0"
                routes:
                  - name: r
                    paths: [/x]
                    protocols: [http]
                    snis: [api.example]
                """);
        assertRefused(httpOnly).hasMessage(httpOnly + ":6: routes[0].snis: only allowed when 'protocols' include 'https', 'grpcs', 'tls' or 'tls_passthrough'");

        Path badWildcard = write("""
                _format_version: "3.0"
                routes:
                  - {name: r, paths: [/x], snis: ["api.*.example"]}
                """);
        assertRefused(badWildcard).hasMessageContaining(":3: routes[0].snis: invalid server name 'api.*.example': a wildcard must be");

        Path sources = write("""
                _format_version: "3.0"
                routes:
                  - name: r
                    paths: [/x]
                    sources: [{ip: 10.0.0.0/8}]
                """);
        assertRefused(sources).hasMessage(sources + ":5: routes[0].sources: cannot be set on a route whose 'protocols' include 'http' or 'https'");

        Path namesOnly = write("""
                _format_version: "3.0"
                routes:
                  - {name: r, protocols: [https], snis: [api.example]}
                """);
        assertThat(DeclarativeConfig.load(namesOnly, Map.of(), List.of(), name -> null).routes).hasSize(1);

        Path plainNothing = write("""
                _format_version: "3.0"
                routes:
                  - {name: r, protocols: [http]}
                """);
        assertRefused(plainNothing).hasMessageContaining(":3: routes[0]: must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http'");
    }

    @Test
    void expressionAndPriorityAreFieldsOnlyUnderTheExpressionsRouterAndAreCheckedAsKongChecksThem() throws Exception {
        Path expression = write("""
                _format_version: "3.0"
                routes:
                  - name: r
                    expression: 'http.path ^= "/v1"'
                """);
        assertRefused(expression).hasMessage(expression + ":4: routes[0].expression: unknown field (Kong's routes have it only with"
                + " router_flavor = expressions in kong.conf)");

        DeclarativeConfig config = DeclarativeConfig.load(expression, PluginSchemas.both(), ENABLED, name -> null, true);
        assertThat(config.routes.getFirst().entity()).containsEntry("expression", "http.path ^= \"/v1\"").containsEntry("priority", 0L);

        assertRefusedAsExpressions("""
                _format_version: "3.0"
                routes:
                  - name: r
                    paths: [/v1]
                    expression: 'http.method == "GET"'
                """, ":5: routes[0].expression: cannot set 'expression' with 'methods', 'hosts', 'paths', 'headers' or 'snis' on the same route");
        assertRefusedAsExpressions("""
                _format_version: "3.0"
                routes:
                  - {name: r, expression: 'http.path ^= "/v1"', priority: 70368744177664}
                """, ":3: routes[0].priority: value should be between 0 and 70368744177663");
        assertRefusedAsExpressions("""
                _format_version: "3.0"
                routes:
                  - name: r
                    expression: 'http.path ^= "/v1" && http.mthod == "GET"'
                """, ":4: routes[0].expression: unknown field 'http.mthod' (at character 23): http.path ^= \"/v1\" && http.mthod == \"GET\"");
    }

    private void assertRefusedAsExpressions(String yaml, String message) throws Exception {
        Path file = write(yaml);
        assertThatThrownBy(() -> DeclarativeConfig.load(file, PluginSchemas.both(), ENABLED, name -> null, true))
                .isInstanceOf(ConfigException.class).hasMessage(file + message);
    }

    @Test
    void aRegexPathThatDoesNotCompileIsRefusedWithItsLine() throws Exception {
        Path file = write("""
                _format_version: "3.0"
                routes:
                  - name: r
                    paths: ['~/users/(']
                """);
        assertRefused(file).hasMessageStartingWith(file + ":4: routes[0].paths: invalid regex: '/users/(' (Unclosed group");
    }

    @Test
    void pathHandlingV1IsNamedAsWhatKongsDefaultRouterIgnoresAndAnythingElseIsRefused() throws Exception {
        DeclarativeConfig config = load("""
                _format_version: "3.0"
                routes:
                  - name: r
                    paths: [/x]
                    path_handling: v1
                """);
        assertThat(config.warnings).singleElement().asString()
                .contains(":5: routes[0].path_handling: v1 is deprecated and does not work under Kong's default router_flavor");

        Path v2 = write("""
                _format_version: "3.0"
                routes: [{name: r, paths: [/x], path_handling: v2}]
                """);
        assertRefused(v2).hasMessageContaining("routes[0].path_handling: expected one of: v0, v1");
    }

    @Test
    void everyFieldKongsSchemasGiveAnEntityIsAccepted() throws Exception {
        DeclarativeConfig config = load("""
                _format_version: "3.0"
                services:
                  - name: s
                    protocol: http
                    host: 127.0.0.1
                    port: 9
                    path: /base
                    retries: 2
                    connect_timeout: 1000
                    write_timeout: 1000
                    read_timeout: 1000
                    tags: [a]
                    enabled: true
                    routes:
                      - name: r
                        protocols: [http, https]
                        paths: [/x]
                        regex_priority: 0
                        path_handling: v0
                        https_redirect_status_code: 426
                        request_buffering: true
                        response_buffering: true
                        tags: [a]
                """);

        assertThat(route(config, "r").paths()).containsExactly("/x");
    }

    @Test
    void anUnknownEntityTypeIsRefused() throws Exception {
        Path file = write("""
                _format_version: "3.0"
                service:
                  - name: typo
                """);

        assertRefused(file)
                .hasMessageContaining(file + ":2: service: unknown entity type");
    }

    @Test
    void aRouteReferringToNoServiceIsRefusedWithItsIndex() throws Exception {
        Path file = write("""
                _format_version: "3.0"
                services:
                  - name: anthropic
                    url: https://api.anthropic.com
                    routes:
                      - name: nested
                        paths: [/nested]
                routes:
                  - name: fine
                    service: anthropic
                    paths: [/fine]
                  - name: dangling
                    service: antropic
                    paths: [/dangling]
                """);

        assertRefused(file)
                .hasMessage(file + ":13: routes[1].service: no service antropic");
    }

    @Test
    void aPluginScopedToNothingIsRefused() throws Exception {
        Path file = write("""
                _format_version: "3.0"
                plugins:
                  - name: greeter
                  - name: greeter
                    route: ghost
                """);

        assertRefused(file)
                .hasMessage(file + ":5: plugins[1].route: no route ghost");
    }

    @Test
    void theSamePluginTwiceOnOneScopeIsRefused() throws Exception {
        // Kong's plugins are unique by name, route, service and consumer together.
        Path global = write("""
                _format_version: "3.0"
                plugins:
                  - name: greeter
                  - name: greeter
                    config: {times: 2}
                """);
        assertRefused(global)
                .hasMessage(global + ":4: plugins[1]: uniqueness violation: plugin 'greeter' already declared globally"
                        + " at plugins[0] (Kong allows one plugin of a name per route, service and consumer)");

        Path service = write("""
                _format_version: "3.0"
                services:
                  - name: anthropic
                    url: https://api.anthropic.com
                    plugins:
                      - name: greeter
                        enabled: false
                plugins:
                  - name: greeter
                    service: anthropic
                """);
        assertThatThrownBy(() -> DeclarativeConfig.load(service, PluginSchemas.both(), ENABLED, name -> null))
                .as("a disabled plugin still takes its place")
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(service + ":9: plugins[0]: uniqueness violation: plugin 'greeter' already declared"
                        + " on service 'anthropic' at services[0].plugins[0]");
    }

    @Test
    void theSamePluginOnARouteAndOnThatRouteWithItsServiceAreTwoScopes() throws Exception {
        DeclarativeConfig config = load("""
                _format_version: "3.0"
                services:
                  - name: anthropic
                    url: https://api.anthropic.com
                    routes:
                      - name: claude-code
                        paths: [/anything]
                        plugins:
                          - name: greeter
                plugins:
                  - name: greeter
                    route: claude-code
                    service: anthropic
                """);

        assertThat(config.plugins).hasSize(2);
    }

    @Test
    void consumersAreRefusedRatherThanTheirPluginsRunningForEveryone() throws Exception {
        // The local gateway cannot tell who a consumer is; a consumer-scoped plugin taken as global would run for all.
        Path consumers = write("""
                _format_version: "3.0"
                consumers:
                  - username: alice
                plugins:
                  - name: greeter
                    consumer: alice
                """);
        assertRefused(consumers)
                .hasMessageStartingWith(consumers + ":2: consumers: consumers are not supported by the local gateway");

        Path scoped = write("""
                _format_version: "3.0"
                services:
                  - name: anthropic
                    url: https://api.anthropic.com
                    plugins:
                      - name: greeter
                        consumer: {username: alice}
                """);
        assertRefused(scoped)
                .hasMessageStartingWith(scoped + ":7: services[0].plugins[0].consumer: consumers are not supported by the local gateway");
    }

    @Test
    void aRouteWithoutConditionsOrWithARelativePathIsRefused() throws Exception {
        Path noConditions = write("""
                _format_version: "3.0"
                routes:
                  - name: everything
                """);
        assertRefused(noConditions)
                .hasMessageContaining(noConditions + ":3: routes[0]: must set one of 'methods', 'hosts', 'headers', 'paths', 'snis'");

        Path relative = write("""
                _format_version: "3.0"
                routes:
                  - name: relative
                    paths: [anything]
                """);
        assertRefused(relative)
                .hasMessageContaining(relative + ":4: routes[0].paths: should start with: / (fixed path) or ~/ (regex path)");
    }

    @Test
    void aPluginMissingFromThePluginsPropertyIsRefused() throws Exception {
        Path file = write("""
                _format_version: "3.0"
                services:
                  - name: anthropic
                    url: https://api.anthropic.com
                    plugins:
                      - name: java-rate-limit
                """);

        assertRefused(file)
                .hasMessage(file + ":6: services[0].plugins[0]: plugin 'java-rate-limit' not enabled;"
                        + " add it to the 'plugins' configuration property");
    }

    @Test
    void anEnabledPluginThatNoServerDumpedIsRefused() throws Exception {
        Path file = write("""
                _format_version: "3.0"
                plugins:
                  - name: java-ai-proxy
                """);

        assertThatThrownBy(() -> DeclarativeConfig.load(file, PluginSchemas.both(), List.of("java-ai-proxy"), name -> null))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("java-ai-proxy plugin is enabled but not installed");
    }

    @Test
    void aConfigThatBreaksTheSchemaNamesThePluginAndFields() throws Exception {
        Path file = write("""
                _format_version: "3.0"
                services:
                  - name: anthropic
                    url: https://api.anthropic.com
                    routes:
                      - name: claude-code
                        paths: [/anything]
                        plugins:
                          - name: greeter
                            config: {times: two, colour: blue}
                """);

        assertRefused(file)
                .hasMessage(file + ":10: services[0].routes[0].plugins[0].config.times (greeter): expected an integer\n"
                        + file + ":10: services[0].routes[0].plugins[0].config.colour (greeter): unknown field");
    }

    @Test
    void aServiceUrlWithoutSchemeOrHostNamesItsLineInsteadOfAStackTrace() throws Exception {
        for (String url : List.of("127.0.0.1:9101", "localhost:9101", "http://", "http://exa mple")) {
            Path file = write("""
                    _format_version: "3.0"
                    services:
                      - name: up
                        url: "%s"
                    """.formatted(url));
            assertRefused(file).hasMessage(file + ":4: services[0].url: '" + url + "' is not a URL with a scheme and a host"
                    + " (e.g. http://127.0.0.1:8080/path)");
        }
    }

    @Test
    void twoServicesOrTwoRoutesOfOneNameAreAUniquenessViolationAsInKong() throws Exception {
        Path services = write("""
                _format_version: "3.0"
                services:
                  - name: up
                    url: http://127.0.0.1:9101
                  - name: up
                    url: http://127.0.0.1:9102
                """);
        assertRefused(services).hasMessageContaining("services[1].name: uniqueness violation: 'services' entity with name set to 'up'"
                + " already declared (at services[0])");
        Path routes = write("""
                _format_version: "3.0"
                services:
                  - name: a
                    url: http://127.0.0.1:9101
                    routes:
                      - name: r
                        paths: [/a]
                  - name: b
                    url: http://127.0.0.1:9102
                    routes:
                      - name: r
                        paths: [/b]
                """);
        assertRefused(routes).hasMessageContaining("'routes' entity with name set to 'r' already declared");
    }

    @Test
    void aMisspeltPluginNameGetsTheClosestEnabledOne() throws Exception {
        Path file = write("""
                _format_version: "3.0"
                plugins:
                  - name: java-file-lgo
                    config: {path: /tmp/x.log}
                """);
        assertRefused(file).hasMessage(file + ":3: plugins[0]: plugin 'java-file-lgo' not enabled; add it to the 'plugins'"
                + " configuration property (did you mean 'java-file-log'?)");
    }

    @Test
    void oneOfKongsOwnLuaPluginsIsNamedAsSuchNotAsNotEnabled() throws Exception {
        Path file = write("""
                _format_version: "3.0"
                plugins:
                  - name: cors
                """);
        assertRefused(file).hasMessage(file + ":3: plugins[0]: 'cors' is one of Kong's own Lua plugins, which the local gateway"
                + " cannot run (it runs external plugins only); Kong itself runs it with plugins = bundled");
    }

    @Test
    void tagsAreASetOfStrings() throws Exception {
        Path file = write("""
                _format_version: "3.0"
                services:
                  - name: up
                    url: http://127.0.0.1:9101
                    routes:
                      - name: r
                        paths: [/a]
                        tags: notalist
                """);
        assertRefused(file).hasMessageContaining("services[0].routes[0].tags: expected a set");
        assertThat(load("""
                _format_version: "3.0"
                services:
                  - name: up
                    url: http://127.0.0.1:9101
                    tags: [team-a, llm]
                """).services).hasSize(1);
    }

    @Test
    void anExplicitNullForARequiredFieldIsRefusedAsKongRefusesItEvenWithADefault() throws Exception {
        // Kong reads the YAML null as ngx.null; only a missing field gets its default
        Path file = write("""
                _format_version: "3.0"
                plugins:
                  - name: java-file-log
                    config:
                      path: /tmp/x.log
                      reopen: null
                """);

        assertRefused(file).hasMessageContaining("plugins[0].config.reopen (java-file-log): required field missing");
    }

    @Test
    void aMissingRequiredFieldIsRefused() throws Exception {
        Path file = write("""
                _format_version: "3.0"
                plugins:
                  - name: java-file-log
                """);

        assertRefused(file)
                .hasMessage(file + ":3: plugins[0].config.path (java-file-log): required field missing");
    }

    @Test
    void anUnresolvableVaultReferenceNamesTheFieldAndTheVariable() throws Exception {
        Path file = write("""
                _format_version: "3.0"
                plugins:
                  - name: greeter
                    config:
                      auth:
                        header_value: "{vault://env/anthropic-api-key}"
                """);

        assertThatThrownBy(() -> DeclarativeConfig.load(file, PluginSchemas.both(), ENABLED, Map.<String, String>of()::get))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(file + ":6: plugins[0].config.auth.header_value: could not resolve vault reference"
                        + " {vault://env/anthropic-api-key} (set the environment variable ANTHROPIC_API_KEY)");
        assertThatThrownBy(() -> DeclarativeConfig.load(file, PluginSchemas.both(), ENABLED, Map.of("ANTHROPIC_API_KEY", "")::get))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(file + ":6: plugins[0].config.auth.header_value: vault reference {vault://env/anthropic-api-key}"
                        + " resolved to an empty value (the environment variable ANTHROPIC_API_KEY is set but empty)");

        Path inArray = write("""
                _format_version: "3.0"
                plugins:
                  - name: secrets
                    config:
                      tokens: [plain, "{vault://env/token-a}"]
                """);
        assertThatThrownBy(() -> DeclarativeConfig.load(inArray, Map.of("secrets", PluginSchemas.parse(PluginSchemas.SECRETS)),
                List.of("secrets"), Map.<String, String>of()::get))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(inArray + ":5: plugins[0].config.tokens[1]: could not resolve vault reference {vault://env/token-a}");
    }

    @Test
    void everyErrorNamesTheLineOfItsKeyOrOfTheEntryMissingIt() throws Exception {
        Path wrongType = write("""
                _format_version: "3.0"
                services:
                  - name: anthropic
                    url: https://api.anthropic.com
                    routes:
                      - name: claude-code
                        hosts: localhost
                """);
        assertRefused(wrongType).hasMessage(wrongType + ":7: services[0].routes[0].hosts: expected an array");

        Path missing = write("""
                _format_version: "3.0"
                services:
                  - name: anthropic
                    url: https://api.anthropic.com

                  - name: no-host
                    port: 8080
                """);
        // a missing key has no line of its own: the entry that lacks it has
        assertRefused(missing).hasMessage(missing + ":6: services[1].host: required field missing");

        Path notAMapping = write("""
                _format_version: "3.0"
                plugins:
                  - java-file-log
                """);
        assertRefused(notAMapping).hasMessage(notAMapping + ":3: plugins[0]: expected a mapping, got java-file-log");
    }
}
