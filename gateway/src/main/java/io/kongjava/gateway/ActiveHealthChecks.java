package io.kongjava.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Kong's active health checks ({@code healthchecks.active} of an Upstream), as lua-resty-healthcheck 3.1 runs them:
 * every {@code healthy.interval} seconds the targets taking traffic are probed, every {@code unhealthy.interval}
 * seconds the others (0: that half is never probed), at most {@code concurrency} at a time, the first round at once.
 * A probe connects within {@code timeout} seconds; {@code tcp} stops there (a success); {@code http} and {@code https}
 * send {@code GET <http_path> HTTP/1.0} with the configured headers and the Upstream's {@code host_header} or the
 * target's name as Host, and report the status line's code. A refused or reset connection, or a failed TLS
 * handshake, is a TCP failure; no answer in time is a timeout. The reports move the same {@link TargetHealth} as the
 * passive checks, so a target taken out by either comes back once probes find it healthy again.
 */
final class ActiveHealthChecks implements AutoCloseable {

    private static final Logger LOG = System.getLogger(ActiveHealthChecks.class.getName());
    private static final Pattern STATUS = Pattern.compile("^HTTP/\\d+\\.\\d+\\s+(\\d+)", Pattern.CASE_INSENSITIVE);
    private static final int MAX_STATUS_LINE = 8192;

    /** {@code healthchecks.active}: the probe and how often it runs (a zero interval: never). */
    record Probe(String type, Duration timeout, int concurrency, String httpPath, String httpsSni, boolean httpsVerifyCertificate,
                 Map<String, List<String>> headers, Duration healthyInterval, Duration unhealthyInterval, TargetHealth.Thresholds thresholds) {

        /** Kong's defaults: no probes. */
        static final Probe OFF = new Probe("http", Duration.ofSeconds(1), 10, "/", null, true, Map.of(), Duration.ZERO, Duration.ZERO,
                TargetHealth.Thresholds.ACTIVE);

        boolean on() {
            return !healthyInterval.isZero() || !unhealthyInterval.isZero();
        }
    }

    private final ScheduledExecutorService timer;
    private final ExecutorService probes;

