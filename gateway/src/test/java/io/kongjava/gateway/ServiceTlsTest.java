package io.kongjava.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.kongjava.kongclient.EventOutcome;
import io.kongjava.kongclient.PdkHandler;
import io.kongjava.kongclient.PluginServerClient;
import io.kongjava.protocol.KongCall;
import java.io.FileInputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Service's TLS settings on the gateway's call to an https upstream whose certificate no public CA signed:
 * Kong checks nothing unless {@code tls_verify} is true, then trusts the Service's {@code ca_certificates}, and
 * presents its {@code client_certificate} to an upstream that demands one. Keys and certificates come from the
 * JDK's keytool for each run; the kong.yaml carries them as decK does, inline PEM.
 */
class ServiceTlsTest {

    private static final String CA_ID = "5f3d2a2e-1c53-4f4b-9e0c-9a4c2f7d1b01";
    private static final String CLIENT_ID = "8b0e6c1a-3d2f-4a5e-b6c7-d8e9f0a1b2c3";
    private static final char[] PASSWORD = "changeit".toCharArray();

    @TempDir
    Path dir;
    HttpsServer upstream;

    @BeforeEach
    void makeCertificates() throws Exception {
        // a self-signed server certificate that is its own CA (Kong's ca_certificates must be CAs), and a client's
        keytool("-genkeypair", "-alias", "server", "-keyalg", "EC", "-dname", "CN=upstream", "-ext", "SAN=ip:127.0.0.1",
                "-ext", "bc:c", "-keystore", dir.resolve("server.p12").toString());
        keytool("-genkeypair", "-alias", "client", "-keyalg", "EC", "-dname", "CN=gateway-client",
                "-keystore", dir.resolve("client.p12").toString());
    }

    @AfterEach
    void stop() {
        if (upstream != null) {
            upstream.stop(0);
        }
    }

    @Test
    void tlsVerifyChecksTheUpstreamsCertificateAgainstTheServicesCaCertificatesAndUnsetChecksNothing() throws Exception {
        startUpstream(false);
        DeclarativeConfig config = load("""
                _format_version: "3.0"
                ca_certificates:
                  - id: %2$s
                    cert: |
                %3$s
                services:
                  - name: unchecked
                    url: https://127.0.0.1:%1$d
                    routes: [{name: unchecked, paths: [/unchecked]}]
                  - name: checked-against-the-jvm
                    url: https://127.0.0.1:%1$d
                    tls_verify: true
                    routes: [{name: strict, paths: [/strict]}]
                  - name: checked-against-its-ca
                    url: https://127.0.0.1:%1$d
                    tls_verify: true
                    ca_certificates: [%2$s]
                    routes: [{name: trusted, paths: [/trusted]}]
                """.formatted(upstream.getAddress().getPort(), CA_ID, indent(pem("CERTIFICATE", serverCertificate()), 6)));
        assertThat(config.warnings).isEmpty();
        assertThat(config.services.get(2).entity()).containsEntry("tls_verify", true).containsEntry("ca_certificates", List.of(CA_ID));

        try (Gateway gateway = gateway(config)) {
            assertThat(status(gateway, "/unchecked")).as("Kong's default: nginx's proxy_ssl_verify off").isEqualTo(200);
            assertThat(status(gateway, "/strict")).as("a certificate the JVM does not trust").isEqualTo(502);
            assertThat(status(gateway, "/trusted")).isEqualTo(200);
        }
    }

