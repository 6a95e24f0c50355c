package io.kongjava.testing.clouds;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A local stand-in for AWS STS's {@code AssumeRole} (the Query API: a form-encoded POST with {@code Action},
 * {@code Version}, {@code RoleArn}, {@code RoleSessionName}), as its API reference describes it. Like STS it
 * refuses a request not signed with SigV4 by the caller's own credentials ({@link SigV4Verifier}, service
 * {@code sts}) with 403 {@code SignatureDoesNotMatch}, and a role it does not know with 403 {@code AccessDenied}.
 * It answers with the temporary credentials it was given (access key, secret, session token), valid for an hour,
 * which {@link FakeBedrock#requireSessionToken} then demands.
 */
public final class FakeSts implements AutoCloseable {

    /** An AssumeRole call the fake saw: its form parameters and whether its signature was valid. */
    public record Seen(Map<String, String> parameters, Map<String, List<String>> headers, Optional<String> signatureProblem) {
    }

    private final HttpServer server;
    private final SigV4Verifier verifier;
    private final String roleArn;
    private final String issuedKeyId;
    private final String issuedSecret;
    private final String issuedToken;
    private final BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();

    private FakeSts(HttpServer server, SigV4Verifier verifier, String roleArn, String issuedKeyId, String issuedSecret, String issuedToken) {
        this.server = server;
        this.verifier = verifier;
        this.roleArn = roleArn;
        this.issuedKeyId = issuedKeyId;
        this.issuedSecret = issuedSecret;
        this.issuedToken = issuedToken;
    }

    /**
     * Starts on a free loopback port.
     *
     * @param callerKeyId,callerSecret the base credentials AssumeRole must be signed with
     * @param region                   the region the caller signs for
     * @param roleArn                  the one role that may be assumed
     * @param issuedKeyId,issuedSecret,issuedToken the temporary credentials handed out
     */
    public static FakeSts start(String callerKeyId, String callerSecret, String region, String roleArn,
                                String issuedKeyId, String issuedSecret, String issuedToken) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        FakeSts fake = new FakeSts(server, new SigV4Verifier(callerKeyId, callerSecret, region, "sts"), roleArn, issuedKeyId, issuedSecret, issuedToken);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", fake::handle);
        server.start();
        return fake;
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public Optional<Seen> take(long timeoutMillis) throws InterruptedException {
        return Optional.ofNullable(seen.poll(timeoutMillis, TimeUnit.MILLISECONDS));
    }

    public int seenCount() {
        return seen.size();
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] payload = exchange.getRequestBody().readAllBytes();
            URI uri = exchange.getRequestURI();
            Map<String, List<String>> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            headers.putAll(exchange.getRequestHeaders());
            Optional<String> problem = verifier.problem(exchange.getRequestMethod(), uri, headers, payload, Instant.now());
            Map<String, String> form = form(new String(payload, StandardCharsets.UTF_8));
            if (uri.getRawQuery() != null) {
                form.putAll(form(uri.getRawQuery()));
            }
            seen.add(new Seen(form, headers, problem));
            if (problem.isPresent()) {
                error(exchange, 403, "SignatureDoesNotMatch", problem.get());
                return;
            }
            if (!"AssumeRole".equals(form.get("Action")) || !"2011-06-15".equals(form.get("Version"))) {
                error(exchange, 400, "InvalidAction", "Could not find operation " + form.get("Action") + " for version " + form.get("Version"));
                return;
            }
            String sessionName = form.getOrDefault("RoleSessionName", "");
            if (!sessionName.matches("[\\w+=,.@-]{2,64}")) {
                error(exchange, 400, "ValidationError", "1 validation error detected: Value '" + sessionName
                        + "' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*");
                return;
            }
            if (!roleArn.equals(form.get("RoleArn"))) {
                error(exchange, 403, "AccessDenied", "User is not authorized to perform: sts:AssumeRole on resource: " + form.get("RoleArn"));
                return;
            }
            String roleName = roleArn.substring(roleArn.lastIndexOf('/') + 1);
            String account = roleArn.split(":")[4];
            Instant expiration = Instant.now().plus(Duration.ofHours(1)).truncatedTo(ChronoUnit.SECONDS);
            String xml = """
                    <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
                      <AssumeRoleResult>
                        <AssumedRoleUser>
                          <Arn>arn:aws:sts::%s:assumed-role/%s/%s</Arn>
                          <AssumedRoleId>AROAFAKESTS000000001:%s</AssumedRoleId>
                        </AssumedRoleUser>
                        <Credentials>
                          <AccessKeyId>%s</AccessKeyId>
                          <SecretAccessKey>%s</SecretAccessKey>
                          <SessionToken>%s</SessionToken>
                          <Expiration>%s</Expiration>
                        </Credentials>
                      </AssumeRoleResult>
                      <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
                    </AssumeRoleResponse>
                    """.formatted(account, roleName, sessionName, sessionName, issuedKeyId, escape(issuedSecret), escape(issuedToken), expiration);
            send(exchange, 200, xml);
        }
    }

    private static Map<String, String> form(String encoded) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String pair : encoded.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            values.put(name, eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return values;
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static void error(HttpExchange exchange, int status, String code, String message) throws IOException {
        send(exchange, status, """
                <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
                  <Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error>
                  <RequestId>0a2b1c3d-0000-4000-8000-fakests00001</RequestId>
                </ErrorResponse>
                """.formatted(code, escape(message)));
    }

    private static void send(HttpExchange exchange, int status, String xml) throws IOException {
        byte[] body = xml.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("content-type", "text/xml");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}