    /** Starts probing the Upstreams among {@code balancers} that have active checks; none: no thread is started. */
    ActiveHealthChecks(Collection<Balancer> balancers) {
        List<Balancer> probed = balancers.stream().filter(b -> b.activeProbe().on()).toList();
        if (probed.isEmpty()) {
            timer = null;
            probes = null;
            return;
        }
        timer = Executors.newSingleThreadScheduledExecutor(task -> Thread.ofPlatform().daemon().name("active-health-checks").unstarted(task));
        probes = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("health-probe-", 0).factory());
        for (Balancer balancer : probed) {
            schedule(balancer, true, balancer.activeProbe().healthyInterval());
            schedule(balancer, false, balancer.activeProbe().unhealthyInterval());
        }
    }

    private void schedule(Balancer balancer, boolean healthyTargets, Duration interval) {
        if (interval.isZero()) {
            return;
        }
        AtomicBoolean running = new AtomicBoolean(); // a round still probing when the next is due: the next is skipped, as Kong's lock does
        timer.scheduleAtFixedRate(() -> {
            if (running.compareAndSet(false, true)) {
                probes.execute(() -> {
                    try {
                        round(balancer, healthyTargets);
                    } finally {
                        running.set(false);
                    }
                });
            }
        }, 0, interval.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void round(Balancer balancer, boolean healthyTargets) {
        Probe probe = balancer.activeProbe();
        Semaphore slots = new Semaphore(probe.concurrency());
        List<Future<?>> running = new ArrayList<>();
        try {
            for (int index : balancer.health().inMode(healthyTargets)) {
                if (balancer.targets().get(index).weight() == 0) {
                    continue;
                }
                slots.acquire();
                running.add(probes.submit(() -> {
                    try {
                        probe(balancer, index);
                    } finally {
                        slots.release();
                    }
                }));
            }
            for (Future<?> future : running) {
                future.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.RejectedExecutionException e) {
            LOG.log(Level.WARNING, "an active health check of upstream " + balancer.name() + " failed: " + e);
        }
    }

    /** One probe of one target; what it finds is reported to the Upstream's {@link TargetHealth}. */
    static void probe(Balancer balancer, int index) {
        Balancer.Target target = balancer.targets().get(index);
        Probe probe = balancer.activeProbe();
        TargetHealth health = balancer.health();
        TargetHealth.Thresholds thresholds = probe.thresholds();
        int timeoutMs = (int) Math.max(1, probe.timeout().toMillis());
        String host = balancer.hostHeader() != null ? balancer.hostHeader() : target.host();
        try (Socket socket = new Socket()) {
            try {
                socket.connect(new InetSocketAddress(target.host(), target.port()), timeoutMs);
            } catch (SocketTimeoutException e) {
                health.timeout(index, thresholds);
                return;
            } catch (IOException e) {
                health.tcpFailure(index, thresholds);
                return;
            }
            if (probe.type().equals("tcp")) {
                health.success(index, thresholds);
                return;
            }
            socket.setSoTimeout(timeoutMs);
            Socket connection = socket;
            if (probe.type().equals("https")) {
                try {
                    connection = handshake(socket, probe.httpsSni() != null ? probe.httpsSni() : host, target.port(), probe.httpsVerifyCertificate());
                } catch (IOException e) {
                    health.tcpFailure(index, thresholds); // Kong reports any failed handshake so, a slow one too
                    return;
                }
            }
            String statusLine;
            try {
                OutputStream out = connection.getOutputStream();
                out.write(request(probe, host));
                out.flush();
                statusLine = statusLine(connection.getInputStream());
            } catch (SocketTimeoutException e) {
                health.timeout(index, thresholds);
                return;
            } catch (IOException e) {
                health.tcpFailure(index, thresholds);
                return;
            }
            if (statusLine == null) {
                health.tcpFailure(index, thresholds); // closed before a whole line
                return;
            }
            Matcher status = STATUS.matcher(statusLine);
            health.httpStatus(index, status.find() ? Integer.parseInt(status.group(1)) : 0, thresholds);
        } catch (IOException e) {
            LOG.log(Level.DEBUG, () -> "closing a health probe's socket: " + e.getMessage());
        }
    }

    private static byte[] request(Probe probe, String host) {
        StringBuilder head = new StringBuilder("GET ").append(probe.httpPath()).append(" HTTP/1.0\r\n");
        probe.headers().forEach((name, values) -> values.forEach(value -> head.append(name).append(": ").append(value).append("\r\n")));
        return head.append("Host: ").append(host).append("\r\n\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** The first line of the answer without its line end, or null when the connection ended before one. */
    private static String statusLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                int end = line.length();
                return end > 0 && line.charAt(end - 1) == '\r' ? line.substring(0, end - 1) : line.toString();
            }
            if (line.length() < MAX_STATUS_LINE) {
                line.append((char) c);
            }
        }
        return null;
    }

    private static SSLSocket handshake(Socket socket, String serverName, int port, boolean verify) throws IOException {
        SSLContext context;
        try {
            if (verify) {
                context = SSLContext.getDefault();
            } else {
                context = SSLContext.getInstance("TLS");
                context.init(null, new TrustManager[] {TRUST_ALL}, null);
            }
        } catch (GeneralSecurityException e) {
            throw new IOException("no TLS context: " + e.getMessage(), e);
        }
        SSLSocket ssl = (SSLSocket) context.getSocketFactory().createSocket(socket, serverName, port, true);
        SSLParameters parameters = ssl.getSSLParameters();
        if (verify) {
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
        }
        if (!serverName.isEmpty() && !Character.isDigit(serverName.charAt(0)) && !serverName.contains(":")) {
            parameters.setServerNames(List.of(new SNIHostName(serverName)));
        }
        ssl.setSSLParameters(parameters);
        ssl.startHandshake();
        return ssl;
    }

    private static final X509TrustManager TRUST_ALL = new X509TrustManager() {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
            // https_verify_certificate: false, as Kong then checks nothing
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    };

    @Override
    public void close() {
        if (timer != null) {
            timer.shutdownNow();
            probes.shutdownNow();
        }
    }
}
