package io.kongjava.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kongjava.pdk.exchange.ProcessRequestExchange;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.logging.ConsoleHandler;
import java.util.logging.Handler;
import java.util.logging.Logger;

/**
 * {@code kong-java-pluginserver}: the process Kong starts ({@code pluginserver_<name>_start_cmd}) and queries
 * ({@code _query_cmd}). Flags follow Kong's other plugin servers.
 */
public final class Main {

    public static final String SERVER_NAME = "kong-java-pluginserver";
    public static final String VERSION = "0.1.0";
    private static final String DEFAULT_PREFIX = "/usr/local/kong";
    /** Set by a supervisor (the local gateway) whose plugin servers must not outlive it. */
    public static final String EXIT_WITH_PARENT_ENV = "KONG_JAVA_EXIT_WITH_PARENT";
    /** host:port of the Prometheus endpoint when the flag is not given; unset means no endpoint. */
    public static final String METRICS_LISTEN_ENV = "KONG_JAVA_METRICS_LISTEN";
    /** OTLP/HTTP traces URL when the flag is not given; unset means no traces. */
    public static final String OTLP_ENDPOINT_ENV = "KONG_JAVA_OTLP_ENDPOINT";

    private static final String USAGE = """
            Usage: %1$s [options]

            Serves Java Kong plugins over Kong's external plugin protocol (MsgPack:1) on a Unix socket.

              -p, --kong-prefix, -kong-prefix DIR
                                    Kong's prefix; the default socket is DIR/%1$s.socket
                                    (default prefix %2$s)
              -s, --socket PATH     the Unix socket to listen on (overrides the prefix default)
              -d, --plugins-directory, -plugins-directory DIR
                                    load plugin jars from DIR (plugins on the class path are always loaded)
              --dump-plugin-info, -dump-plugin-info NAME
                                    print NAME's plugin info as a JSON array of one element and exit
                                    (what Kong 3.9+ needs as pluginserver_<name>_query_cmd)
              --dump-all-plugins, -dump-all-plugins
                                    print every plugin's info as a JSON array and exit
              -dump, --dump         print {"Protocol":"MsgPack:1","Plugins":[...]} and exit
              --instance-idle-timeout SECONDS
                                    forget instances unused this long (default 600; Kong restarts them on demand);
                                    past 10,000 instances the least recently used idle one is forgotten too
                                    (-Dkong.java.maxInstances=N in KONG_JAVA_OPTS sets that bound)
              --socket-mode MODE    the socket's permissions in octal (default 0600: Kong's workers run as the
                                    user Kong starts the server as); 0660 with a shared group for a server
                                    started as another user (a sidecar), else Kong cannot connect and fails open
              --kong-timeout SECONDS
                                    Kong's lua_socket_read_timeout (default 60, as Kong's): a phase that holds
                                    Kong's call is ended with Kong's 500 5 s (at most half of it) before Kong gives up on it
                                    and proxy the request without the plugin; set it when Kong's is lowered
              --drain-timeout SECONDS
                                    on SIGTERM, stop taking connections and wait this long for the events and
                                    relayed answers (streams) in flight before ending (default 120)
              --exit-with-parent, --no-exit-with-parent
                                    end when the process that started this one ends (default: only when
                                    that is Kong's nginx, or %3$s=true)
              --metrics-listen HOST:PORT
                                    serve Prometheus metrics on http://HOST:PORT/metrics (default: off,
                                    or %4$s); a bare PORT binds 127.0.0.1
              --otlp-endpoint URL   send a trace span per AI request over OTLP/HTTP to URL, e.g.
                                    http://127.0.0.1:4318/v1/traces (default: off, or %5$s)
              --verbose             log debug lines
              -v, --version         print the version and exit
              -h, --help            print this help and exit

            Logs go to stderr, one line each; the dumps write only JSON to stdout.
            """;

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the command line; returns the exit status. Serving blocks until the process is stopped. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            err.println(SERVER_NAME + ": " + e.getMessage());
            err.println("Try '" + SERVER_NAME + " --help'.");
            return 2;
        }
        configureLogging(options.verbose());
        if (options.help()) {
            out.printf(USAGE, SERVER_NAME, DEFAULT_PREFIX, EXIT_WITH_PARENT_ENV, METRICS_LISTEN_ENV, OTLP_ENDPOINT_ENV);
            return 0;
        }
        if (options.version()) {
            out.println(SERVER_NAME + " " + VERSION);
            return 0;
        }
        PluginCatalog catalog;
        try {
            catalog = PluginCatalog.load(options.pluginsDirectory());
        } catch (IOException e) {
            err.println(SERVER_NAME + ": " + e.getMessage());
            return 1;
        }
        if (options.dumpPluginInfo() != null || options.dumpAll() || options.dumpObject()) {
            return dump(options, catalog, out, err);
        }
        return serve(options, catalog, err);
    }

    private static int dump(Options options, PluginCatalog catalog, PrintStream out, PrintStream err) {
        List<Object> infos = new ArrayList<>();
        if (options.dumpPluginInfo() != null) {
            var plugin = catalog.find(options.dumpPluginInfo());
            if (plugin.isEmpty()) {
                err.println(SERVER_NAME + ": no plugin named " + options.dumpPluginInfo() + "; this server has: "
                        + catalog.all().stream().map(PluginCatalog.LoadedPlugin::name).toList());
                return 1;
            }
            infos.add(plugin.get().descriptor().toDumpInfo());
        } else {
            catalog.all().forEach(p -> infos.add(p.descriptor().toDumpInfo()));
        }
        Object document = options.dumpObject() ? Map.of("Protocol", "MsgPack:1", "Plugins", infos) : infos;
        try {
            out.write((new ObjectMapper().writeValueAsString(document) + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            err.println(SERVER_NAME + ": cannot write the dump: " + e.getMessage());
            return 1;
        }
        return 0;
    }

    private static int serve(Options options, PluginCatalog catalog, PrintStream err) {
        System.Logger log = System.getLogger(Main.class.getName());
        if (catalog.all().isEmpty()) {
            log.log(Level.WARNING, "no plugins found; Kong will get \"no plugin named ...\" for every instance");
        }
        Path socket = options.listensOn();
        PluginServer server = new PluginServer(socket, catalog, ProcessRequestExchange.shared(),
                new PluginServer.Settings(options.replyTimeout(), options.stepTimeout(), options.instanceIdleTimeout(), true))
                .socketMode(options.socketMode());
        ServerObserver.Attached metrics;
        try {
            metrics = attachMetrics(options, server);
        } catch (IOException | RuntimeException e) {
            err.println(SERVER_NAME + ": cannot start metrics: " + e.getMessage());
            return 1;
        }
        // Registered before binding: a SIGTERM that arrives while we start must still remove the socket.
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.startDraining();
            System.Logger stopLog = shutdownLog(); // java.util.logging may be reset by its own shutdown hook by now
            stopLog.log(Level.INFO, "stopping: requests in flight finish (up to " + options.drainTimeout().toSeconds()
                    + " s, --drain-timeout); new ones are answered 503 until the server has ended");
            metrics.stopServing();
            drain(server, options.drainTimeout(), stopLog);
            awaitSuccessor(server, SUCCESSOR_WAIT, stopLog);
            serveWhatKongStillSends(server, TAKEN_OVER_SERVE_LIMIT, stopLog);
            server.close();
            try {
                metrics.close();
            } catch (Exception e) {
                stopLog.log(Level.WARNING, "metrics failed to stop: " + e);
            }
            catalog.all().forEach(p -> {
                try {
                    p.plugin().shutdown();
                } catch (RuntimeException e) {
                    stopLog.log(Level.WARNING, "plugin " + p.name() + " failed to shut down: " + e);
                }
            });
            // Filters still open are told their exchange ended (their log blocks complete).
            io.kongjava.relay.ResponseRelay.closeShared();
            stopLog.log(Level.INFO, "stopped");
            stopped.countDown();
        }, "shutdown"));
        try {
            server.start();
        } catch (IOException e) {
            err.println(SERVER_NAME + ": cannot listen on " + socket + ": " + e.getMessage());
            return 1;
        }
        log.log(Level.INFO, SERVER_NAME + " " + VERSION + " pid " + ProcessHandle.current().pid() + " serving "
                + catalog.all().stream().map(p -> p.name() + " " + p.descriptor().version()).toList());
        watchParent(log, options.exitWithParent());
        watchTakeover(server, log);
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /**
     * A server whose socket another one has taken over (a second server started on the same path, or a reload's new one
     * before its SIGTERM comes) gets no new connections: it serves those Kong still has open and then ends, rather than
     * running on unseen.
     */
    private static void watchTakeover(PluginServer server, System.Logger log) {
        Thread.ofPlatform().daemon(true).name("takeover-watch").start(() -> {
            try {
                while (!server.takenOver()) {
                    Thread.sleep(1000);
                }
                log.log(Level.WARNING, "another server has taken " + server.socketPath() + " over; this one serves the "
                        + server.openConnections() + " connection(s) Kong still has open to it and ends when they have closed");
                while (server.openConnections() > 0 || server.eventsInFlight() > 0) {
                    Thread.sleep(1000);
                }
                log.log(Level.INFO, "no connection from Kong is left: ending");
                System.exit(0);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /** How long a stopping server that Kong still talks to keeps its socket for a successor (see {@link #awaitSuccessor}). */
    static final Duration SUCCESSOR_WAIT = Duration.ofSeconds(5);

    /**
     * Keeps the socket, answering new requests 503, until another server has taken it over, Kong has closed every
     * connection, or {@code limit} has passed. Removing it at once would leave a reload's new workers no socket until the
     * new server binds (a JVM takes a second or two), and Kong, which fails open when it cannot connect, would proxy
     * their requests without the plugins. When Kong itself is stopping its connections close and the server ends at once.
     */
    static void awaitSuccessor(PluginServer server, Duration limit, System.Logger log) {
        long deadline = System.nanoTime() + limit.toNanos();
        boolean told = false;
        while (!server.takenOver() && server.openConnections() > 0 && System.nanoTime() - deadline < 0) {
            if (!told) {
                log.log(Level.INFO, "stopping: keeping the socket up to " + limit.toSeconds() + " s for a server to take it over ("
                        + server.openConnections() + " connection(s) from Kong still open; new requests are answered 503)");
                told = true;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        if (told) {
            log.log(Level.INFO, server.takenOver() ? "stopping: another server has taken the socket over"
                    : server.openConnections() == 0 ? "stopping: Kong has closed its connections" : "stopping: no server took the socket over");
        }
    }

    /** How long a stopping server whose socket a successor has taken serves the connections Kong still has open to it. */
    static final Duration TAKEN_OVER_SERVE_LIMIT = Duration.ofSeconds(60);

    /**
     * After a successor has taken the socket over (a reload), Kong's exiting workers still hold pooled connections to
     * this server and send calls on them until their requests end: closing them would fail those calls, and Kong
     * proxies such a request without the plugin. So the server serves them (a draining server serves once taken over)
     * until Kong has closed them all, up to {@code limit} (Kong's keepalive timeout, 60 s, closes idle ones).
     */
    static void serveWhatKongStillSends(PluginServer server, Duration limit, System.Logger log) {
        if (!server.takenOver()) {
            return;
        }
        long deadline = System.nanoTime() + limit.toNanos();
        if (server.openConnections() > 0) {
            log.log(Level.INFO, "stopping: serving the " + server.openConnections() + " connection(s) Kong still has open to this"
                    + " server until it closes them (up to " + limit.toSeconds() + " s); new ones go to the server that took the socket");
        }
        while ((server.openConnections() > 0 || server.eventsInFlight() > 0) && System.nanoTime() - deadline < 0) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Waits, up to {@code limit}, for the events and relayed answers in flight. Kong sends SIGTERM from one nginx worker
     * as it exits (a reload, a graceful quit), while other workers may still be streaming answers through this server's
     * relay, and nginx lets them finish: so does the server. New requests go to the server that took the socket over.
     */
    static void drain(PluginServer server, Duration limit, System.Logger log) {
        drain(server::eventsInFlight,
                () -> io.kongjava.relay.ResponseRelay.sharedIfStarted().map(io.kongjava.relay.ResponseRelay::passesInFlight).orElse(0), limit, log);
    }

    static void drain(java.util.function.IntSupplier eventsInFlight, java.util.function.IntSupplier relayedInFlight, Duration limit,
                      System.Logger log) {
        long deadline = System.nanoTime() + limit.toNanos();
        boolean told = false;
        while (true) {
            int events = eventsInFlight.getAsInt();
            int relayed = relayedInFlight.getAsInt();
            if (events == 0 && relayed == 0) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                log.log(Level.WARNING, "stopping with " + events + " event(s) and " + relayed + " relayed answer(s) still in flight after "
                        + limit.toSeconds() + " s (--drain-timeout)");
                return;
            }
            if (!told) {
                log.log(Level.INFO, "stopping: waiting up to " + limit.toSeconds() + " s for " + events + " event(s) and " + relayed
                        + " relayed answer(s) in flight");
                told = true;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** The metrics module (a jar in lib/), when the flags or the environment ask for metrics or traces. */
    private static ServerObserver.Attached attachMetrics(Options options, PluginServer server) throws IOException {
        String listen = options.metricsListen() != null ? options.metricsListen() : blankToNull(System.getenv(METRICS_LISTEN_ENV));
        String otlp = options.otlpEndpoint() != null ? options.otlpEndpoint() : blankToNull(System.getenv(OTLP_ENDPOINT_ENV));
        if (listen == null && otlp == null) {
            return ServerObserver.Attached.NOTHING;
        }
        ServerObserver.Provider provider = java.util.ServiceLoader.load(ServerObserver.Provider.class).findFirst()
                .orElseThrow(() -> new IOException("metrics were asked for but kong-java-metrics is not on the class path"));
        return provider.attach(server, listen, otlp);
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }

    /**
     * Kong sends SIGTERM when it stops, but a worker that dies abruptly leaves the server it spawned orphaned,
     * and the next worker's server takes the socket; so a server Kong started exits when its parent goes away.
     * One an operator started (systemd, nohup, a sidecar; Kong then has no start_cmd) must outlive the shell
     * that launched it. Kong spawns from an nginx worker; the local gateway says so in the environment.
     */
    static boolean shouldExitWithParent(Boolean flag, String environment, String parentCommand) {
        if (flag != null) {
            return flag;
        }
        if (environment != null && !environment.isBlank()) {
            return Boolean.parseBoolean(environment.trim()) || environment.trim().equals("1");
        }
        if (parentCommand == null) {
            return false;
        }
        String name = Path.of(parentCommand).getFileName().toString();
        return name.equals("nginx") || name.startsWith("openresty");
    }

    private static void watchParent(System.Logger log, Boolean flag) {
        ProcessHandle parent = ProcessHandle.current().parent().orElse(null);
        if (parent == null || parent.pid() == 1) {
            return;
        }
        String parentCommand = parent.info().command().orElse(null);
        if (!shouldExitWithParent(flag, System.getenv(EXIT_WITH_PARENT_ENV), parentCommand)) {
            log.log(Level.INFO, "started by " + (parentCommand == null ? "pid " + parent.pid() : parentCommand)
                    + ": keeps running when it exits (--exit-with-parent or " + EXIT_WITH_PARENT_ENV + "=true to tie them)");
            return;
        }
        log.log(Level.INFO, "exits when its parent, pid " + parent.pid() + " (" + parentCommand + "), goes away");
        Thread.ofPlatform().daemon(true).name("parent-watch").start(() -> {
            while (true) {
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
                var current = ProcessHandle.current().parent();
                if (!parent.isAlive() || current.isEmpty() || current.get().pid() != parent.pid()) {
                    log.log(Level.WARNING, "parent process " + parent.pid() + " is gone; exiting");
                    System.exit(0);
                }
            }
        });
    }

    /**
     * The server's log for its shutdown hook, written straight to stderr in the same one-line form: the JDK resets
     * java.util.logging in a shutdown hook of its own, which may run first, and then a stopping server's lines (that it
     * drains, what was still in flight) were lost.
     */
    static System.Logger shutdownLog() {
        OneLineFormatter formatter = new OneLineFormatter();
        return new System.Logger() {
            @Override
            public String getName() {
                return Main.class.getName();
            }

            @Override
            public boolean isLoggable(Level level) {
                return level.getSeverity() >= Level.INFO.getSeverity();
            }

            @Override
            public void log(Level level, java.util.ResourceBundle bundle, String message, Throwable thrown) {
                if (!isLoggable(level)) {
                    return;
                }
                java.util.logging.LogRecord record = new java.util.logging.LogRecord(switch (level) {
                    case ERROR -> java.util.logging.Level.SEVERE;
                    case WARNING -> java.util.logging.Level.WARNING;
                    default -> java.util.logging.Level.INFO;
                }, message);
                record.setLoggerName(getName());
                record.setThrown(thrown);
                System.err.print(formatter.format(record));
                System.err.flush();
            }

            @Override
            public void log(Level level, java.util.ResourceBundle bundle, String format, Object... params) {
                log(level, bundle, params == null || params.length == 0 ? format : java.text.MessageFormat.format(format, params),
                        (Throwable) null);
            }
        };
    }

    private static void configureLogging(boolean verbose) {
        Logger root = Logger.getLogger("");
        for (Handler handler : root.getHandlers()) {
            root.removeHandler(handler);
        }
        ConsoleHandler handler = new ConsoleHandler();
        handler.setFormatter(new OneLineFormatter());
        java.util.logging.Level level = verbose ? java.util.logging.Level.FINE : java.util.logging.Level.INFO;
        handler.setLevel(level);
        root.setLevel(level);
        root.addHandler(handler);
    }

    /** The parsed command line. */
    record Options(Path prefix, Path socket, Path pluginsDirectory, String dumpPluginInfo, boolean dumpAll,
                   boolean dumpObject, Duration instanceIdleTimeout, Boolean exitWithParent, boolean verbose,
                   boolean version, boolean help, String metricsListen, String otlpEndpoint, Duration drainTimeout,
                   Set<PosixFilePermission> socketMode, Duration kongTimeout) {

        /** How long a phase may hold Kong's call: 5 s (at most half of it) under Kong's own socket timeout, which would fail open. */
        Duration replyTimeout() {
            Duration margin = kongTimeout.dividedBy(2);
            return kongTimeout.minus(margin.compareTo(Duration.ofSeconds(5)) < 0 ? margin : Duration.ofSeconds(5));
        }

        /** How long an event waits for Kong's next Step: longer than Kong may take to send it. */
        Duration stepTimeout() {
            return kongTimeout.plusSeconds(5);
        }

        /** The socket the server listens on: {@code --socket}, else the prefix's {@code kong-java-pluginserver.socket}. */
        Path listensOn() {
            return socket != null ? socket : prefix.resolve(SERVER_NAME + ".socket");
        }

        static Options parse(String[] args) {
            Path prefix = Path.of(DEFAULT_PREFIX);
            Path socket = null;
            Path plugins = null;
            String dumpInfo = null;
            boolean dumpAll = false;
            boolean dumpObject = false;
            Duration idle = Duration.ofMinutes(10);
            Boolean exitWithParent = null;
            boolean verbose = false;
            boolean version = false;
            boolean help = false;
            String metricsListen = null;
            String otlpEndpoint = null;
            Duration drain = Duration.ofSeconds(120);
            Duration kongTimeout = Duration.ofSeconds(60);
            Set<PosixFilePermission> socketMode = PluginServer.OWNER_ONLY;
            java.util.Deque<String> rest = new java.util.ArrayDeque<>();
            for (String arg : args) {
                int eq = arg.indexOf('=');
                if (arg.startsWith("-") && eq > 0) {
                    rest.add(arg.substring(0, eq));
                    rest.add(arg.substring(eq + 1));
                } else {
                    rest.add(arg);
                }
            }
            while (!rest.isEmpty()) {
                String option = rest.poll();
                switch (option) {
                    case "-p", "--kong-prefix", "-kong-prefix" -> prefix = Path.of(value(rest, option));
                    case "-s", "--socket", "-socket" -> socket = Path.of(value(rest, option));
                    case "-d", "--plugins-directory", "-plugins-directory" -> plugins = Path.of(value(rest, option));
                    case "--dump-plugin-info", "-dump-plugin-info" -> dumpInfo = value(rest, option);
                    case "--dump-all-plugins", "-dump-all-plugins" -> dumpAll = true;
                    case "-dump", "--dump" -> dumpObject = true;
                    case "--instance-idle-timeout" -> {
                        String seconds = value(rest, option);
                        try {
                            idle = Duration.ofSeconds(Long.parseLong(seconds));
                        } catch (NumberFormatException e) {
                            throw new IllegalArgumentException(option + " needs whole seconds, got " + seconds);
                        }
                    }
                    case "--drain-timeout" -> {
                        String seconds = value(rest, option);
                        try {
                            drain = Duration.ofSeconds(Long.parseLong(seconds));
                        } catch (NumberFormatException e) {
                            throw new IllegalArgumentException(option + " needs whole seconds, got " + seconds);
                        }
                    }
                    case "--kong-timeout" -> {
                        String seconds = value(rest, option);
                        try {
                            kongTimeout = Duration.ofSeconds(Long.parseLong(seconds));
                        } catch (NumberFormatException e) {
                            throw new IllegalArgumentException(option + " needs whole seconds, got " + seconds);
                        }
                        if (kongTimeout.toSeconds() < 2 || kongTimeout.toSeconds() > 86_400) {
                            throw new IllegalArgumentException(option + " needs 2 to 86400 seconds, got " + seconds);
                        }
                    }
                    case "--socket-mode", "-socket-mode" -> socketMode = socketMode(value(rest, option), option);
                    case "--exit-with-parent", "-exit-with-parent" -> exitWithParent = true;
                    case "--no-exit-with-parent", "-no-exit-with-parent" -> exitWithParent = false;
                    case "--metrics-listen", "-metrics-listen" -> metricsListen = value(rest, option);
                    case "--otlp-endpoint", "-otlp-endpoint" -> otlpEndpoint = value(rest, option);
                    case "--verbose" -> verbose = true;
                    case "-v", "--version", "-version" -> version = true;
                    case "-h", "--help", "-help" -> help = true;
                    default -> throw new IllegalArgumentException("unknown option " + option);
                }
            }
            return new Options(prefix, socket, plugins, dumpInfo, dumpAll, dumpObject, idle, exitWithParent, verbose, version, help,
                    metricsListen, otlpEndpoint, drain, socketMode, kongTimeout);
        }

        /** An octal mode such as 660 or 0660, for a server Kong's workers reach as another user (a sidecar). */
        private static Set<PosixFilePermission> socketMode(String octal, String option) {
            if (!octal.matches("0?[0-7]{3}")) {
                throw new IllegalArgumentException(option + " needs an octal mode such as 0600 or 0660, got " + octal);
            }
            int mode = Integer.parseInt(octal, 8);
            PosixFilePermission[] bits = PosixFilePermission.values();
            Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
            for (int i = 0; i < 9; i++) {
                // PosixFilePermission's order: OWNER_READ ... OTHERS_EXECUTE, the mode's bits from the highest down
                if ((mode & (1 << (8 - i))) != 0) {
                    set.add(bits[i]);
                }
            }
            return set;
        }

        private static String value(java.util.Deque<String> rest, String option) {
            String value = rest.poll();
            if (value == null || value.isEmpty()) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            return value;
        }
    }
}