    @Test
    void aPluginsSetTlsVerifyOverridesTheServicesSettingForItsRequest() throws Exception {
        startUpstream(false);
        Path socket = dir.resolve("strict.socket");
        Map<String, Object> schema = Map.of("name", "strict-tls", "fields", List.of(Map.of("config", Map.of("type", "record", "fields", List.of()))));
        var dumped = new PluginServerProcesses.Dumped(new KongConf.PluginServerEntry("strict-tls", socket, null, "true"), "MsgPack:1",
                Map.of("Name", "strict-tls", "Priority", 1L, "Phases", List.of("access"), "Schema", schema));
        PluginServerClient strict = new PluginServerClient() {
            @Override
            public Object call(KongCall call) {
                return Map.of("Name", "strict-tls", "Id", 1L, "Config", Map.of());
            }

            @Override
            public EventOutcome handleEvent(long instanceId, String eventName, PdkHandler kong) {
                kong.answer("kong.service.set_tls_verify", List.of(true));
                return new EventOutcome.Returned(0);
            }

            @Override
            public void close() {
            }
        };
        Path file = dir.resolve("kong.yaml");
        Files.writeString(file, """
                _format_version: "3.0"
                services:
                  - name: unchecked
                    url: https://127.0.0.1:%d
                    routes:
                      - {name: plain, paths: [/plain]}
                      - name: strict
                        paths: [/strict]
                        plugins: [{name: strict-tls}]
                """.formatted(upstream.getAddress().getPort()));
        DeclarativeConfig config = DeclarativeConfig.load(file, Map.of("strict-tls", schema), List.of("strict-tls"), name -> null);
        try (Gateway gateway = new Gateway(config, Map.of("strict-tls", dumped), 1 << 20, io.kongjava.http.HeaderLimits.NGINX_DEFAULT,
                Map.of(socket, strict)).start(new InetSocketAddress("127.0.0.1", 0))) {
            assertThat(status(gateway, "/plain")).isEqualTo(200);
            assertThat(status(gateway, "/strict")).as("kong.service.set_tls_verify(true): the certificate is checked").isEqualTo(502);
        }
    }

    @Test
    void aServiceWithAClientCertificatePresentsItToAnUpstreamThatDemandsOne() throws Exception {
        startUpstream(true);
        DeclarativeConfig config = load("""
                _format_version: "3.0"
                certificates:
                  - id: %2$s
                    cert: |
                %3$s
                    key: |
                %4$s
                services:
                  - name: anonymous
                    url: https://127.0.0.1:%1$d
                    routes: [{name: anonymous, paths: [/anonymous]}]
                  - name: identified
                    url: https://127.0.0.1:%1$d
                    client_certificate: {id: %2$s}
                    routes: [{name: identified, paths: [/identified]}]
                """.formatted(upstream.getAddress().getPort(), CLIENT_ID, indent(pem("CERTIFICATE", clientCertificate()), 6),
                indent(pem("PRIVATE KEY", keyStore("client.p12").getKey("client", PASSWORD).getEncoded()), 6)));

        Path certificates = GatewayMain.writeCertificates(config, dir.resolve("prefix/certificates"));
        assertThat(Files.getPosixFilePermissions(certificates.resolve(CLIENT_ID + ".key"))).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        try (Gateway gateway = new Gateway(config, Map.of(), 1024 * 1024).certificates(certificates)
                .start(new InetSocketAddress("127.0.0.1", 0))) {
            assertThat(status(gateway, "/anonymous")).as("the upstream refuses a handshake without a client certificate").isEqualTo(502);
            assertThat(status(gateway, "/identified")).isEqualTo(200);
        }
    }

    @Test
    void tlsSettingsThatCannotBeHonouredAreRefusedWithTheirLine() throws Exception {
        String serverPem = indent(pem("CERTIFICATE", serverCertificate()), 6);
        assertRefused("""
                _format_version: "3.0"
                services:
                  - name: plain
                    url: http://127.0.0.1:9
                    tls_verify: true
                """, ":5: services[0].tls_verify: can only be set when 'protocol' is 'https' (this Service's is 'http')");
        assertRefused("""
                _format_version: "3.0"
                services:
                  - name: s
                    url: https://127.0.0.1:9
                    ca_certificates: [%s]
                """.formatted(CA_ID), ":5: services[0].ca_certificates: no ca_certificates entity with id " + CA_ID + " (this file has none)");
        assertRefused("""
                _format_version: "3.0"
                ca_certificates:
                  - id: %s
                    cert: |
                %s
                """.formatted(CA_ID, indent(pem("CERTIFICATE", clientCertificate()), 6)), ":4: ca_certificates[0].cert: not a CA certificate");
        assertRefused("""
                _format_version: "3.0"
                certificates:
                  - id: %s
                    cert: |
                %s
                    key: |
                      -----BEGIN RSA PRIVATE KEY-----
                      MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu
                      -----END RSA PRIVATE KEY-----
                """.formatted(CLIENT_ID, serverPem), "certificates[0].key: a PKCS#1/SEC1 key; give it as PKCS#8");
    }

