package io.kongjava.bench;

import io.kongjava.gateway.PluginServerProcesses;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The processes a benchmark starts, stopped together at the end. */
final class Processes implements AutoCloseable {

    private final List<Process> started = new ArrayList<>();

    /** Starts {@code command} (output discarded) and waits until {@code socket} accepts connections. */
    Process startServing(List<String> command, Path socket, Path log) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        started.add(process);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!accepts(socket)) {
            if (!process.isAlive()) {
                throw new IOException(String.join(" ", command) + " exited with " + process.exitValue() + ":\n" + Files.readString(log));
            }
            if (System.nanoTime() > deadline) {
                throw new IOException(String.join(" ", command) + " does not accept on " + socket + " after 30 s");
            }
            Thread.sleep(10);
        }
        return process;
    }

    static boolean accepts(Path socket) {
        return PluginServerProcesses.accepts(socket);
    }

    /** The java binary and class path of this JVM, to start helper processes like it. */
    static List<String> thisJava(String mainClass, String... args) {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        return command;
    }

    @Override
    public void close() {
        for (Process process : started) {
            process.destroy();
        }
        for (Process process : started) {
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
