package io.kongjava.pdk.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.kongjava.pdk.Kong;
import io.kongjava.pdk.KongPlugin;
import io.kongjava.pdk.Phase;
import io.kongjava.pdk.exchange.ProcessRequestExchange;
import io.kongjava.pdk.filter.FiltersResponse;
import io.kongjava.pdk.filter.ResponseFilter;
import io.kongjava.relay.ResponseRelay;
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
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Service's TLS settings on the relay's upstream call: an https Service with a certificate no public CA
 * signed, checked or not as tls_verify says, trusted through its ca_certificates, and a Service that
 * presents a client certificate to an upstream that demands one. Keys and certificates are made by the JDK's
 * keytool for each run.
 */
class RelayTlsTest {

    record Config() {
    }

    @KongPlugin.Info(name = "pass", version = "1.0.0", priority = 1)
    static final class PassThrough implements KongPlugin<Config>, FiltersResponse<Config> {

        @Override
        public Optional<ResponseFilter> responseFilter(Kong kong, Config config) {
            return Optional.of(new ResponseFilter() { });
        }
    }

    @TempDir
    Path dir;
    HttpsServer upstream;
    ResponseRelay relay;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        keytool("-genkeypair", "-alias", "server", "-keyalg", "EC", "-dname", "CN=upstream", "-ext", "SAN=ip:127.0.0.1",
                "-keystore", dir.resolve("server.p12").toString());
        keytool("-genkeypair", "-alias", "client", "-keyalg", "EC", "-dname", "CN=relay-client",
                "-keystore", dir.resolve("client.p12").toString());
        Path certificates = Files.createDirectories(dir.resolve("certificates"));
        Files.writeString(certificates.resolve("ca-1.crt"), pem("CERTIFICATE", certificate("server.p12", "server").getEncoded()));
        Files.writeString(certificates.resolve("client-1.crt"), pem("CERTIFICATE", certificate("client.p12", "client").getEncoded()));
        Files.writeString(certificates.resolve("client-1.key"), pem("PRIVATE KEY", keyStore("client.p12").getKey("client", PASSWORD).getEncoded()));
        relay = ResponseRelay.start(0,
                new ProcessRequestExchange(Duration.ofMinutes(1), Duration.ofMinutes(5), System::nanoTime), certificates);
    }

    @AfterEach
    void stop() {
        relay.close();
        if (upstream != null) {
            upstream.stop(0);
        }
    }

    static final char[] PASSWORD = "changeit".toCharArray();

    void keytool(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        command.addAll(List.of(args));
        command.addAll(List.of("-storetype", "PKCS12", "-storepass", "changeit", "-validity", "2", "-noprompt"));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as(output).isZero();
    }

    KeyStore keyStore(String file) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (var in = new FileInputStream(dir.resolve(file).toFile())) {
            store.load(in, PASSWORD);
        }
        return store;
    }

    Certificate certificate(String file, String alias) throws Exception {
        return keyStore(file).getCertificate(alias);
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    void startUpstream(boolean needClientCertificate) throws Exception {
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(keyStore("server.p12"), PASSWORD);
        KeyStore clients = KeyStore.getInstance("PKCS12");
        clients.load(null, null);
        clients.setCertificateEntry("client", certificate("client.p12", "client"));
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(clients);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
        upstream = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        upstream.setHttpsConfigurator(new HttpsConfigurator(context) {
            @Override
            public void configure(HttpsParameters params) {
                var parameters = context.getDefaultSSLParameters();
                parameters.setNeedClientAuth(needClientCertificate);
                params.setSSLParameters(parameters);
            }
        });
        upstream.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        upstream.createContext("/", exchange -> {
            byte[] body = ("tls ok " + exchange.getRequestURI()).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        upstream.start();
    }

    HttpResponse<String> through(Map<String, Object> tls) throws Exception {
        Map<String, Object> service = new HashMap<>(Map.of("protocol", "https", "host", "127.0.0.1", "port", upstream.getAddress().getPort()));
        service.putAll(tls);
        TestRun run = PluginTester.of(new PassThrough()).config(new Config()).relay(relay)
                .run(TestRequest.get("http://localhost:8000/x").requestId("tls-" + System.nanoTime()).service(service), Phase.ACCESS);
        assertThat(run.failures()).isEmpty();
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + relay.port() + "/secure?q=1"));
        run.upstream().headers().forEach((name, values) -> values.forEach(v -> request.setHeader(name, v)));
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void withoutTlsVerifyTheUpstreamsCertificateIsNotCheckedAsInKong() throws Exception {
        startUpstream(false);
        HttpResponse<String> response = through(Map.of());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("tls ok /secure?q=1");
    }

    @Test
    void withTlsVerifyAnUnknownIssuerGets502AndTheServicesCaCertificateMakesItTrusted() throws Exception {
        startUpstream(false);
        assertThat(through(Map.of("tls_verify", true)).statusCode()).isEqualTo(502);
        HttpResponse<String> trusted = through(Map.of("tls_verify", true, "ca_certificates", List.of("ca-1")));
        assertThat(trusted.statusCode()).isEqualTo(200);
    }

    @Test
    void theServicesClientCertificateIsPresented() throws Exception {
        startUpstream(true);
        assertThat(through(Map.of()).statusCode()).as("no client certificate").isEqualTo(502);
        assertThat(through(Map.of("client_certificate", Map.of("id", "client-1"))).statusCode()).isEqualTo(200);
    }

    @Test
    void aCertificateTheServerCannotFindFailsTheRequestRatherThanGoingWithoutIt() throws Exception {
        startUpstream(false);
        assertThat(through(Map.of("tls_verify", true, "ca_certificates", List.of("missing"))).statusCode()).isEqualTo(502);
    }
}
