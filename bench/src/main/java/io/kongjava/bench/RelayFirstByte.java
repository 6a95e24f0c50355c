package io.kongjava.bench;

import io.kongjava.pdk.Kong;
import io.kongjava.pdk.KongPlugin;
import io.kongjava.pdk.Phase;
import io.kongjava.pdk.exchange.ProcessRequestExchange;
import io.kongjava.pdk.filter.FiltersResponse;
import io.kongjava.pdk.filter.ResponseFilter;
import io.kongjava.pdk.testkit.PluginTester;
import io.kongjava.pdk.testkit.TestRequest;
import io.kongjava.pdk.testkit.TestRun;
import io.kongjava.relay.ResponseRelay;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The first-byte latency the response relay adds (issue #13): the time from the last byte of a request to
 * the first byte of the first SSE event, sent straight to an upstream and sent through the relay (the way
 * Kong sends it, with a relay ticket from a filtering plugin's access phase), interleaved, on one keep-alive
 * connection each. The upstream answers with its first event as soon as it has read the request and ends
 * the chunked body right after, so the difference is the relay's own work: reading Kong's request, calling
 * the upstream over its pooled connection, passing the head and the chunk through the filter, flushing.
 * A fourth row puts the JDK's HttpServer (the relay's listener before #13's client-leave work) in front of the relay instead
 * of the virtual-thread server, to keep choosing the listener by measurement.
 *
 * <pre>bench/run.sh relay [--requests N] [--warmup N] [--smoke]</pre>
 * Access phases run outside the timed part (they are Kong's work and the PDK's, measured by {@code pdk}).
 */
public final class RelayFirstByte {

    public record Config() {
    }

    /** A plugin whose filter passes chunks on (identity), or upper-cases them (a filter that copies). */
    @KongPlugin.Info(name = "bench-pass", version = "1.0.0", priority = 1)
    public static class Passing implements KongPlugin<Config>, FiltersResponse<Config> {
        final boolean rewrite;

        public Passing() {
            this(false);
        }

        Passing(boolean rewrite) {
            this.rewrite = rewrite;
        }

        @Override
        public Optional<ResponseFilter> responseFilter(Kong kong, Config config) {
            if (!rewrite) {
                return Optional.of(new ResponseFilter() { });
            }
            return Optional.of(new ResponseFilter() {
                @Override
                public byte[] onChunk(byte[] chunk) {
                    return new String(chunk, StandardCharsets.UTF_8).toUpperCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8);
                }
            });
        }
    }

    @KongPlugin.Info(name = "bench-upper", version = "1.0.0", priority = 1)
    public static final class Upper extends Passing {
        public Upper() {
            super(true);
        }
    }

    static final byte[] EVENT = "event: message_start\ndata: {\"type\":\"message_start\"}\n\n".getBytes(StandardCharsets.UTF_8);

    public static void main(String[] args) throws Exception {
        boolean smoke = false;
        int requests = 5000;
        int warmup = 3000;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--smoke" -> smoke = true;
                case "--requests" -> requests = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                default -> { }
            }
        }
        if (smoke) {
            requests = 100;
            warmup = 50;
        }
        System.out.println("# " + Machine.describe());
        try (ServerSocket upstream = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             ResponseRelay relay = ResponseRelay.start(0,
                     new ProcessRequestExchange(Duration.ofSeconds(1), Duration.ofSeconds(30), System::nanoTime), null);
             ResponseRelay jdkRelay = ResponseRelay.start(ResponseRelay.JDK_SERVER, 0,
                     new ProcessRequestExchange(Duration.ofSeconds(1), Duration.ofSeconds(30), System::nanoTime),
                     null)) {
            Thread.ofVirtual().start(() -> serveUpstream(upstream));
            int port = upstream.getLocalPort();
            Map<String, Object> service = Map.of("protocol", "http", "host", "127.0.0.1", "port", port,
                    "read_timeout", 60000, "connect_timeout", 60000, "write_timeout", 60000);
            PluginTester<Config> pass = PluginTester.of(new Passing(false)).config(new Config()).relay(relay);
            PluginTester<Config> upper = PluginTester.of(new Upper()).config(new Config()).relay(relay);
            PluginTester<Config> jdkPass = PluginTester.of(new Passing(false)).config(new Config()).relay(jdkRelay);
            // a bound, not a budget: the smoke test checks every request was made, and a loaded CI machine is slow
            long deadline = System.nanoTime() + Duration.ofSeconds(smoke ? 60 : 120).toNanos();
            try (HttpConnection direct = new HttpConnection(port);
                 HttpConnection viaPass = new HttpConnection(relay.port());
                 HttpConnection viaUpper = new HttpConnection(relay.port());
                 HttpConnection viaJdk = new HttpConnection(jdkRelay.port())) {
                Latencies directL = new Latencies();
                Latencies passL = new Latencies();
                Latencies upperL = new Latencies();
                Latencies jdkL = new Latencies();
                for (int i = 0; i < warmup + requests && System.nanoTime() < deadline; i++) {
                    boolean measured = i >= warmup;
                    long d = direct.firstByte(null);
                    long p = viaPass.firstByte(ticket(pass, service, "p" + i));
                    long u = viaUpper.firstByte(ticket(upper, service, "u" + i));
                    long v = viaJdk.firstByte(ticket(jdkPass, service, "v" + i));
                    if (measured) {
                        jdkL.add(v);
                        directL.add(d);
                        passL.add(p);
                        upperL.add(u);
                    }
                }
                System.out.printf("%-22s %8s %10s %10s %10s%n", "path", "requests", "p50 us", "p90 us", "p99 us");
                row("direct", directL);
                row("relay, identity filter", passL);
                row("relay, copying filter", upperL);
                row("relay, identity, jdk", jdkL);
                System.out.printf("added first-byte latency p50: identity %.0f us, copying %.0f us (target < 1000 us); "
                        + "identity with the JDK's HttpServer in front (the relay before) %.0f us%n",
                        passL.micros(0.5) - directL.micros(0.5), upperL.micros(0.5) - directL.micros(0.5), jdkL.micros(0.5) - directL.micros(0.5));
            }
        }
    }

    private static void row(String name, Latencies latencies) {
        System.out.printf("%-22s %8d %10.0f %10.0f %10.0f%n", name, latencies.count(), latencies.micros(0.5), latencies.micros(0.9),
                latencies.micros(0.99));
    }

    private static String ticket(PluginTester<Config> plugin, Map<String, Object> service, String requestId) {
        TestRun run = plugin.run(TestRequest.get("http://localhost:8000/v1/messages").requestId(requestId).service(service), Phase.ACCESS);
        if (!run.failures().isEmpty()) {
            throw new IllegalStateException("access failed: " + run.failures());
        }
        return run.upstream().headers().get(ResponseRelay.TICKET_HEADER).getFirst();
    }

    /** The upstream: per request, the head and the first event at once, then the end of the chunked body. */
    private static void serveUpstream(ServerSocket server) {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                socket.setTcpNoDelay(true);
                Thread.ofVirtual().start(() -> {
                    try (socket) {
                        InputStream in = socket.getInputStream();
                        OutputStream out = socket.getOutputStream();
                        while (readHead(in) != null) {
                            out.write(("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
                                    + Integer.toHexString(EVENT.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                            out.write(EVENT);
                            out.write("\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                            out.flush();
                        }
                    } catch (IOException ignored) {
                        // the connection ended
                    }
                });
            } catch (IOException e) {
                return;
            }
        }
    }

    /** Reads a request or response head (no bodies are sent here); null at the end of the stream. */
    static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0) {
            head.append((char) b);
            if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
                return head.toString();
            }
        }
        return null;
    }

    /** One keep-alive HTTP/1.1 connection sending GETs and reading chunked answers. */
    static final class HttpConnection implements AutoCloseable {
        final Socket socket;
        final InputStream in;
        final OutputStream out;
        final int port;

        HttpConnection(int port) throws IOException {
            this.port = port;
            socket = new Socket(InetAddress.getLoopbackAddress(), port);
            socket.setTcpNoDelay(true);
            in = socket.getInputStream();
            out = socket.getOutputStream();
        }

        /** Nanoseconds from the request's last byte to the first byte of the event; reads the whole answer. */
        long firstByte(String ticket) throws IOException {
            String request = "GET /v1/messages HTTP/1.1\r\nhost: 127.0.0.1:" + port + "\r\n"
                    + (ticket == null ? "" : ResponseRelay.TICKET_HEADER + ": " + ticket + "\r\n") + "\r\n";
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            long sent = System.nanoTime();
            String head = readHead(in);
            if (head == null || !head.startsWith("HTTP/1.1 200")) {
                throw new IOException("unexpected answer: " + head);
            }
            long first = 0;
            // chunked body: size line, data, CRLF ... until the 0-size chunk
            while (true) {
                String sizeLine = readLine(in);
                int size = Integer.parseInt(sizeLine.trim(), 16);
                if (size == 0) {
                    readLine(in);
                    break;
                }
                byte[] data = in.readNBytes(size);
                if (first == 0 && data.length > 0) {
                    first = System.nanoTime();
                }
                readLine(in);
            }
            return first - sent;
        }

        private static String readLine(InputStream in) throws IOException {
            StringBuilder line = new StringBuilder();
            int b;
            while ((b = in.read()) >= 0 && b != '\n') {
                if (b != '\r') {
                    line.append((char) b);
                }
            }
            if (b < 0) {
                throw new IOException("connection ended");
            }
            return line.toString();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
