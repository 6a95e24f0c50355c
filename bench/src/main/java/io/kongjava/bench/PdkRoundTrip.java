package io.kongjava.bench;

import io.kongjava.kongclient.KongPluginInstances;
import io.kongjava.kongclient.KongRpcClient;
import io.kongjava.kongclient.PdkHandler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

/**
 * PDK round trip: Kong's side (the same {@link KongRpcClient} the tests and the local gateway use, which
 * behaves as Kong's mp_rpc.lua) runs access events of a plugin making N PDK calls, over the Unix socket, at
 * a fixed concurrency. Three servers in the same run: ours, Kong's JS server (kong-pdk from npm) with the
 * same plugin logic, and a bare echo as the floor.
 *
 * <pre>java ... io.kongjava.bench.PdkRoundTrip [--seconds S] [--warmup S] [--concurrency 1,64] [--smoke]</pre>
 */
public final class PdkRoundTrip {

    static final int[] CALLS = {0, 1, 5, 20};
    static final PdkHandler KONG = (method, args) -> PdkHandler.PdkAnswer.value("bench");

    record Result(String server, int calls, int concurrency, double p50, double p99, double eventsPerSecond, long count) {
    }

    public static void main(String[] args) throws Exception {
        Duration measure = Duration.ofSeconds(5);
        Duration warmup = Duration.ofSeconds(3);
        int[] concurrencies = {1, 64};
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seconds" -> measure = Duration.ofMillis((long) (Double.parseDouble(args[++i]) * 1000));
                case "--warmup" -> warmup = Duration.ofMillis((long) (Double.parseDouble(args[++i]) * 1000));
                case "--concurrency" -> concurrencies = java.util.Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--smoke" -> {
                    measure = Duration.ofMillis(300);
                    warmup = Duration.ofMillis(200);
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        System.out.println("# PDK round trip (" + Machine.describe() + ")");
        System.out.printf("# %s measured after %s warm-up per row; latency is per event (HandleEvent + N Steps)%n", measure, warmup);
        Path dir = Files.createTempDirectory("kjp-bench");
        try (Processes processes = new Processes()) {
            Map<String, Path> sockets = new LinkedHashMap<>();
            sockets.put("java", startJava(processes, dir));
            startJs(processes, dir).ifPresentOrElse(socket -> sockets.put("js", socket),
                    () -> System.out.println("# js: skipped, Kong's JS plugin server is not installed (cd testing/js-pluginserver && npm ci)"));
            Path echo = dir.resolve("echo.sock");
            Path raw = dir.resolve("raw.sock");
            processes.startServing(Processes.thisJava(UdsEcho.class.getName(), echo.toString(), raw.toString()), echo, dir.resolve("echo.log"));
            Result bare = raw(raw, warmup, measure);
            System.out.printf("# bare Unix-socket round trip on this machine (16 bytes, blocking, platform threads): p50 %.1f us, p99 %.1f us%n",
                    bare.p50(), bare.p99());

            List<Result> results = new ArrayList<>();
            System.out.printf("%-6s %6s %6s %10s %10s %12s%n", "server", "calls", "conc", "p50 us", "p99 us", "events/s");
            for (int concurrency : concurrencies) {
                Result floor = echo(echo, concurrency, warmup, measure);
                print(floor);
                results.add(floor);
                for (int calls : CALLS) {
                    for (Map.Entry<String, Path> server : sockets.entrySet()) {
                        Result result = events(server.getKey(), server.getValue(), calls, concurrency, warmup, measure);
                        print(result);
                        results.add(result);
                    }
                }
            }
            summarize(results, concurrencies, sockets.containsKey("js"));
        }
    }

    static Path startJava(Processes processes, Path dir) throws IOException, InterruptedException {
        Path plugins = Files.createDirectories(dir.resolve("java-plugins"));
        Files.copy(Repository.pluginJar(), plugins.resolve("bench-plugin.jar"));
        Path prefix = Files.createDirectories(dir.resolve("java"));
        Path socket = prefix.resolve("kong-java-pluginserver.socket");
        processes.startServing(List.of(Repository.bin("kong-java-pluginserver").toString(), "-kong-prefix", prefix.toString(),
                "--plugins-directory", plugins.toString()), socket, dir.resolve("java.log"));
        return socket;
    }

    static Optional<Path> startJs(Processes processes, Path dir) throws IOException, InterruptedException {
        Path root = Repository.root();
        Path server = root.resolve("testing/js-pluginserver/node_modules/kong-pdk/bin/kong-js-pluginserver");
        if (!Files.exists(server)) {
            return Optional.empty();
        }
        Path prefix = Files.createDirectories(dir.resolve("js"));
        Path socket = prefix.resolve("js.sock");
        processes.startServing(List.of("node", server.toString(), "-d", root.resolve("bench/js").toString(), "-p", prefix.toString(),
                "--sock-name", "js.sock"), socket, dir.resolve("js.log"));
        return Optional.of(socket);
    }

    /** Runs {@code body} on {@code concurrency} virtual threads, first for the warm-up, then measured. */
    interface Operation {
        void run() throws Exception;
    }

    static Result measure(String server, int calls, int concurrency, Duration warmup, Duration measure, Operation operation) throws Exception {
        run(concurrency, warmup, operation, null);
        Latencies all = new Latencies();
        long elapsed = run(concurrency, measure, operation, all);
        return new Result(server, calls, concurrency, all.micros(0.50), all.micros(0.99), all.count() * 1e9 / elapsed, all.count());
    }

