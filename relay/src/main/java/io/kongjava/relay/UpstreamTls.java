package io.kongjava.relay;

import io.kongjava.pdk.entity.Service;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import io.kongjava.http.UpstreamClient;

/**
 * A Service's TLS settings applied to the relay's upstream call, as nginx applies them for Kong: with
 * {@code tls_verify} unset or false the upstream's certificate is not checked (Kong's default,
 * {@code proxy_ssl_verify off}); with true it is checked against the JVM's trust store plus the Service's
 * {@code ca_certificates}, and the host name is verified. Kong keeps certificates in its database, which
 * external plugins cannot read, so the relay finds them by id in a directory of PEM files
 * ({@code <id>.crt}, and {@code <id>.key} for a client certificate's PKCS#8 key); a Service naming one that
 * is not there fails its requests with a 502 rather than connecting without it. The local gateway applies the
 * same settings to its own calls to https Services, and writes its kong.yaml's certificates to such a directory.
 */
public record UpstreamTls(boolean verify, List<String> caCertificateIds, String clientCertificateId, Integer verifyDepth) {

    public static final UpstreamTls KONG_DEFAULT = new UpstreamTls(false, List.of(), null);
    /** nginx's proxy_ssl_verify_depth when a Service sets no tls_verify_depth (Kong's template sets none). */
    public static final int NGINX_VERIFY_DEPTH = 1;

    public UpstreamTls(boolean verify, List<String> caCertificateIds, String clientCertificateId) {
        this(verify, caCertificateIds, clientCertificateId, null);
    }

    // Written out: a record's generated equals and hashCode go through method handles, which the plugin server's
    // C1-only JIT does not inline, and the relay looks its client up by these settings on every request.
    @Override
    public boolean equals(Object other) {
        return other instanceof UpstreamTls that && verify == that.verify && caCertificateIds.equals(that.caCertificateIds)
                && Objects.equals(clientCertificateId, that.clientCertificateId) && Objects.equals(verifyDepth, that.verifyDepth);
    }

    @Override
    public int hashCode() {
        return ((Boolean.hashCode(verify) * 31 + caCertificateIds.hashCode()) * 31 + Objects.hashCode(clientCertificateId)) * 31
                + Objects.hashCode(verifyDepth);
    }

    static UpstreamTls of(Service service) {
        return new UpstreamTls(service.tlsVerify().orElse(false), service.caCertificates(), service.clientCertificateId().orElse(null),
                service.tlsVerifyDepth().map(Long::intValue).orElse(null));
    }

    /** These settings with {@code tls_verify} and {@code tls_verify_depth} as a plugin set them for one request (null: unchanged). */
    public UpstreamTls overridden(Boolean verify, Integer depth) {
        return new UpstreamTls(verify != null ? verify : this.verify, caCertificateIds, clientCertificateId, depth != null ? depth : verifyDepth);
    }

    /** Thrown when the Service's TLS settings cannot be honoured. */
    public static final class Unusable extends Exception {
        Unusable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** An upstream client with these settings, its own connection pool (a connection is only reused for the same ones). */
    public UpstreamClient client(Path certificates) throws Unusable {
        try {
            X509TrustManager trust = verify ? verifying(certificates) : TRUST_ALL;
            KeyManager[] keys = clientCertificateId == null ? null : clientKeys(certificates);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys, new TrustManager[] {trust}, null);
            return new UpstreamClient(context.getSocketFactory(), verify);
        } catch (GeneralSecurityException | IOException e) {
            throw new Unusable("the Service's TLS settings cannot be applied: " + e.getMessage(), e);
        }
    }

