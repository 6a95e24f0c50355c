package io.kongjava.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Start-up as Kong pays it: the query command ({@code --dump-plugin-info}, run once per plugin at every
 * Kong start) and the time until a started server's socket accepts. Both run as Kong runs them,
 * {@code /bin/sh -c "exec ..."} with an empty environment; each with the JDK's default class-data sharing
 * and with an application archive ({@code -XX:+AutoCreateSharedArchive}) through KONG_JAVA_OPTS.
 *
 * <pre>java ... io.kongjava.bench.Startup [--runs N] [--smoke]</pre>
 */
public final class Startup {

    public static void main(String[] args) throws Exception {
        int runs = 7;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--smoke" -> runs = 1;
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        System.out.println("# start-up (" + Machine.describe() + "), median of " + runs + " runs");
        String server = Repository.bin("kong-java-pluginserver").toString();
        Path dir = Files.createTempDirectory("kjp-bench-startup");
        Path archive = dir.resolve("app-cds.jsa");
        Map<String, String> defaults = Map.of();
        Map<String, String> appCds = Map.of("KONG_JAVA_OPTS", "-XX:SharedArchiveFile=" + archive + " -XX:+AutoCreateSharedArchive");
        // the first run with the archive option writes it; it is not counted
        time(server + " --dump-plugin-info java-ai-proxy", appCds);
        time(server + " -kong-prefix " + dir + " --socket " + dir.resolve("warm.socket"), appCds, dir.resolve("warm.socket"));

        boolean shipped = Files.exists(Repository.root().resolve("distribution/target/kong-java-pdk/lib/kong-java-pdk.jsa"));
        String asInstalled = shipped ? "launcher, with the distribution's archive" : "launcher (JDK's default CDS)";
        for (var variant : List.of(Map.entry(asInstalled, defaults), Map.entry("archive made on first run (KONG_JAVA_OPTS)", appCds))) {
            double dump = median(runs, () -> time(server + " --dump-plugin-info java-ai-proxy", variant.getValue()));
            Path socket = dir.resolve("s.socket");
            double accept = median(runs, () -> time(server + " -kong-prefix " + dir + " --socket " + socket, variant.getValue(), socket));
            System.out.printf("%-44s --dump-plugin-info: %4.0f ms   start until the socket accepts: %4.0f ms%n", variant.getKey(), dump, accept);
        }
    }

    interface Timed {
        double millis() throws Exception;
    }

    static double median(int runs, Timed timed) throws Exception {
        double[] samples = new double[runs];
        for (int i = 0; i < runs; i++) {
            samples[i] = timed.millis();
        }
        Arrays.sort(samples);
        return samples[runs / 2];
    }

    static ProcessBuilder asKong(String command, Map<String, String> env) {
        ProcessBuilder builder = new ProcessBuilder("/bin/sh", "-c", "exec " + command);
        builder.environment().clear();
        builder.environment().putAll(env);
        return builder;
    }

    /** Wall time of a command that exits by itself; fails on a non-zero exit or output that is not JSON. */
    static double time(String command, Map<String, String> env) throws Exception {
        long start = System.nanoTime();
        Process process = asKong(command, env).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] out = process.getInputStream().readAllBytes();
        int status = process.waitFor();
        double millis = (System.nanoTime() - start) / 1e6;
        if (status != 0 || out.length == 0 || out[0] != '[' && out[0] != '{') {
            throw new IllegalStateException(command + " exited " + status + " with " + new String(out));
        }
        return millis;
    }

    /** Time from starting a server until {@code socket} accepts a connection; the server is then stopped. */
    static double time(String command, Map<String, String> env, Path socket) throws Exception {
        Files.deleteIfExists(socket);
        long start = System.nanoTime();
        Process process = asKong(command, env).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            while (!Processes.accepts(socket)) {
                if (!process.isAlive() || System.nanoTime() - start > TimeUnit.SECONDS.toNanos(30)) {
                    throw new IllegalStateException(command + " never accepted on " + socket);
                }
                Thread.sleep(5);
            }
            return (System.nanoTime() - start) / 1e6;
        } finally {
            process.destroy();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
