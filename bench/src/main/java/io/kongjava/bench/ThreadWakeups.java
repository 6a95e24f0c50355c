package io.kongjava.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What a blocking socket round trip costs on this machine with a platform thread on each side and with a
 * virtual thread on each side: a client writes 64 bytes, an echo thread in the same JVM answers, the client
 * reads them, then sleeps 50 us so that both threads really sleep between messages (as a gateway thread does
 * between a plugin server's answers). A virtual thread blocked on a socket is woken by the JDK's poller, which
 * then has a carrier thread run it: two wake-ups where a platform thread has one. This is why the gateway and
 * the relay serve requests on platform threads (bench/README.md, "Platform threads on the request path").
 *
 * <pre>bench/run.sh wakeups [--smoke]</pre>
 */
public final class ThreadWakeups {

    private static final int MESSAGE = 64;

    private ThreadWakeups() {
    }

    public static void main(String[] args) throws Exception {
        boolean smoke = List.of(args).contains("--smoke");
        int messages = smoke ? 300 : 20_000;
        System.out.println("# blocking round trips, one connection, " + messages + " messages, 50 us apart; " + Machine.describe());
        System.out.printf("%-28s %8s %8s %8s%n", "threads / socket", "p50 us", "p90 us", "p99 us");
        for (int round = 1; round <= (smoke ? 1 : 2); round++) {
            for (boolean virtual : new boolean[] {false, true}) {
                for (String transport : List.of("tcp", "unix")) {
                    Latencies latencies = roundTrips(virtual, transport, messages);
                    System.out.printf("%-28s %8.1f %8.1f %8.1f%n", (virtual ? "virtual" : "platform") + " / " + transport,
                            latencies.micros(0.50), latencies.micros(0.90), latencies.micros(0.99));
                }
            }
        }
    }

    private static Latencies roundTrips(boolean virtual, String transport, int messages) throws Exception {
        Thread.Builder threads = virtual ? Thread.ofVirtual() : Thread.ofPlatform().daemon();
        Latencies latencies = new Latencies();
        Path dir = Files.createTempDirectory("kjp-wakeups");
        try (Pair pair = transport.equals("tcp") ? Pair.tcp() : Pair.unix(dir.resolve("echo.sock"))) {
            Thread echo = threads.start(() -> {
                ByteBuffer buffer = ByteBuffer.allocate(MESSAGE);
                try {
                    while (true) {
                        buffer.clear();
                        if (pair.server.read(buffer) < 0) {
                            return;
                        }
                        buffer.flip();
                        while (buffer.hasRemaining()) {
                            pair.server.write(buffer);
                        }
                    }
                } catch (IOException closed) {
                    // the client closed the pair
                }
            });
            Exception[] failure = new Exception[1];
            Thread client = threads.start(() -> {
                ByteBuffer buffer = ByteBuffer.allocate(MESSAGE);
                try {
                    for (int i = 0; i < messages; i++) {
                        long start = System.nanoTime();
                        buffer.clear();
                        while (buffer.hasRemaining()) {
                            pair.client.write(buffer);
                        }
                        buffer.clear();
                        while (buffer.hasRemaining()) {
                            if (pair.client.read(buffer) < 0) {
                                throw new IOException("the echo thread closed the connection");
                            }
                        }
                        if (i >= messages / 4) { // the first quarter warms up
                            latencies.add(System.nanoTime() - start);
                        }
                        TimeUnit.MICROSECONDS.sleep(50); // both threads sleep before the next message
                    }
                } catch (Exception e) {
                    failure[0] = e;
                }
            });
            client.join();
            if (failure[0] != null) {
                throw failure[0];
            }
            pair.close();
            echo.join(TimeUnit.SECONDS.toMillis(5));
        } finally {
            Files.deleteIfExists(dir.resolve("echo.sock"));
            Files.deleteIfExists(dir);
        }
        return latencies;
    }

    private record Pair(SocketChannel client, SocketChannel server, AutoCloseable listener) implements AutoCloseable {

        static Pair tcp() throws IOException {
            ServerSocketChannel listener = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            SocketChannel client = SocketChannel.open(listener.getLocalAddress());
            SocketChannel server = listener.accept();
            client.socket().setTcpNoDelay(true);
            server.socket().setTcpNoDelay(true);
            return new Pair(client, server, listener);
        }

        static Pair unix(Path path) throws IOException {
            ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(UnixDomainSocketAddress.of(path));
            SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(path));
            SocketChannel server = listener.accept();
            return new Pair(client, server, listener);
        }

        @Override
        public void close() throws IOException {
            client.close();
            server.close();
            try {
                listener.close();
            } catch (Exception e) {
                throw new IOException(e);
            }
        }
    }
}