    private X509TrustManager verifying(Path certificates) throws GeneralSecurityException, IOException {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        TrustManagerFactory system = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        system.init((KeyStore) null);
        int n = 0;
        for (TrustManager manager : system.getTrustManagers()) {
            if (manager instanceof X509TrustManager x509) {
                for (X509Certificate issuer : x509.getAcceptedIssuers()) {
                    store.setCertificateEntry("system-" + n++, issuer);
                }
            }
        }
        for (String id : caCertificateIds) {
            for (Certificate certificate : readCertificates(pem(certificates, id + ".crt"))) {
                store.setCertificateEntry("ca-" + id + "-" + n++, certificate);
            }
        }
        java.util.Set<java.util.List<Object>> anchors = new java.util.HashSet<>();
        for (String alias : java.util.Collections.list(store.aliases())) {
            if (store.getCertificate(alias) instanceof X509Certificate anchor) {
                anchors.add(List.of(anchor.getSubjectX500Principal(), anchor.getPublicKey()));
            }
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        for (TrustManager manager : factory.getTrustManagers()) {
            if (manager instanceof X509ExtendedTrustManager x509) {
                return new DepthLimited(x509, anchors, verifyDepth != null ? verifyDepth : NGINX_VERIFY_DEPTH);
            }
        }
        throw new GeneralSecurityException("no X.509 trust manager");
    }

    /**
     * nginx's {@code proxy_ssl_verify_depth} as OpenSSL counts it: at most {@code depth} CA certificates between the
     * upstream's own and the trusted one (a certificate the upstream sends that matches a trusted one by subject and
     * key ends the count, a cross-signed root included). PKIX's own path length is only a limit for building paths,
     * not for checking the one an upstream sends, so it is counted here after the JVM's checks pass.
     */
    private static final class DepthLimited extends X509ExtendedTrustManager {
        private final X509ExtendedTrustManager checks;
        private final java.util.Set<java.util.List<Object>> anchors;
        private final int depth;

        DepthLimited(X509ExtendedTrustManager checks, java.util.Set<java.util.List<Object>> anchors, int depth) {
            this.checks = checks;
            this.anchors = anchors;
            this.depth = depth;
        }

        private void checkDepth(X509Certificate[] chain) throws java.security.cert.CertificateException {
            int intermediates = chain.length - 1;
            for (int i = 1; i < chain.length; i++) {
                if (anchors.contains(List.of(chain[i].getSubjectX500Principal(), chain[i].getPublicKey()))) {
                    intermediates = i - 1;
                    break;
                }
            }
            if (anchors.contains(List.of(chain[0].getSubjectX500Principal(), chain[0].getPublicKey()))) {
                intermediates = 0; // the upstream's own certificate is trusted as it is
            }
            if (intermediates > depth) {
                throw new java.security.cert.CertificateException("certificate chain too long: " + intermediates
                        + " intermediate CA certificates, tls_verify_depth allows " + depth);
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, java.net.Socket socket)
                throws java.security.cert.CertificateException {
            checks.checkServerTrusted(chain, authType, socket);
            checkDepth(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, javax.net.ssl.SSLEngine engine)
                throws java.security.cert.CertificateException {
            checks.checkServerTrusted(chain, authType, engine);
            checkDepth(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
            checks.checkServerTrusted(chain, authType);
            checkDepth(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, java.net.Socket socket)
                throws java.security.cert.CertificateException {
            checks.checkClientTrusted(chain, authType, socket);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, javax.net.ssl.SSLEngine engine)
                throws java.security.cert.CertificateException {
            checks.checkClientTrusted(chain, authType, engine);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
            checks.checkClientTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return checks.getAcceptedIssuers();
        }
    }

    private KeyManager[] clientKeys(Path certificates) throws GeneralSecurityException, IOException {
        Collection<? extends Certificate> chain = readCertificates(pem(certificates, clientCertificateId + ".crt"));
        PrivateKey key = privateKey(Files.readString(pem(certificates, clientCertificateId + ".key")));
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("client", key, new char[0], chain.toArray(Certificate[]::new));
        KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        factory.init(store, new char[0]);
        return factory.getKeyManagers();
    }

    private static Path pem(Path certificates, String file) throws IOException {
        if (certificates == null) {
            throw new IOException("the Service names certificate " + file + " but the plugin server has no certificates "
                    + "directory (KONG_JAVA_CERTIFICATES_DIR)");
        }
        Path path = certificates.resolve(file);
        if (!Files.isReadable(path)) {
            throw new IOException("certificate file " + path + " is missing");
        }
        return path;
    }

    private static Collection<? extends Certificate> readCertificates(Path file) throws IOException, GeneralSecurityException {
        try {
            return certificates(Files.readString(file));
        } catch (GeneralSecurityException e) {
            throw new GeneralSecurityException(file + ": " + e.getMessage(), e);
        }
    }

    /** The X.509 certificates of a PEM text, the first one first; refused when there is none. */
    public static List<X509Certificate> certificates(String pem) throws GeneralSecurityException {
        List<X509Certificate> certificates = new ArrayList<>();
        try (InputStream in = new java.io.ByteArrayInputStream(pem.getBytes(java.nio.charset.StandardCharsets.US_ASCII))) {
            for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                certificates.add((X509Certificate) certificate);
            }
        } catch (IOException e) {
            throw new GeneralSecurityException(e.getMessage(), e);
        }
        if (certificates.isEmpty()) {
            throw new GeneralSecurityException("no certificate in the PEM text");
        }
        return certificates;
    }

    /** A PKCS#8 private key (RSA, EC or Ed25519) from its PEM text. */
    public static PrivateKey privateKey(String pem) throws GeneralSecurityException {
        String body = pem.replaceAll("-----(BEGIN|END) PRIVATE KEY-----", "").replaceAll("\\s", "");
        byte[] der;
        try {
            der = Base64.getDecoder().decode(body);
        } catch (IllegalArgumentException e) {
            throw new GeneralSecurityException("the key's PEM text is not base64: " + e.getMessage(), e);
        }
        List<GeneralSecurityException> tried = new ArrayList<>();
        for (String algorithm : List.of("RSA", "EC", "Ed25519")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                tried.add(e);
            }
        }
        throw new GeneralSecurityException("the client key is not a PKCS#8 RSA, EC or Ed25519 key: " + tried.getFirst().getMessage());
    }

    private static final X509TrustManager TRUST_ALL = new X509TrustManager() {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    };
}
