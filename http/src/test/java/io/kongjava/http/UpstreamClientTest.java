package io.kongjava.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** An https Service: the certificate is verified against the host name, and the name is sent as SNI. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UpstreamClientTest {

    @TempDir
    Path dir;

    private SSLServerSocket server;
    private UpstreamClient client;
    private final AtomicInteger handshakes = new AtomicInteger();
    private final Queue<String> serverNames = new ConcurrentLinkedQueue<>();
    /** Whether the upstream closes each connection after one answer while promising keep-alive. */
    private volatile boolean closeAfterOne;

    @BeforeEach
    void startTlsUpstream() throws Exception {
        // A certificate for localhost only, made as an operator would, with keytool.
        Path keystore = dir.resolve("upstream.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "upstream", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                "-ext", "SAN=dns:localhost", "-validity", "2", "-keystore", keystore.toString(),
                "-storetype", "PKCS12", "-storepass", "changeit", "-keypass", "changeit").redirectErrorStream(true).start();
        String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(keytool.waitFor()).as(output).isZero();
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            store.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, "changeit".toCharArray());
        SSLContext serverContext = SSLContext.getInstance("TLS");
        serverContext.init(keys.getKeyManagers(), null, null);
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
        SSLContext clientContext = SSLContext.getInstance("TLS");
        clientContext.init(null, trust.getTrustManagers(), null);
        client = new UpstreamClient(clientContext.getSocketFactory());

        server = (SSLServerSocket) serverContext.getServerSocketFactory().createServerSocket(0, 16, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try {
                    SSLSocket socket = (SSLSocket) server.accept();
                    Thread.ofVirtual().start(() -> serve(socket));
                } catch (Exception e) {
                    return;
                }
            }
        });
    }

    private void serve(SSLSocket socket) {
        try (socket) {
            socket.startHandshake();
            handshakes.incrementAndGet();
            ((ExtendedSSLSession) socket.getSession()).getRequestedServerNames()
                    .forEach(name -> serverNames.add(((SNIHostName) name).getAsciiName()));
            InputStream in = socket.getInputStream();
            while (true) {
                int last4 = 0;
                while (last4 != 0x0d0a0d0a) {
                    int c = in.read();
                    if (c < 0) {
                        return;
                    }
                    last4 = (last4 << 8) | c;
                }
                socket.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecure".getBytes(StandardCharsets.ISO_8859_1));
                socket.getOutputStream().flush();
                if (closeAfterOne) {
                    return;
                }
            }
        } catch (Exception e) {
            // the client closed, or refused the certificate
        }
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        client.close();
    }

    private String get(String host) throws Exception {
        try (UpstreamClient.Response response = client.send(new UpstreamClient.Address(true, host, server.getLocalPort()), "GET", "/",
                List.<String[]>of(new String[] {"host", host}), new byte[0], 5_000, 5_000, 5_000)) {
            assertThat(response.status).isEqualTo(200);
            return new String(response.body.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void anHttpsUpstreamIsReachedWithSniAndItsConnectionKept() throws Exception {
        assertThat(get("localhost")).isEqualTo("secure");
        assertThat(get("localhost")).isEqualTo("secure");
        assertThat(handshakes.get()).as("one TLS connection for both").isEqualTo(1);
        assertThat(serverNames).containsExactly("localhost");
    }

    @Test
    void aCertificateForAnotherNameIsRefusedBeforeAnythingIsSent() {
        // the same server by its address: the certificate names localhost only
        assertThatThrownBy(() -> get("127.0.0.1"))
                .isInstanceOf(UpstreamClient.AttemptFailed.class)
                .hasCauseInstanceOf(javax.net.ssl.SSLHandshakeException.class)
                .satisfies(e -> assertThat(((UpstreamClient.AttemptFailed) e).requestSent).isFalse());
    }

    @Test
    void anHttpsConnectionTheServerClosedIsNotUsedForTheNextRequest() throws Exception {
        closeAfterOne = true; // the server promises keep-alive, then closes (close_notify, FIN)
        assertThat(get("localhost")).isEqualTo("secure");
        Thread.sleep(100); // the close reaches the client's side
        // a POST cannot be retried once sent: it must not be sent on the closed connection
        try (UpstreamClient.Response response = client.send(new UpstreamClient.Address(true, "localhost", server.getLocalPort()), "POST",
                "/", List.<String[]>of(new String[] {"host", "localhost"}), "x".getBytes(StandardCharsets.UTF_8), 5_000, 5_000, 5_000)) {
            assertThat(response.status).isEqualTo(200);
        }
        assertThat(handshakes.get()).isEqualTo(2);
    }

    @Test
    void kongsKeepAliveSettingsBoundWhatOneConnectionServesAndWhetherItIsKept() throws Exception {
        client.withKeepAlive(new UpstreamClient.KeepAlive(512, 2, java.time.Duration.ofSeconds(60)));
        for (int i = 0; i < 4; i++) {
            assertThat(get("localhost")).isEqualTo("secure");
        }
        assertThat(handshakes.get()).as("upstream_keepalive_max_requests 2: a new connection every second request").isEqualTo(2);

        client.withKeepAlive(new UpstreamClient.KeepAlive(0, 0, java.time.Duration.ofSeconds(60)));
        get("localhost");
        get("localhost");
        assertThat(handshakes.get()).as("upstream_keepalive_pool_size 0: none kept").isEqualTo(4);

        client.withKeepAlive(new UpstreamClient.KeepAlive(512, 0, java.time.Duration.ofMillis(50)));
        get("localhost");
        Thread.sleep(150);
        get("localhost");
        assertThat(handshakes.get()).as("upstream_keepalive_idle_timeout: an idle connection past it is not reused").isEqualTo(6);
    }
}