    @Test
    void anHttpsActiveHealthProbeChecksTheCertificateOnlyWhenAskedTo() throws Exception {
        startUpstream(false);
        Balancer unchecked = probedUpstream(false);
        unchecked.health().tcpFailure(0, unchecked.activeProbe().thresholds());
        assertThat(unchecked.health().state(0)).isEqualTo(TargetHealth.State.UNHEALTHY);
        ActiveHealthChecks.probe(unchecked, 0);
        assertThat(unchecked.health().state(0)).as("https_verify_certificate false: the probe's 200 counts").isEqualTo(TargetHealth.State.HEALTHY);

        Balancer checked = probedUpstream(true);
        ActiveHealthChecks.probe(checked, 0);
        assertThat(checked.health().state(0)).as("a certificate the JVM does not trust: a failed handshake, a TCP failure")
                .isEqualTo(TargetHealth.State.UNHEALTHY);
    }

    private Balancer probedUpstream(boolean verify) {
        TargetHealth.Thresholds oneOfEach = new TargetHealth.Thresholds(java.util.Set.of(200), 1, java.util.Set.of(500), 1, 1, 1);
        return new Balancer("pool.internal", "round-robin", new Balancer.Hash("none", null), new Balancer.Hash("none", null), null,
                List.of(new Balancer.Target("127.0.0.1", upstream.getAddress().getPort(), 100)), TargetHealth.Thresholds.PASSIVE,
                new ActiveHealthChecks.Probe("https", java.time.Duration.ofSeconds(5), 1, "/", null, verify, Map.of(),
                        java.time.Duration.ZERO, java.time.Duration.ZERO, oneOfEach));
    }

    @Test
    void tlsVerifyDepthCountsTheIntermediateCasBetweenTheUpstreamAndItsTrustedCaAsNginxDoes() throws Exception {
        // root CA -> intermediate CA -> the upstream's certificate, the upstream sending the chain
        keytool("-genkeypair", "-alias", "root", "-keyalg", "EC", "-dname", "CN=root", "-ext", "bc:c", "-keystore", file("root.p12"));
        keytool("-genkeypair", "-alias", "inter", "-keyalg", "EC", "-dname", "CN=intermediate", "-keystore", file("inter.p12"));
        keytool("-genkeypair", "-alias", "server", "-keyalg", "EC", "-dname", "CN=upstream", "-keystore", file("chained.p12"));
        keytoolNoValidity("-certreq", "-alias", "inter", "-keystore", file("inter.p12"), "-file", file("inter.csr"));
        keytool("-gencert", "-alias", "root", "-keystore", file("root.p12"), "-infile", file("inter.csr"), "-outfile", file("inter.crt"),
                "-ext", "bc:c");
        keytoolNoValidity("-certreq", "-alias", "server", "-keystore", file("chained.p12"), "-file", file("server.csr"));
        keytool("-gencert", "-alias", "inter", "-keystore", file("inter.p12"), "-infile", file("server.csr"), "-outfile", file("server.crt"),
                "-ext", "SAN=ip:127.0.0.1");
        keytoolNoValidity("-exportcert", "-alias", "root", "-keystore", file("root.p12"), "-file", file("root.crt"));
        keytoolNoValidity("-importcert", "-alias", "root", "-keystore", file("chained.p12"), "-file", file("root.crt"));
        keytoolNoValidity("-importcert", "-alias", "inter", "-keystore", file("chained.p12"), "-file", file("inter.crt"));
        keytoolNoValidity("-importcert", "-alias", "server", "-keystore", file("chained.p12"), "-file", file("server.crt"));
        startUpstream(false, "chained.p12");
        DeclarativeConfig config = load("""
                _format_version: "3.0"
                ca_certificates:
                  - id: %2$s
                    cert: |
                %3$s
                services:
                  - name: nginx-default
                    url: https://127.0.0.1:%1$d
                    tls_verify: true
                    ca_certificates: [%2$s]
                    routes: [{name: default-depth, paths: [/default-depth]}]
                  - name: no-intermediate
                    url: https://127.0.0.1:%1$d
                    tls_verify: true
                    tls_verify_depth: 0
                    ca_certificates: [%2$s]
                    routes: [{name: depth-0, paths: [/depth-0]}]
                """.formatted(upstream.getAddress().getPort(), CA_ID,
                indent(pem("CERTIFICATE", keyStore("root.p12").getCertificate("root").getEncoded()), 6)));
        assertThat(config.warnings).isEmpty();

        try (Gateway gateway = gateway(config)) {
            assertThat(status(gateway, "/default-depth")).as("nginx's default depth 1: one intermediate CA").isEqualTo(200);
            assertThat(status(gateway, "/depth-0")).as("depth 0: no CA between the upstream and the trusted one").isEqualTo(502);
        }
    }

