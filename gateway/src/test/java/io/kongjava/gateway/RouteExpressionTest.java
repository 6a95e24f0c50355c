package io.kongjava.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Kong's ATC expressions, as a route under router_flavor = expressions states them. */
class RouteExpressionTest {

    private static RouteExpression.Request request(String method, String path, Map<String, List<String>> headers, String query) {
        return new RouteExpression.Request("http", method, "api.example", path, headers, Router.queries(query),
                "10.1.2.3", 51234, "127.0.0.1", 8000);
    }

    private static boolean matches(String expression, RouteExpression.Request request) throws Exception {
        return RouteExpression.parse(expression).evaluate(request).matched();
    }

    private static final RouteExpression.Request GET_V1 = request("GET", "/v1/messages/", Map.of(
            "x-team", List.of("Alpha"), "accept", List.of("text/plain", "application/json")), "beta=true&tag=a&tag=b&flag");

    @Test
    void predicatesCompareTheRequestsFields() throws Exception {
        assertThat(matches("http.method == \"GET\"", GET_V1)).isTrue();
        assertThat(matches("http.path ^= \"/v1/\"", GET_V1)).isTrue();
        assertThat(matches("http.path =^ \"/\"", GET_V1)).isTrue();
        assertThat(matches("http.path ~ r#\"^/v[0-9]+/\"#", GET_V1)).isTrue();
        assertThat(matches("http.path contains \"messages\"", GET_V1)).isTrue();
        assertThat(matches("http.host == \"api.example\"", GET_V1)).isTrue();
        assertThat(matches("net.protocol == \"http\"", GET_V1)).isTrue();
        assertThat(matches("http.headers.x_team == \"Alpha\"", GET_V1)).as("_ stands for -").isTrue();
        assertThat(matches("lower(http.headers.x_team) == \"alpha\"", GET_V1)).isTrue();
        assertThat(matches("http.headers.x_team == \"alpha\"", GET_V1)).as("case counts without lower()").isFalse();
        assertThat(matches("http.queries.beta == \"true\"", GET_V1)).isTrue();
        assertThat(matches("http.queries.flag == \"\"", GET_V1)).as("an argument without a value is \"\"").isTrue();
        assertThat(matches("net.src.ip in 10.0.0.0/8 && net.src.port > 1024", GET_V1)).isTrue();
        assertThat(matches("net.src.ip not in 10.0.0.0/8", GET_V1)).isFalse();
        assertThat(matches("net.dst.port == 8000 && net.port == 8000", GET_V1)).as("net.port is Kong's old name").isTrue();
        assertThat(matches("http.path.segments.0 == \"v1\" && http.path.segments.0_1 == \"v1/messages\"", GET_V1)).isTrue();
        assertThat(matches("http.path.segments.len == 2", GET_V1)).as("trailing empty segments do not count").isTrue();
        assertThat(matches("tls.sni == \"api.example\"", GET_V1)).as("plain http has no server name").isFalse();
        assertThat(matches("http.headers.missing != \"x\"", GET_V1)).as("a field with no value matches nothing").isFalse();
    }

    @Test
    void aFieldWithSeveralValuesMatchesWhenAllDoUnlessAnyIsAsked() throws Exception {
        assertThat(matches("http.queries.tag == \"a\"", GET_V1)).isFalse();
        assertThat(matches("any(http.queries.tag) == \"b\"", GET_V1)).isTrue();
        assertThat(matches("http.headers.accept contains \"/\"", GET_V1)).isTrue();
        assertThat(matches("any(lower(http.headers.accept)) == \"application/json\"", GET_V1)).isTrue();
    }

    @Test
    void orBindsTighterThanAndAsInAtcRouter() throws Exception {
        // a && b || c is a && (b || c): false && ... is false, whatever c is
        assertThat(matches("http.method == \"POST\" && http.method == \"PUT\" || http.method == \"GET\"", GET_V1)).isFalse();
        assertThat(matches("(http.method == \"POST\" && http.method == \"PUT\") || http.method == \"GET\"", GET_V1)).isTrue();
        assertThat(matches("!(http.method == \"POST\") && !(http.path ^= \"/admin\")", GET_V1)).isTrue();
    }

    @Test
    void theHttpPathItMatchedOnIsWhatStripPathStrips() throws Exception {
        assertThat(RouteExpression.parse("http.method == \"GET\" && http.path ^= \"/v1\"").evaluate(GET_V1).matchedPath()).isEqualTo("/v1");
        assertThat(RouteExpression.parse("http.path ~ \"^/v[0-9]\"").evaluate(GET_V1).matchedPath()).isEqualTo("/v1");
        assertThat(RouteExpression.parse("http.method == \"GET\"").evaluate(GET_V1).matchedPath()).isNull();
    }

    @Test
    void expressionsKongWouldRefuseAreRefusedWithWhereTheProblemIs() {
        assertInvalid("http.path = \"/x\"", "expected an operator");
        assertInvalid("http.pth == \"/x\"", "unknown field 'http.pth' (at character 1)");
        assertInvalid("http.path == 5", "type mismatch");
        assertInvalid("net.src.port == \"80\"", "type mismatch");
        assertInvalid("lower(net.src.port) == 80", "lower-case transformation");
        assertInvalid("upper(http.path) == \"/\"", "unknown transformation function: upper");
        assertInvalid("net.src.ip in 10.0.0.1", "in and not in only take an IP field and a CIDR");
        assertInvalid("http.path ~ \"(\"", "invalid regex");
        assertInvalid("http.path == \"/x", "unterminated string");
        assertInvalid("! http.path == \"/x\"", "'!' must be followed by a parenthesised expression");
        assertInvalid("(http.path == \"/x\"", "expected ')'");
        assertInvalid("http.path == \"/x\" http.method == \"GET\"", "expected && or || or the end (at character 19)");
        assertInvalid("net.src.ip == 300.1.1.1", "not an IP address or a CIDR range: 300.1.1.1");
    }

    private static void assertInvalid(String expression, String message) {
        assertThatThrownBy(() -> RouteExpression.parse(expression)).as(expression)
                .isInstanceOf(RouteExpression.Invalid.class).hasMessageContaining(message);
    }
}
