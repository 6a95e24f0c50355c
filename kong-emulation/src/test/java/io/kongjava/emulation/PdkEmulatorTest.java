package io.kongjava.emulation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kongjava.kongclient.PdkHandler.PdkAnswer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PdkEmulatorTest {

    private final KongRequest request = new KongRequest();
    private final PdkEmulator kong = new PdkEmulator(request).phase("access");

    private Object value(String method, Object... args) {
        PdkAnswer answer = kong.answer(method, Arrays.asList(args));
        assertThat(answer).as(method).isInstanceOf(PdkAnswer.Value.class);
        return ((PdkAnswer.Value) answer).value();
    }

    @Test
    void requestGettersAnswerFromTheClientRequest() {
        request.method = "POST";
        request.path = "/anything/v1/messages";
        request.rawQuery = "beta=true&flag";
        request.addHeader("X-Name", "ann");
        request.addHeader("X-Name", "bob");

        assertThat(value("kong.request.get_method")).isEqualTo("POST");
        assertThat(value("kong.request.get_path_with_query")).isEqualTo("/anything/v1/messages?beta=true&flag");
        assertThat(value("kong.request.get_header", "x-name")).isEqualTo("ann");
        assertThat(value("kong.request.get_headers")).isEqualTo(Map.of("x-name", List.of("ann", "bob")));
        assertThat(value("kong.request.get_query")).isEqualTo(Map.of("beta", List.of("true"), "flag", List.of()));
        assertThat(value("kong.request.get_query_arg", "flag")).isEqualTo(true);
        assertThat(value("kong.request.get_header", "missing")).isNull();
    }

    @Test
    void getPathIsTheNormalizedPathAndGetRawPathThePathAsSent() throws Exception {
        request.path = "/t/Abc%20123%2f/parent/..//test/./";

        assertThat(value("kong.request.get_path")).isEqualTo("/t/Abc 123%2F/test/");
        assertThat(value("kong.request.get_raw_path")).isEqualTo("/t/Abc%20123%2f/parent/..//test/./");

        request.path = "/caf%C3%A9";
        assertThat(value("kong.request.get_path")).as("Kong's bytes, read as UTF-8 by the plugin").isEqualTo("/caf\u00e9");

        // nginx's $uri decodes every escape, %2F included (checked under Debian's nginx + lua-nginx-module)
        request.path = "/a%2Fb/../c%20d//e";
        assertThat(value("kong.nginx.get_var", "uri")).isEqualTo("/a/c d/e");
        request.path = "/t/Abc%20123%2f/parent/..//test/./";
        assertThat(value("kong.nginx.get_var", "uri")).isEqualTo("/t/Abc 123/test/");
    }

    /** What came off the wire, one char per byte, as the gateway's HTTP reader holds it. */
    private static String wire(String text) {
        return new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }

    @Test
    void utf8InHeadersAndQueryReachesThePluginAsTextAndItsTextGoesOutAsUtf8() {
        request.path = "/anything";
        request.rawQuery = wire("q=café&r=caf%C3%A9");
        request.addHeader("X-User", wire("Zoë"));
        request.responseHeaders.put("x-from", new java.util.ArrayList<>(List.of(wire("naïve"))));

        assertThat(value("kong.request.get_header", "x-user")).isEqualTo("Zoë");
        assertThat(value("kong.request.get_headers")).isEqualTo(Map.of("x-user", List.of("Zoë")));
        assertThat(value("kong.nginx.get_var", "http_x_user")).isEqualTo("Zoë");
        assertThat(value("kong.request.get_query")).isEqualTo(Map.of("q", List.of("café"), "r", List.of("café")));
        assertThat(value("kong.request.get_raw_query")).isEqualTo("q=café&r=caf%C3%A9");
        assertThat(new PdkEmulator(request).phase("response").answer("kong.response.get_header", List.of("x-from")))
                .isEqualTo(PdkAnswer.value("naïve"));
        assertThat(value("kong.request.get_header", "x-bad")).isNull();
        request.addHeader("X-Bad", "\u00ff");
        assertThat(value("kong.request.get_header", "x-bad")).as("not UTF-8: replaced, as our server decodes Kong's string")
                .isEqualTo("\ufffd");

        value("kong.service.request.set_header", "x-upstream", "Zoë ✓");
        value("kong.service.request.set_header", "x-bytes", new byte[] {(byte) 0xff, 'a'});
        assertThat(request.upstream.headers.get("x-upstream")).as("UTF-8 bytes on the wire").containsExactly(wire("Zoë ✓"));
        assertThat(request.upstream.headers.get("x-bytes")).containsExactly("\u00ffa");

        Map<String, Object> record = LogSerializer.serialize(request);
        @SuppressWarnings("unchecked")
        Map<String, Object> logged = (Map<String, Object>) record.get("request");
        assertThat(logged.get("uri")).isEqualTo("/anything?q=café&r=caf%C3%A9");
        assertThat(logged.get("querystring")).isEqualTo(Map.of("q", "café", "r", "café"));
        assertThat(logged.get("headers")).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
                .containsEntry("x-user", "Zoë").containsEntry("x-upstream", "Zoë ✓");
    }

    @Test
    void forwardedHeadersCountOnlyFromATrustedClientAsInKong() {
        request.clientIp = "192.0.2.9";
        request.scheme = "http";
        request.host = "gw.example";
        request.port = 8000;
        request.path = "/a";
        request.addHeader("X-Forwarded-Proto", "HTTPS");
        request.addHeader("X-Forwarded-Host", "user@Evil.example:8443");
        request.addHeader("X-Forwarded-Path", "/admin");
        assertThat(value("kong.request.get_forwarded_scheme")).as("Kong's default: nobody is trusted").isEqualTo("http");
        assertThat(value("kong.request.get_forwarded_host")).isEqualTo("gw.example");
        assertThat(value("kong.request.get_forwarded_port")).isEqualTo(8000L);
        assertThat(value("kong.request.get_forwarded_path")).isEqualTo("/a");

        request.trustedIps = IpRanges.parse(List.of("192.0.2.0/24"));
        assertThat(value("kong.request.get_forwarded_scheme")).isEqualTo("https");
        assertThat(value("kong.request.get_forwarded_host")).isEqualTo("evil.example");
        assertThat(value("kong.request.get_forwarded_port")).isEqualTo(8443L);
        assertThat(value("kong.request.get_forwarded_path")).isEqualTo("/admin");
    }

    @Test
    void argumentsKongRaisesOnAreRaisedOn() {
        assertThat(kong.answer("kong.service.request.set_method", List.of("get"))).isInstanceOfSatisfying(PdkAnswer.Raised.class,
                raised -> assertThat(raised.message()).isEqualTo("invalid method: get"));
        assertThat(kong.answer("kong.service.request.set_path", List.of("v1"))).isInstanceOf(PdkAnswer.Raised.class);
        assertThat(kong.answer("kong.service.set_retries", List.of(40_000L))).isInstanceOfSatisfying(PdkAnswer.Raised.class,
                raised -> assertThat(raised.message()).isEqualTo("retries must be an integer between 0 and 32767: given 40000"));
        assertThat(kong.answer("kong.service.request.set_method", List.of("PATCH"))).isInstanceOf(PdkAnswer.Value.class);
        assertThat(request.upstream.method).isEqualTo("PATCH");
    }

    @Test
    void getBodyOfABodyNginxKeptInAFileIsNilUnlessAFileSizeIsGivenAsInKong() {
        request.addHeader("Content-Type", "application/json");
        request.body = ("{\"pad\":\"" + "x".repeat(10_000) + "\"}").getBytes(StandardCharsets.UTF_8);
        assertThat(value("kong.request.get_body")).as("over client_body_buffer_size (8 KiB)").isNull();
        assertThat(value("kong.request.get_body", "application/json", 100L, 0L)).isInstanceOf(Map.class);
        assertThat(value("kong.request.get_body", "application/json", 100L, 5_000L)).as("over the file size given").isNull();
    }

    @Test
    void anExitWithATableKeepsTheContentTypeItWasGivenAsKongDoes() {
        kong.answer("kong.response.exit", List.of(403L, Map.of("error", "no"), Map.of("Content-Type", "application/problem+json")));
        assertThat(request.exit.headers().get("content-type")).isEqualTo(List.of("application/problem+json"));
    }

    @Test
    void loadConsumerFindsOnlyTheConsumerItIsAskedFor() {
        String id = "5a1f0c6e-2d3b-4c5d-8e9f-0a1b2c3d4e5f";
        request.consumer = Map.of("id", id, "username", "ann");
        assertThat(value("kong.client.load_consumer", id)).isEqualTo(request.consumer);
        assertThat(value("kong.client.load_consumer", "ann", true)).isEqualTo(request.consumer);
        assertThat(value("kong.client.load_consumer", "6b2f0c6e-2d3b-4c5d-8e9f-0a1b2c3d4e5f")).isNull();
        assertThat(kong.answer("kong.client.load_consumer", List.of("ann"))).as("by id unless asked by username: Kong raises")
                .isInstanceOfSatisfying(PdkAnswer.Raised.class, raised -> assertThat(raised.message())
                        .isEqualTo("cannot load a consumer with an id that is not a uuid"));
    }

    @Test
    void isTrustedAnswersFromTrustedIps() {
        assertThat(value("kong.ip.is_trusted", "10.1.2.3")).as("Kong's default: no trusted IP").isEqualTo(false);

        request.trustedIps = IpRanges.parse(List.of("10.0.0.0/8", "::1", "unix:"));
        assertThat(value("kong.ip.is_trusted", "10.1.2.3")).isEqualTo(true);
        assertThat(value("kong.ip.is_trusted", "0:0:0:0:0:0:0:1")).isEqualTo(true);
        assertThat(value("kong.ip.is_trusted", "192.0.2.1")).isEqualTo(false);
        assertThat(value("kong.ip.is_trusted", "not-an-ip")).isEqualTo(false);
    }

    @Test
    void theForwardedIpIsATrustedClientsRealIpHeader() {
        request.clientIp = "10.0.0.5";
        request.addHeader("X-Real-IP", "203.0.113.9");
        assertThat(value("kong.client.get_forwarded_ip")).as("not trusted: the connection's address").isEqualTo("10.0.0.5");

        request.trustedIps = IpRanges.parse(List.of("10.0.0.0/8"));
        assertThat(value("kong.client.get_forwarded_ip")).isEqualTo("203.0.113.9");
        assertThat(value("kong.client.get_ip")).isEqualTo("10.0.0.5");

        request.realIpHeader = "x-forwarded-for";
        request.addHeader("X-Forwarded-For", "198.51.100.1, 198.51.100.2");
        assertThat(value("kong.client.get_forwarded_ip")).as("real_ip_recursive off: the last address").isEqualTo("198.51.100.2");
    }

    @Test
    void realIpRecursiveSkipsTrustedProxiesFromTheRight() {
        request.clientIp = "10.0.0.5";
        request.trustedIps = IpRanges.parse(List.of("10.0.0.0/8"));
        request.realIpHeader = "x-forwarded-for";
        request.realIpRecursive = true;
        request.addHeader("X-Forwarded-For", "198.51.100.1, 203.0.113.7, 10.1.1.1");
        request.addHeader("X-Forwarded-For", "10.2.2.2");
        assertThat(value("kong.client.get_forwarded_ip")).as("every header's list, trusted ones skipped from the right")
                .isEqualTo("203.0.113.7");

        request.headers.put("x-forwarded-for", List.of("10.3.3.3, 10.4.4.4"));
        assertThat(value("kong.client.get_forwarded_ip")).as("all trusted: the leftmost").isEqualTo("10.3.3.3");

        request.headers.put("x-forwarded-for", List.of("198.51.100.1, not-an-ip, 10.4.4.4"));
        assertThat(value("kong.client.get_forwarded_ip")).as("a bad entry stops the walk where it was").isEqualTo("10.4.4.4");

        request.realIpRecursive = false;
        request.headers.put("x-forwarded-for", List.of("198.51.100.1, 10.4.4.4"));
        assertThat(value("kong.client.get_forwarded_ip")).as("off: the last address, trusted or not").isEqualTo("10.4.4.4");
    }

    @Test
    void aBodyLeftUnreadIsReadWhenAPluginAsksForIt() {
        request.headers.put("content-type", List.of("application/json"));
        int[] reads = {0};
        request.pendingBody = () -> {
            reads[0]++;
            request.body = "{\"model\":\"m\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        };
        assertThat(value("kong.request.get_body")).isEqualTo(Map.of("model", "m"));
        assertThat((byte[]) value("kong.request.get_raw_body")).asString().isEqualTo("{\"model\":\"m\"}");
        assertThat(reads[0]).as("read once, as nginx reads it for ngx.req.read_body").isEqualTo(1);
        assertThat(request.pendingBody).isNull();
    }

    @Test
    void theServicesResponseBodyIsDecodedByItsContentTypeAsKongsGetBodyDoes() {
        kong.phase("response");
        request.upstreamResponse = new KongRequest.UpstreamResponse(200, Map.of("content-type", List.of("Application/JSON; charset=utf-8")),
                "{\"usage\":{\"input_tokens\":3}}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(value("kong.service.response.get_body")).isEqualTo(Map.of("usage", Map.of("input_tokens", 3L)));
        assertThat(value("kong.service.response.get_body", "text/plain")).as("the type given wins over the header").isNull();

        request.upstreamResponse = new KongRequest.UpstreamResponse(200, Map.of("content-type", List.of("text/plain")), new byte[] {'x'});
        assertThat(value("kong.service.response.get_body")).as("a type Kong does not decode").isNull();
    }

    @Test
    void aFormBodyHasNgxDecodeArgsShapeNotTheMultimapOfGetQuery() {
        request.headers.put("content-type", List.of("application/x-www-form-urlencoded"));
        request.body = "model=claude&tag=a&tag=b&stream".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertThat(value("kong.request.get_body")).isEqualTo(Map.of("model", "claude", "tag", List.of("a", "b"), "stream", true));
    }

    @Test
    void uriCapturesAreTheMatchedRoutesRegexGroups() {
        assertThat(value("kong.request.get_uri_captures")).as("no regex route").isEqualTo(Map.of("unnamed", List.of(), "named", List.of()));

        request.uriCaptures = List.of("/users/42", "42");
        request.uriCapturesNamed = Map.of("id", "42");
        assertThat(value("kong.request.get_uri_captures")).isEqualTo(Map.of("unnamed", Map.of(0L, "/users/42", 1L, "42"), "named", Map.of("id", "42")));
    }

    @Test
    void anEmptyMultimapIsAMapButOtherEmptyTablesAreLists() {
        assertThat(value("kong.request.get_headers")).isEqualTo(Map.of());
        value("kong.ctx.shared.set", "k", Map.of());
        assertThat(value("kong.ctx.shared.get", "k")).isEqualTo(List.of());
    }

    /** Expected values: lua-multipart 0.5.9 (Kong 3.9's) run under Debian's nginx + lua-nginx-module on the same bytes. */
    @Test
    void aMultipartBodyIsDecodedAsKongsLuaMultipartReadsIt() {
        String browser = "------WebKitFormBoundary7MA4YWxkTrZu0gW\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nclaude\r\n"
                + "------WebKitFormBoundary7MA4YWxkTrZu0gW\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n"
                + "Content-Type: text/plain\r\n\r\nline1\r\nline2\r\n\r\n------WebKitFormBoundary7MA4YWxkTrZu0gW--\r\n";
        assertThat(multipart("multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW", browser))
                .isEqualTo(Map.of("model", "claude", "file", "line1\r\nline2\r\n"));
        assertThat(multipart("multipart/form-data; boundary=X", "--X\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nhello\r\n"
                + "--X\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nwor\r\n\r\nld\r\n--X--\r\n"))
                .as("a field sent twice").isEqualTo(Map.of("a", List.of("hello", "wor\r\n\r\nld")));
        assertThat(multipart("multipart/form-data; boundary=X", "--X\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n"
                + "--X\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\ntail\r\n"))
                .as("no closing boundary: the last part's value as it is, alone").isEqualTo(Map.of("x", "tail\r\n"));
        assertThat(multipart("multipart/form-data; boundary=X", "--X\nContent-Disposition: form-data; name=\"x\"\n\nv1\n"
                + "--X\nContent-Disposition: form-data; name=\"y\"\n\nk: v\n--X--\n"))
                .as("LF line ends; a value line that looks like a header is taken as one").isEqualTo(Map.of("x", "v1", "y", ""));
        assertThat(multipart("multipart/form-data; boundary=X", "--X\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nabc\r\r--X--\r\n"))
                .isEqualTo(Map.of("x", "abc"));
        assertThat(multipart("multipart/form-data; boundary=X", wire("--X\r\nContent-Disposition: form-data; name=\"n\"\r\n\r\ncafé\r\n--X--")))
                .isEqualTo(Map.of("n", "café"));
        assertThat(multipart("multipart/form-data; boundary=\"q b\"", "--q b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--q b--"))
                .as("Kong reads the boundary up to the first space").isEqualTo(List.of());
        assertThat(multipart("multipart/form-data", "--X\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--X--"))
                .as("no boundary: an empty table").isEqualTo(List.of());
        assertThat(multipart("multipart/form-data; boundary=X", "--X\r\ncontent-disposition: form-data; NAME = \"z\" \r\n\r\nv\r\n--X--"))
                .as("name= must follow the parameter's name at once").isEqualTo(List.of());

        request.clientBodyBufferSize = 16;
        assertThat(multipart("multipart/form-data; boundary=X", "--X\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--X--"))
                .as("kept in a file: get_raw_body without a size").isNull();
        assertThat(value("kong.request.get_body", null, null, 1000L)).as("with one").isEqualTo(Map.of("x", "1"));
    }

    private Object multipart(String contentType, String wireBody) {
        request.headers.clear();
        request.addHeader("Content-Type", contentType);
        request.body = wireBody.getBytes(StandardCharsets.ISO_8859_1);
        return value("kong.request.get_body");
    }

    @Test
    void aBodyOver8KiBNeedsTheSizeArgumentOrThePhaseDies() {
        request.body = new byte[10_000];

        assertThat(kong.answer("kong.request.get_raw_body", List.of())).isInstanceOf(PdkAnswer.Raised.class);
        assertThat((byte[]) value("kong.request.get_raw_body", 0L)).hasSize(10_000);
        assertThat(kong.answer("kong.request.get_raw_body", List.of(5_000L))).isInstanceOf(PdkAnswer.Raised.class)
                .asString().contains("request body file too big: 10000 > 5000");
        assertThat((byte[]) value("kong.request.get_raw_body", 10_000L)).hasSize(10_000);
    }

    @Test
    void aBodyWithinTheBufferIsAnsweredWhateverTheSizeArgument() {
        request.clientBodyBufferSize = 16 * 1024 * 1024;
        request.body = new byte[600_000];

        assertThat((byte[]) value("kong.request.get_raw_body", 5_000L)).hasSize(600_000);
        assertThat((byte[]) value("kong.request.get_raw_body")).hasSize(600_000);
    }

    @Test
    void errorsWithoutAMessageCarryKongsTextForTheStatus() throws Exception {
        assertThat(kong.answer("kong.response.error", List.of(413L))).isInstanceOf(PdkAnswer.Terminal.class);
        assertThat(new ObjectMapper().readValue(request.exit.body(), Map.class))
                .isEqualTo(Map.of("message", "Payload too large", "request_id", request.requestId));
        assertThat(kong.answer("kong.response.error", List.of(302L)))
                .isEqualTo(new PdkAnswer.Raised("code must be a number between 400 and 599"));
    }

    @Test
    void phaseRulesComeFromTheCatalogue() {
        kong.phase("rewrite");
        assertThat(kong.answer("kong.client.authenticate", List.of(Map.of("id", "c"))))
                .isEqualTo(new PdkAnswer.Raised("function cannot be called in rewrite phase (only in: access)"));
        assertThat(kong.answer("kong.router.get_route", List.of())).isInstanceOf(PdkAnswer.Raised.class);
        assertThat(kong.answer("kong.node.get_id", List.of())).isInstanceOf(PdkAnswer.Value.class);
    }

    @Test
    void callsOutsideTheirPhasesRaiseLikeKong() {
        kong.phase("log");
        assertThat(kong.answer("kong.request.get_method", List.of()))
                .isEqualTo(new PdkAnswer.Raised("API disabled in the context of log (Kong runs external log handlers in a timer)"));
        assertThat(kong.answer("kong.request.get_header", List.of("x"))).isInstanceOf(PdkAnswer.Value.class);

        kong.phase("access");
        assertThat(kong.answer("kong.log.serialize", List.of())).isInstanceOf(PdkAnswer.Raised.class);
        assertThat(kong.answer("kong.service.response.get_raw_body", List.of())).isInstanceOf(PdkAnswer.Raised.class);
    }

    @Test
    void exitIsTerminalAndRecordsTheResponse() {
        PdkAnswer answer = kong.answer("kong.response.exit", List.of(403L, Map.of("message", "no"), Map.of("X-Why", "test")));

        assertThat(answer).isInstanceOf(PdkAnswer.Terminal.class);
        assertThat(request.exit.status()).isEqualTo(403);
        assertThat(new String(request.exit.body(), StandardCharsets.UTF_8)).isEqualTo("{\"message\":\"no\"}");
        assertThat(request.exit.headers().get("x-why")).isEqualTo(List.of("test"));
        assertThat(request.exit.headers()).containsKey("content-type");
    }

    @Test
    void errorBuildsKongsPageInTheFormatTheClientAccepts() {
        kong.answer("kong.response.error", List.of(503L));

        assertThat(new String(request.exit.body(), StandardCharsets.UTF_8))
                .isEqualTo("{\n  \"message\":\"The upstream server is currently unavailable\",\n  \"request_id\":\"" + request.requestId + "\"\n}");

        request.addHeader("Accept", "text/plain");
        kong.answer("kong.response.error", List.of(404L, "gone fishing"));
        assertThat(request.exit.headers().get("content-type")).containsExactly("text/plain; charset=utf-8");
        assertThat(new String(request.exit.body(), StandardCharsets.UTF_8)).isEqualTo("gone fishing\nrequest_id: " + request.requestId + "\n");
    }

    @Test
    void serviceRequestChangesAreRecordedForTheUpstream() {
        value("kong.service.set_target", "127.0.0.1", 9999L);
        value("kong.service.request.set_scheme", "http");
        value("kong.service.request.set_path", "/v1/messages");
        value("kong.service.request.set_header", "x-api-key", "secret");
        value("kong.service.request.clear_header", "authorization");

        assertThat(request.upstream.targetHost).isEqualTo("127.0.0.1");
        assertThat(request.upstream.targetPort).isEqualTo(9999);
        assertThat(request.upstream.path).isEqualTo("/v1/messages");
        assertThat(request.upstream.headers.get("x-api-key")).isEqualTo(List.of("secret"));
        assertThat(request.upstream.headers.get("authorization")).isEmpty();
    }

    @Test
    void setBodyEncodesByTheMimeTypeGivenOrTheClientsContentTypeAsKongDoes() {
        Map<String, Object> fields = new java.util.LinkedHashMap<>();
        fields.put("n", 1L);
        fields.put("a", "b c");

        assertThat(value("kong.service.request.set_body", fields, "application/x-www-form-urlencoded")).isEqualTo(true);
        assertThat(new String(request.upstream.body, StandardCharsets.UTF_8)).isEqualTo("a=b%20c&n=1");
        assertThat(request.upstream.headers.get("content-type")).containsExactly("application/x-www-form-urlencoded");

        assertThat(value("kong.service.request.set_body", fields, "multipart/form-data; boundary=XyZ")).isEqualTo(true);
        assertThat(new String(request.upstream.body, StandardCharsets.UTF_8)).isEqualTo("""
                --XyZ\r
                Content-Disposition: form-data; name="a"\r
                \r
                b c\r
                --XyZ\r
                Content-Disposition: form-data; name="n"\r
                \r
                1\r
                --XyZ--\r
                """);
        assertThat(request.upstream.headers.get("content-type")).containsExactly("multipart/form-data; boundary=XyZ");

        assertThat(value("kong.service.request.set_body", fields)).as("no MIME type and no Content-Type: nil").isNull();

        request.addHeader("Content-Type", "application/json; charset=utf-8");
        assertThat(value("kong.service.request.set_body", fields)).isEqualTo(true);
        assertThat(new String(request.upstream.body, StandardCharsets.UTF_8)).isEqualTo("{\"n\":1,\"a\":\"b c\"}");
        assertThat(request.upstream.headers.get("content-type")).containsExactly("application/json; charset=utf-8");

        assertThat(kong.answer("kong.service.request.set_body", List.of(fields, "text/plain"))).isInstanceOfSatisfying(PdkAnswer.Raised.class,
                raised -> assertThat(raised.message()).isEqualTo("unsupported content type text/plain"));
        assertThat(kong.answer("kong.service.request.set_body", List.of(Map.of("flag", true), "multipart/form-data")))
                .as("LuaJIT's string.buffer takes no boolean").isInstanceOf(PdkAnswer.Raised.class);
        assertThat(kong.answer("kong.service.request.set_body", List.of(List.of("a"), "application/x-www-form-urlencoded")))
                .isInstanceOfSatisfying(PdkAnswer.Raised.class, raised -> assertThat(raised.message()).isEqualTo("arg keys must be strings"));
    }

    @Test
    void valuesComeBackFromKongsLuaAsLuaMessagePackPacksThem() {
        Map<String, Object> table = new java.util.LinkedHashMap<>();
        table.put("whole", 1.0);
        table.put("negative_zero", -0.0);
        table.put("big", Long.MAX_VALUE);
        table.put("past_2_53", 9007199254740993L);
        table.put("fraction", 0.5);
        table.put("bytes", "raw".getBytes(StandardCharsets.UTF_8));
        table.put("empty", Map.of());
        value("kong.ctx.shared.set", "t", table);

        assertThat(value("kong.ctx.shared.get", "t")).isEqualTo(Map.of("whole", 1L, "negative_zero", 0L, "big", 9.223372036854775807E18,
                "past_2_53", 9.007199254740992E15, "fraction", 0.5, "bytes", "raw", "empty", List.of()));

        request.addHeader("Content-Type", "application/json");
        request.body = "{\"n\":1.0,\"o\":{},\"l\":[2.5,-0.0]}".getBytes(StandardCharsets.UTF_8);
        assertThat(value("kong.request.get_body")).isEqualTo(Map.of("n", 1L, "o", List.of(), "l", List.of(2.5, 0L)));
    }

    @Test
    void queryAndHeadersStopAtNginxsHundredUnlessToldAndLookupsSeeOnlyThose() {
        StringBuilder query = new StringBuilder("multi=first&multi=second&bare");
        for (int i = 1; i <= 160; i++) {
            query.append("&q").append(i).append("=v");
            request.addHeader("x-h" + i, "v");
        }
        request.rawQuery = query.toString();
        request.addHeader("x-multi", "m1");

        assertThat((Map<?, ?>) value("kong.request.get_query")).as("100 arguments, multi's two among them").hasSize(99);
        assertThat((Map<?, ?>) value("kong.request.get_query", 1000L)).hasSize(162);
        assertThat(value("kong.request.get_query_arg", "q50")).isEqualTo("v");
        assertThat(value("kong.request.get_query_arg", "q150")).as("past the 100 get_query reads").isNull();
        assertThat(value("kong.request.get_query_arg", "multi")).isEqualTo("first");
        assertThat(value("kong.request.get_query_arg", "bare")).isEqualTo(true);
        assertThat((Map<?, ?>) value("kong.request.get_headers")).hasSize(100);
        assertThat((Map<?, ?>) value("kong.request.get_headers", 500L)).hasSize(161);
        assertThat(value("kong.request.get_header", "X_Multi")).as("nginx's $http_x_multi").isEqualTo("m1");
    }

    @Test
    void setPathEscapesAsKongForwardsPathsAndUpstreamUriFollowsIt() throws Exception {
        request.path = "/anything";
        request.rawQuery = "beta=true";
        request.upstreamUri = "/anything"; // as the router set it

        assertThat(value("kong.nginx.get_var", "upstream_uri")).isEqualTo("/anything");
        value("kong.service.request.set_path", "/v1/a b\u00e9?x");
        assertThat(request.upstream.path).as("kong.tools.uri.escape: what may not stand in a request line").isEqualTo("/v1/a%20b%C3%A9?x");
        assertThat(value("kong.nginx.get_var", "upstream_uri")).isEqualTo("/v1/a%20b%C3%A9?x");
        assertThat(kong.answer("kong.service.request.set_path", List.of("v1"))).isInstanceOfSatisfying(PdkAnswer.Raised.class,
                raised -> assertThat(raised.message()).isEqualTo("path must start with /"));

        request.upstreamUri = "/v1/messages";
        kong.phase("log");
        Map<?, ?> record = new ObjectMapper().readValue((String) value("kong.log.serialize"), Map.class);
        assertThat(record.get("upstream_uri")).as("a request that ended before access.after: serialize adds the args")
                .isEqualTo("/v1/messages?beta=true");
        assertThat(new PdkEmulator(request).phase("rewrite").answer("kong.nginx.get_var", List.of("upstream_uri")))
                .as("the router sets it after rewrite").isEqualTo(new PdkAnswer.Value(""));
    }

    @Test
    void inRewriteTheUpstreamIsNotSetYetAsUnderKong() {
        PdkEmulator rewrite = new PdkEmulator(request).phase("rewrite");
        request.upstream.path = "/from-the-route";

        assertThat(rewrite.answer("kong.service.set_target", List.of("127.0.0.1", 9999L))).isInstanceOfSatisfying(PdkAnswer.Raised.class,
                raised -> assertThat(raised.message()).contains("balancer_data"));
        assertThat(rewrite.answer("kong.service.request.set_path", List.of("/from-rewrite"))).isInstanceOf(PdkAnswer.Value.class);
        assertThat(request.upstream.path).as("access.before sets it from the route again").isEqualTo("/from-the-route");
    }

    @Test
    void responseHeadersTakeNginxsNamesAndKongsErrorPagesOnlyTheirOwnTypes() {
        PdkEmulator response = new PdkEmulator(request).phase("response");
        request.upstreamResponse = new KongRequest.UpstreamResponse(200, Map.of("x-echo-server", List.of("up")), new byte[0]);
        request.responseHeaders.put("x-echo-server", new java.util.ArrayList<>(List.of("up")));

        response.answer("kong.response.set_header", List.of("X_Under", "v"));
        assertThat(request.responseHeaders).containsEntry("x-under", List.of("v"));
        response.answer("kong.response.set_header", List.of("x-crlf", List.of("a\r\nx-injected: 1", "b\tc")));
        response.answer("kong.response.add_header", List.of("x-crlf", "d"));
        response.answer("kong.response.set_header", List.of("x bad:name", "v"));
        assertThat(request.responseHeaders).as("nginx escapes what would split the head")
                .containsEntry("x-crlf", List.of("a%0D%0Ax-injected: 1", "b\tc", "d")).containsEntry("x%20bad%3aname", List.of("v")); // the map keys names in lower case
        assertThat(((PdkAnswer.Value) response.answer("kong.response.get_header", List.of("x_echo_server"))).value()).isEqualTo("up");
        assertThat(((PdkAnswer.Value) response.answer("kong.service.response.get_header", List.of("X_Echo_Server"))).value()).isEqualTo("up");
        assertThat(((PdkAnswer.Value) response.answer("kong.service.response.get_headers", List.of())).value())
                .as("Kong's buffered headers table cannot be iterated: the bridge sends it empty").isEqualTo(Map.of());

        assertThat(kong.answer("kong.response.error", List.of(401L, "no", Map.of("Content-Type", "application/problem+json"))))
                .as("no template for it: Kong's formatting raises").isInstanceOf(PdkAnswer.Raised.class);
        assertThat(kong.answer("kong.response.error", List.of(401L, "no", Map.of("Content-Type", "text/plain")))).isInstanceOf(PdkAnswer.Terminal.class);
        assertThat(request.exit.headers()).containsEntry("content-type", List.of("text/plain"));
    }

    @Test
    void aTableExitIsEncodedAsKongsCjsonEncodesIt() {
        Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("n", 1.0);
        body.put("l", List.of());
        body.put("f", 0.30000000000000004);
        body.put("big", 12345678901234567L);
        body.put("u", "http://a/b");
        body.put("ok", List.of(1L, "two"));

        assertThat(kong.answer("kong.response.exit", List.of(200L, body))).isInstanceOf(PdkAnswer.Terminal.class);

        assertThat(new String(request.exit.body(), StandardCharsets.UTF_8))
                .isEqualTo("{\"n\":1,\"l\":{},\"f\":0.3,\"big\":1.234567890123457e+16,\"u\":\"http:\\/\\/a\\/b\",\"ok\":[1,\"two\"]}");
    }

    @Test
    void aJsonBodyThatIsNoObjectOrArrayIsNilAsKongsGetBodyHasIt() {
        request.addHeader("Content-Type", "application/json");
        request.body = "42".getBytes(StandardCharsets.UTF_8);
        assertThat(value("kong.request.get_body")).isNull();
    }

    @Test
    void setQueryIsKongsOrderedEncoding() {
        Map<String, Object> args = new java.util.LinkedHashMap<>();
        args.put("z", "last one ~*!'()+&");
        args.put("flag", true);
        args.put("off", false);
        args.put("a", List.of("1", "2"));
        args.put("ratio", 0.5);
        args.put("whole", 2.0);

        value("kong.service.request.set_query", args);

        assertThat(request.upstream.rawQuery).isEqualTo("&a=1&a=2&flag&ratio=0.5&whole=2&z=last%20one%20~*!'()%2B%26");
    }

    @Test
    void serializeIsKongsRecordWithSerializeValuesAppliedAndAuthorizationRedacted() throws Exception {
        request.addHeader("Authorization", "Bearer x");
        request.addHeader("User-Agent", "claude-cli/2.0 (external, cli)");
        request.responseStatus = 200;
        value("kong.log.set_serialize_value", "ai.proxy.meta.provider_name", "anthropic");
        value("kong.log.set_serialize_value", "request.headers.user-agent", "changed", Map.of("mode", "replace"));
        value("kong.log.set_serialize_value", "response.missing.x", "no", Map.of("mode", "replace"));

        kong.phase("log");
        Map<?, ?> record = new ObjectMapper().readValue((String) value("kong.log.serialize"), Map.class);

        Map<?, ?> headers = (Map<?, ?>) ((Map<?, ?>) record.get("request")).get("headers");
        assertThat(headers.get("authorization")).isEqualTo("REDACTED");
        assertThat(headers.get("user-agent")).isEqualTo("changed");
        assertThat(((Map<?, ?>) ((Map<?, ?>) ((Map<?, ?>) record.get("ai")).get("proxy")).get("meta")).get("provider_name")).isEqualTo("anthropic");
        assertThat(((Map<?, ?>) record.get("response")).containsKey("missing")).isFalse();
        assertThat(record.get("source")).isEqualTo("upstream");
        assertThat(record.get("workspace_name")).isEqualTo("default");
    }

    @Test
    void unknownFunctionsAnswerNothingAndAreLogged() {
        assertThat(value("kong.request.teleport")).isNull();
        assertThat(request.logLines).contains(new KongRequest.LogLine("err", "could not find pdk method: kong.request.teleport"));
    }

    @Test
    void envVaultReferencesReadTheEnvironment() {
        assertThat(Vaults.resolve("{vault://env/path}")).isEqualTo(System.getenv("PATH"));
        assertThat(Vaults.resolve("{vault://aws/x}")).isNull();
        assertThat(Vaults.resolve("plain")).isNull();
    }
}