    private String file(String name) {
        return dir.resolve(name).toString();
    }

    private void keytoolNoValidity(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        command.addAll(List.of(args));
        command.addAll(List.of("-storetype", "PKCS12", "-storepass", "changeit", "-noprompt"));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as(output).isZero();
    }

    private void assertRefused(String yaml, String message) throws Exception {
        Path file = dir.resolve("kong.yaml");
        Files.writeString(file, yaml);
        assertThatThrownBy(() -> DeclarativeConfig.load(file, Map.of(), List.of(), name -> null))
                .isInstanceOf(ConfigException.class).hasMessageContaining(message);
    }

    private DeclarativeConfig load(String yaml) throws Exception {
        Path file = dir.resolve("kong.yaml");
        Files.writeString(file, yaml);
        return DeclarativeConfig.load(file, Map.of(), List.of(), name -> null);
    }

    private Gateway gateway(DeclarativeConfig config) throws Exception {
        Path certificates = GatewayMain.writeCertificates(config, dir.resolve("prefix/certificates"));
        return new Gateway(config, Map.of(), 1024 * 1024).certificates(certificates).start(new InetSocketAddress("127.0.0.1", 0));
    }

    private static int status(Gateway gateway, String path) throws Exception {
        try (HttpClient client = HttpClient.newHttpClient()) {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + gateway.address().getPort() + path)).build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 200) {
                assertThat(response.body()).isEqualTo("secure");
            }
            return response.statusCode();
        }
    }

    private void startUpstream(boolean needClientCertificate) throws Exception {
        startUpstream(needClientCertificate, "server.p12");
    }

    private void startUpstream(boolean needClientCertificate, String keyStoreFile) throws Exception {
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(keyStore(keyStoreFile), PASSWORD);
        KeyStore clients = KeyStore.getInstance("PKCS12");
        clients.load(null, null);
        clients.setCertificateEntry("client", keyStore("client.p12").getCertificate("client"));
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(clients);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
        upstream = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        upstream.setHttpsConfigurator(new HttpsConfigurator(context) {
            @Override
            public void configure(HttpsParameters parameters) {
                var ssl = context.getDefaultSSLParameters();
                ssl.setNeedClientAuth(needClientCertificate);
                parameters.setSSLParameters(ssl);
            }
        });
        upstream.createContext("/", exchange -> {
            byte[] body = "secure".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        upstream.start();
    }

    private byte[] serverCertificate() throws Exception {
        return keyStore("server.p12").getCertificate("server").getEncoded();
    }

    private byte[] clientCertificate() throws Exception {
        return keyStore("client.p12").getCertificate("client").getEncoded();
    }

    private void keytool(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        command.addAll(List.of(args));
        command.addAll(List.of("-storetype", "PKCS12", "-storepass", "changeit", "-validity", "2", "-noprompt"));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as(output).isZero();
    }

    private KeyStore keyStore(String file) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (var in = new FileInputStream(dir.resolve(file).toFile())) {
            store.load(in, PASSWORD);
        }
        return store;
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----";
    }

    private static String indent(String text, int spaces) {
        return text.lines().map(line -> " ".repeat(spaces) + line).reduce((a, b) -> a + "\n" + b).orElse("");
    }
}