    private static long run(int concurrency, Duration duration, Operation operation, Latencies into) throws Exception {
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        AtomicReference<Exception> failure = new AtomicReference<>();
        List<Thread> workers = new ArrayList<>();
        List<Latencies> perWorker = new ArrayList<>();
        for (int w = 0; w < concurrency; w++) {
            Latencies mine = new Latencies();
            perWorker.add(mine);
            workers.add(Thread.ofPlatform().daemon().start(() -> {
                try {
                    long now;
                    while ((now = System.nanoTime()) < end && failure.get() == null) {
                        operation.run();
                        mine.add(System.nanoTime() - now);
                    }
                } catch (Exception e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        for (Thread worker : workers) {
            worker.join();
        }
        long elapsed = System.nanoTime() - start;
        if (failure.get() != null) {
            throw failure.get();
        }
        if (into != null) {
            perWorker.forEach(into::addAll);
        }
        return elapsed;
    }

    static Result events(String server, Path socket, int calls, int concurrency, Duration warmup, Duration measure) throws Exception {
        try (KongRpcClient client = new KongRpcClient(socket)) {
            KongPluginInstances instances = new KongPluginInstances(client);
            var plugin = new KongPluginInstances.PluginEntity(UUID.randomUUID().toString(), "bench-calls", Map.of("calls", calls), 1);
            long instance = instances.instanceFor(plugin);
            return measure(server, calls, concurrency, warmup, measure, () -> {
                var outcome = client.handleEvent(instance, "access", KONG);
                if (!(outcome instanceof io.kongjava.kongclient.EventOutcome.Returned returned) || returned.pdkCalls() != calls) {
                    throw new IllegalStateException(server + ": expected " + calls + " PDK calls, got " + outcome);
                }
            });
        }
    }

    static Result echo(Path socket, int concurrency, Duration warmup, Duration measure) throws Exception {
        Object argument = new io.kongjava.protocol.KongCall.HandleEvent(1, "access").toArgument();
        try (KongRpcClient client = new KongRpcClient(socket)) {
            return measure("echo", 1, concurrency, warmup, measure, () -> client.call("bench.Echo", argument));
        }
    }

    /** 16 bytes there and back on one connection, no codec: what the kernel and the scheduler cost. */
    static Result raw(Path socket, Duration warmup, Duration measure) throws Exception {
        try (java.nio.channels.SocketChannel channel = java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(socket))) {
            java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocateDirect(16);
            Operation pingPong = () -> {
                buffer.clear();
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                buffer.clear();
                while (buffer.hasRemaining()) {
                    if (channel.read(buffer) < 0) {
                        throw new java.io.EOFException("echo closed");
                    }
                }
            };
            long end = System.nanoTime() + warmup.toNanos();
            while (System.nanoTime() < end) {
                pingPong.run();
            }
            Latencies samples = new Latencies();
            long start = System.nanoTime();
            end = start + measure.toNanos();
            long now;
            while ((now = System.nanoTime()) < end) {
                pingPong.run();
                samples.add(System.nanoTime() - now);
            }
            return new Result("raw", 0, 1, samples.micros(0.5), samples.micros(0.99), samples.count() * 1e9 / (System.nanoTime() - start),
                    samples.count());
        }
    }

    static void print(Result r) {
        System.out.printf("%-6s %6s %6d %10.1f %10.1f %12.0f%n", r.server(), r.server().equals("echo") ? "-" : String.valueOf(r.calls()),
                r.concurrency(), r.p50(), r.p99(), r.eventsPerSecond());
    }

    private static Result find(List<Result> results, String server, int calls, int concurrency) {
        return results.stream().filter(r -> r.server().equals(server) && r.calls() == calls && r.concurrency() == concurrency)
                .findFirst().orElse(null);
    }

    static void summarize(List<Result> results, int[] concurrencies, boolean withJs) {
        System.out.println();
        System.out.println("# ratios");
        for (int concurrency : concurrencies) {
            Result floor = find(results, "echo", 1, concurrency);
            for (int calls : CALLS) {
                Result java = find(results, "java", calls, concurrency);
                StringBuilder line = new StringBuilder("conc %d, N=%2d: java p50 = %.1fx echo p50".formatted(concurrency, calls, java.p50() / floor.p50()));
                if (withJs) {
                    Result js = find(results, "js", calls, concurrency);
                    line.append(", java events/s = %.1fx js, js p50 = %.1fx java p50".formatted(java.eventsPerSecond() / js.eventsPerSecond(),
                            js.p50() / java.p50()));
                }
                System.out.println(line);
            }
            Result java0 = find(results, "java", 0, concurrency);
            Result java20 = find(results, "java", 20, concurrency);
            double perCall = (java20.p50() - java0.p50()) / 20;
            System.out.printf("conc %d: one PDK call (java, (p50 N=20 - p50 N=0) / 20) = %.1f us = %.1fx the echo round trip p50%n",
                    concurrency, perCall, perCall / floor.p50());
            if (withJs) {
                Result js0 = find(results, "js", 0, concurrency);
                Result js20 = find(results, "js", 20, concurrency);
                System.out.printf("conc %d: one PDK call (js) = %.1f us%n", concurrency, (js20.p50() - js0.p50()) / 20);
            }
        }
    }
}
