package io.kongjava.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.kongjava.emulation.KongRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The upstream request's headers: the client's, what plugins changed, and Kong's template, each in the place it first had. */
class UpstreamHeadersTest {

    private static DeclarativeConfig.Route route(boolean preserveHost) {
        return new DeclarativeConfig.Route("r", "r", List.of("/"), List.of(), List.of(), false, preserveHost, null, Map.of());
    }

    private static KongRequest request() {
        KongRequest state = new KongRequest();
        state.clientIp = "10.0.0.7";
        state.host = "gw.example";
        state.port = 8000;
        state.path = "/a/b";
        state.requestId = "0123456789abcdef0123456789abcdef";
        return state;
    }

    private static List<String> lines(List<String[]> headers) {
        List<String> lines = new ArrayList<>();
        headers.forEach(h -> lines.add(h[0] + ": " + h[1]));
        return lines;
    }

    @Test
    void clientHeadersKeepTheirPlaceWithPluginValuesAndKongsTemplateOnTop() {
        KongRequest state = request();
        state.addHeader("Accept", "a");
        state.addHeader("X-Forwarded-For", "192.0.2.1");
        state.addHeader("Connection", "keep-alive");
        state.addHeader("Host", "gw.example:8000");
        state.addHeader("X-Custom", "1");
        state.addHeader("X-Removed", "r");
        state.upstream.headers.put("x-custom", List.of("2"));
        state.upstream.headers.put("x-removed", List.of());
        state.upstream.headers.put("x-added", List.of("p1", "p2"));
        state.upstream.headers.put("x-real-ip", List.of("plugin's"));
        state.upstream.headers.put("transfer-encoding", List.of("chunked"));

        assertThat(lines(UpstreamProxy.upstreamHeaders(state, route(false), "http", "upstream.example", 8080))).containsExactly(
                "accept: a",
                "x-forwarded-for: 192.0.2.1, 10.0.0.7",
                "x-custom: 2",
                "x-added: p1",
                "x-added: p2",
                "x-real-ip: 10.0.0.7",
                "via: 1.1 kong-java-gateway",
                "host: upstream.example:8080",
                "connection: keep-alive",
                "x-forwarded-proto: http",
                "x-forwarded-host: gw.example",
                "x-forwarded-port: 8000",
                "x-forwarded-path: /a/b",
                "x-kong-request-id: 0123456789abcdef0123456789abcdef");
    }

    @Test
    void whatTheClientsConnectionNamesAndProxyAreClearedAndTrailersAskedForAreAskedUpstream() {
        KongRequest state = request();
        state.addHeader("Connection", "close, X-Drop");
        state.addHeader("X-Drop", "1");
        state.addHeader("Proxy", "http://evil.example"); // httpoxy
        state.addHeader("TE", "deflate, trailers");
        state.addHeader("X-Kept", "k");
        state.upstream.headers.put("x-drop", List.of("set by a plugin"));

        assertThat(lines(UpstreamProxy.upstreamHeaders(state, route(false), "http", "upstream.example", 8080)))
                .contains("x-kept: k", "te: trailers")
                .noneMatch(line -> line.startsWith("x-drop") || line.startsWith("proxy") || line.startsWith("te: deflate"));
    }

    @Test
    void theHostIsTheServicesWithoutADefaultPortOrTheClientsWhenPreserved() {
        KongRequest state = request();
        state.addHeader("Host", "gw.example:8000");

        assertThat(lines(UpstreamProxy.upstreamHeaders(state, route(false), "https", "upstream.example", 443))).contains("host: upstream.example");
        assertThat(lines(UpstreamProxy.upstreamHeaders(state, route(false), "http", "::1", 8080))).contains("host: [::1]:8080");
        assertThat(lines(UpstreamProxy.upstreamHeaders(state, route(true), "http", "upstream.example", 80))).contains("host: gw.example:8000");
    }

    @Test
    void aClientsForwardedHeadersArePassedOnOnlyFromTrustedIpsButItsForwardedForIsAlwaysExtended() {
        KongRequest untrusted = request();
        untrusted.addHeader("X-Forwarded-Proto", "https");
        untrusted.addHeader("X-Forwarded-Host", "public.example");
        untrusted.addHeader("X-Forwarded-Prefix", "/edge");
        assertThat(lines(UpstreamProxy.upstreamHeaders(untrusted, route(false), "http", "u", 80)))
                .contains("x-forwarded-proto: http", "x-forwarded-host: gw.example", "x-forwarded-for: 10.0.0.7")
                .noneMatch(line -> line.startsWith("x-forwarded-prefix"));

        KongRequest trusted = request();
        trusted.trustedIps = io.kongjava.emulation.IpRanges.parse(List.of("10.0.0.0/8"));
        trusted.addHeader("X-Forwarded-Proto", "https");
        trusted.addHeader("X-Forwarded-Host", "public.example");
        trusted.addHeader("X-Forwarded-Prefix", "/edge");
        assertThat(lines(UpstreamProxy.upstreamHeaders(trusted, route(false), "http", "u", 80)))
                .contains("x-forwarded-proto: https", "x-forwarded-host: public.example", "x-forwarded-port: 8000", "x-forwarded-prefix: /edge");

        trusted.addHeader("X-Real-IP", "203.0.113.9");
        assertThat(lines(UpstreamProxy.upstreamHeaders(trusted, route(false), "http", "u", 80)))
                .as("nginx's realip module: $remote_addr is the trusted client's X-Real-IP")
                .contains("x-real-ip: 203.0.113.9", "x-forwarded-for: 203.0.113.9");
    }

    @Test
    void viaNamesTheGatewayAfterWhatTheClientsViaSaid() {
        KongRequest state = request();
        state.httpVersion = 2.0; // Kong writes the version as Lua prints the number: 2, 1.1 (and 1 for HTTP/1.0)
        state.addHeader("Via", "1.1 edge-proxy");
        assertThat(lines(UpstreamProxy.upstreamHeaders(state, route(false), "http", "u", 80))).contains("via: 1.1 edge-proxy, 2 kong-java-gateway");
    }

    @Test
    void thePrefixStripPathTookIsSentAsXForwardedPrefix() {
        KongRequest state = request();
        state.strippedPrefix = "/anything";
        assertThat(lines(UpstreamProxy.upstreamHeaders(state, route(false), "http", "u", 80))).contains("x-forwarded-prefix: /anything");

        state.strippedPrefix = "/";
        assertThat(lines(UpstreamProxy.upstreamHeaders(state, route(false), "http", "u", 80))).noneMatch(line -> line.startsWith("x-forwarded-prefix"));
    }

    @Test
    void headersUpstreamOffLeavesTheRequestIdOutAndTheClientsPasses() {
        KongRequest state = request();
        state.kongHeaders = java.util.Set.of();
        state.addHeader("X-Kong-Request-Id", "from-the-client");
        assertThat(lines(UpstreamProxy.upstreamHeaders(state, route(false), "http", "u", 80))).contains("x-kong-request-id: from-the-client");
    }

    @Test
    void lineBreaksInAPluginsValueDoNotReachTheUpstream() {
        KongRequest state = request();
        state.upstream.headers.put("x-injected", List.of("a\r\nx-evil: 1"));

        assertThat(lines(UpstreamProxy.upstreamHeaders(state, route(false), "http", "u", 80))).contains("x-injected: ax-evil: 1");
    }
}
