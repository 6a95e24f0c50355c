package io.kongjava.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.System.Logger.Level;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs plugin servers as Kong's process.lua does: the query command through {@code /bin/sh -c} (its JSON
 * read, only the first plugin kept, as Kong 3.9+ does), the start command as {@code /bin/sh -c "exec ..."}
 * with an almost empty environment like an nginx worker's, output logged with a {@code [name:pid]} prefix,
 * and a server that exits started again, at most once per second, until shutdown (then SIGTERM).
 */
public final class PluginServerProcesses implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(PluginServerProcesses.class.getName());

    /** What one entry's query command told: the plugin it serves and where. */
    /**
     * @param ignored the names of the plugins the dump listed after the first, which Kong 3.9+ (and this gateway)
     *                never reads: a {@code --dump-all-plugins} style query command
     */
    public record Dumped(KongConf.PluginServerEntry entry, String protocol, Map<String, Object> plugin, List<String> ignored) {
        public Dumped(KongConf.PluginServerEntry entry, String protocol, Map<String, Object> plugin) {
            this(entry, protocol, plugin, List.of());
        }

        public String pluginName() {
            return String.valueOf(plugin.get("Name"));
        }

        @SuppressWarnings("unchecked")
        public Map<String, Object> schema() {
            return (Map<String, Object>) plugin.get("Schema");
        }

        public long priority() {
            return plugin.get("Priority") instanceof Number n ? n.longValue() : 0;
        }

        @SuppressWarnings("unchecked")
        public List<String> phases() {
            return (List<String>) plugin.getOrDefault("Phases", List.of());
        }
    }

    private final List<Supervisor> supervisors = new ArrayList<>();
    /** Set in each server's otherwise empty environment (the certificates directory of the kong.yaml, when it has some). */
    private final Map<String, String> environment;
    private volatile boolean closed;

    public PluginServerProcesses() {
        this(Map.of());
    }

    public PluginServerProcesses(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    /** Runs an entry's query command and decodes its JSON. */
    public static Dumped query(KongConf.PluginServerEntry entry) throws ConfigException {
        Process process;
        String out;
        try {
            process = new ProcessBuilder("/bin/sh", "-c", entry.queryCmd()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new ConfigException("failed loading external plugins: query command of " + entry.name() + " did not finish in 60 s");
            }
        } catch (IOException e) {
            throw new ConfigException("failed loading external plugins: cannot run '" + entry.queryCmd() + "': " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConfigException("interrupted while querying " + entry.name());
        }
        Object decoded;
        try {
            decoded = new ObjectMapper().readValue(out, Object.class);
        } catch (IOException e) {
            throw new ConfigException("failed loading external plugins: " + entry.name() + "'s query command did not print JSON: "
                    + e.getMessage().lines().findFirst().orElse("") + " (stdout: " + abbreviate(out) + ")");
        }
        String protocol = "MsgPack:1";
        List<?> plugins;
        if (decoded instanceof Map<?, ?> object) {
            protocol = object.get("Protocol") == null ? protocol : String.valueOf(object.get("Protocol"));
            plugins = object.get("Plugins") instanceof List<?> l ? l : List.of();
        } else if (decoded instanceof List<?> list) {
            plugins = list;
        } else {
            throw new ConfigException("failed loading external plugins: " + entry.name() + ": Not a plugin info table");
        }
        if (plugins.isEmpty() || !(plugins.getFirst() instanceof Map<?, ?> first)) {
            throw new ConfigException("failed loading external plugins: " + entry.name() + "'s query command dumped no plugin");
        }
        if (!"MsgPack:1".equals(protocol)) {
            throw new ConfigException(entry.name() + ": unknown protocol implementation " + protocol + " (this gateway speaks MsgPack:1)");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> plugin = new LinkedHashMap<>((Map<String, Object>) first);
        if (!(plugin.get("Phases") instanceof List<?>) || !(plugin.get("Schema") instanceof Map<?, ?>)) {
            throw new ConfigException(entry.name() + ": the dumped plugin has no Phases array or no Schema");
        }
        List<String> ignored = plugins.stream().skip(1)
                .map(other -> other instanceof Map<?, ?> info ? String.valueOf(info.get("Name")) : String.valueOf(other))
                .toList();
        return new Dumped(entry, protocol, plugin, ignored);
    }

    private static String abbreviate(String text) {
        String oneLine = text.replace('\n', ' ');
        return oneLine.length() > 200 ? oneLine.substring(0, 200) + "..." : oneLine;
    }

    /** Starts a supervised process for every entry with a start command. */
    public void start(List<KongConf.PluginServerEntry> entries) {
        for (KongConf.PluginServerEntry entry : entries) {
            if (entry.startCmd() == null) {
                LOG.log(Level.WARNING, "start_command undefined for pluginserver " + entry.name() + "; assuming external process management");
                continue;
            }
            Supervisor supervisor = new Supervisor(entry);
            supervisors.add(supervisor);
            Thread.ofVirtual().name("pluginserver " + entry.name()).start(supervisor::run);
        }
    }

    /**
     * Waits until every socket accepts connections (Kong 3.5+ does not wait; we do, to serve no 500s). A plugin
     * server that exits before its socket accepts fails the start at once, with its exit status and last output:
     * Kong would restart it every second and log little more than the status.
     */
    public void awaitSockets(List<KongConf.PluginServerEntry> entries, Duration limit,
                             java.util.function.Function<KongConf.PluginServerEntry, String> startCmdOrigin) throws ConfigException {
        long deadline = System.nanoTime() + limit.toNanos();
        for (KongConf.PluginServerEntry entry : entries) {
            while (!accepts(entry.socket())) {
                for (Supervisor supervisor : supervisors) {
                    Supervisor.Exit exit = supervisor.firstExit;
                    if (exit != null && supervisor.entry.socket().equals(entry.socket())) {
                        throw new ConfigException(startCmdOrigin.apply(supervisor.entry) + ": plugin server " + supervisor.entry.name()
                                + " exited with status " + exit.status()
                                + exit.meaning() + " before accepting on " + entry.socket() + "\n  start_cmd: "
                                + supervisor.entry.startCmd() + (exit.output().isEmpty() ? "\n  (it printed nothing)"
                                : "\n  its last output:\n    " + String.join("\n    ", exit.output())));
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new ConfigException(startCmdOrigin.apply(entry) + ": plugin server " + entry.name() + ": nothing accepts on "
                            + entry.socket() + " after " + limit.toSeconds() + " s (pluginserver_" + entry.name().replace('-', '_')
                            + "_socket and the socket the server listens on, from its -kong-prefix or --socket, must agree)");
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ConfigException("interrupted while waiting for " + entry.socket());
                }
            }
        }
    }

    /** Whether a plugin server accepts connections on {@code socket} now. */
    public static boolean accepts(Path socket) {
        if (!Files.exists(socket)) {
            return false;
        }
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The pid of each running plugin server, by entry name (what Kong's error log prefixes lines with). */
    public Map<String, Long> pids() {
        Map<String, Long> pids = new LinkedHashMap<>();
        for (Supervisor supervisor : supervisors) {
            Process p = supervisor.process;
            if (p != null && p.isAlive()) {
                pids.put(supervisor.entry.name(), p.pid());
            }
        }
        return pids;
    }

    @Override
    public void close() {
        closed = true;
        for (Supervisor supervisor : supervisors) {
            supervisor.stop();
        }
    }

    private final class Supervisor {
        /** How a run ended: its status, what the status means when the shell gave it one, and its last lines. */
        record Exit(int status, List<String> output) {
            String meaning() {
                return switch (status) {
                    case 126 -> " (found but not executable)";
                    case 127 -> " (command not found)";
                    default -> status > 128 && status < 160 ? " (killed by signal " + (status - 128) + ")" : "";
                };
            }
        }

        private static final int OUTPUT_LINES_KEPT = 20;
        private final KongConf.PluginServerEntry entry;
        private volatile Process process;
        /** The first run's end, if it ended: what the start waits on instead of a timeout. */
        private volatile Exit firstExit;

        Supervisor(KongConf.PluginServerEntry entry) {
            this.entry = entry;
        }

        void run() {
            while (!closed) {
                long started = System.nanoTime();
                try {
                    LOG.log(Level.INFO, "[pluginserver] starting pluginserver process for " + entry.name());
                    ProcessBuilder builder = new ProcessBuilder("/bin/sh", "-c", "exec " + entry.startCmd()).redirectErrorStream(true);
                    Map<String, String> env = builder.environment();
                    String tz = env.get("TZ");
                    env.clear();
                    if (tz != null) {
                        env.put("TZ", tz);
                    }
                    // Kong's nginx parent is recognised by the Java server; this gateway says so instead, so a
                    // server it started does not outlive it.
                    env.put("KONG_JAVA_EXIT_WITH_PARENT", "true");
                    env.putAll(environment);
                    process = builder.start();
                    long pid = process.pid();
                    LOG.log(Level.INFO, "[pluginserver] started, pid " + pid);
                    java.util.ArrayDeque<String> lastLines = new java.util.ArrayDeque<>();
                    try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                        String line;
                        while ((line = out.readLine()) != null) {
                            if (!line.isBlank()) {
                                System.err.println("[" + entry.name() + ":" + pid + "] " + line);
                                if (lastLines.size() == OUTPUT_LINES_KEPT) {
                                    lastLines.removeFirst();
                                }
                                lastLines.addLast(line);
                            }
                        }
                    }
                    int status = process.waitFor();
                    if (firstExit == null) {
                        firstExit = new Exit(status, List.copyOf(lastLines));
                    }
                    if (!closed) {
                        LOG.log(status == 127 ? Level.ERROR : Level.WARNING, "external pluginserver '" + entry.name() + "' terminated: exit " + status
                                + (status == 127 ? " (command not found)" : ""));
                    }
                } catch (IOException e) {
                    if (!closed) {
                        LOG.log(Level.ERROR, "pluginserver " + entry.name() + ": " + e.getMessage());
                    }
                } catch (InterruptedException e) {
                    return;
                }
                long elapsed = System.nanoTime() - started;
                if (!closed && elapsed < TimeUnit.SECONDS.toNanos(1)) {
                    try {
                        Thread.sleep(TimeUnit.NANOSECONDS.toMillis(TimeUnit.SECONDS.toNanos(1) - elapsed));
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }

        void stop() {
            Process p = process;
            if (p != null && p.isAlive()) {
                p.destroy();
                try {
                    if (!p.waitFor(10, TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                    }
                } catch (InterruptedException e) {
                    p.destroyForcibly();
                    Thread.currentThread().interrupt();
                }
                LOG.log(Level.INFO, "successfully stopped pluginserver '" + entry.name() + "', pid " + p.pid());
            }
        }
    }
}
