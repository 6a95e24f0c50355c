package io.kongjava.gateway;

import io.kongjava.catalogue.KongLogLevel;
import io.kongjava.kongclient.PluginServerClient;
import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * {@code kong-java-gateway -c kong.conf}: starts the plugin servers kong.conf names, loads its declarative
 * config, and serves the proxy, as {@code kong start} would for external plugins.
 */
public final class GatewayMain {

    private static final String USAGE = """
            Usage: kong-java-gateway -c KONG_CONF

            Runs Kong's side of the external plugin protocol without Kong: reads kong.conf (with KONG_<KEY>
            environment overrides) and its declarative_config (a decK kong.yaml), starts and supervises the
            plugin servers of pluginserver_names, and proxies proxy_listen through the configured plugins.
            A relative declarative_config is resolved against the directory of kong.conf; a relative prefix,
            as in Kong, against the working directory.

              -c, --conf FILE          kong.conf to use
                  --plugins-in-process run the plugin servers whose start_cmd is kong-java-pluginserver in this
                                       JVM instead of starting them: no socket round trip per PDK call (Kong
                                       itself always starts the process and talks over the socket)
              -h, --help               print this help
            """;

    private GatewayMain() {
    }

    public static void main(String[] args) {
        configureLogging();
        int status = run(args, System.out, System.err);
        if (status != 0) {
            System.exit(status);
        }
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        Path confFile = null;
        boolean pluginsInProcess = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "-c", "--conf" -> {
                    if (i + 1 >= args.length) {
                        err.println("kong-java-gateway: -c needs a file");
                        return 2;
                    }
                    confFile = Path.of(args[++i]);
                }
                case "--plugins-in-process" -> pluginsInProcess = true;
                case "-h", "--help" -> {
                    out.print(USAGE);
                    return 0;
                }
                default -> {
                    err.println("kong-java-gateway: unknown option " + args[i] + "\n" + USAGE);
                    return 2;
                }
            }
        }
        if (confFile == null) {
            err.print(USAGE);
            return 2;
        }
        try {
            Running running = start(confFile, System.getenv(), pluginsInProcess);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> running.stop(err), "shutdown"));
            out.println("kong-java-gateway: proxy on " + String.join(", ", running.gateway().addresses().stream()
                    .map(GatewayMain::url).toList()) + " (Ctrl-C to stop)");
            new CountDownLatch(1).await();
            return 0;
        } catch (ConfigException e) {
            err.println("Error: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("Error: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    /** A started gateway with its plugin servers. */
    public record Running(Gateway gateway, PluginServerProcesses processes) implements AutoCloseable {
        /** How long a stop (SIGTERM, Ctrl-C) lets the requests being served finish, as `kong quit`'s default timeout. */
        public static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

        /** A graceful stop: new connections refused, requests in flight (a streamed answer, say) finish first. */
        public void stop(PrintStream err) {
            int inFlight = gateway.requestsInFlight();
            if (inFlight > 0) {
                err.println("kong-java-gateway: stopping: " + inFlight + " request(s) in flight may finish, up to "
                        + STOP_TIMEOUT.toSeconds() + " s");
            }
            gateway.closeGracefully(STOP_TIMEOUT);
            processes.close();
        }

        @Override
        public void close() {
            gateway.close();
            processes.close();
        }
    }

    /** Where the dumps went wrong for a plugin that is enabled but was dumped by no plugin server, if they did. */
    private static String whyNotInstalled(String name, Collection<PluginServerProcesses.Dumped> dumps, KongConf conf) {
        for (PluginServerProcesses.Dumped dumped : dumps) {
            if (dumped.ignored().contains(name)) {
                return " (" + conf.queryCmdOrigin(dumped.entry()) + " dumped it after " + dumped.pluginName()
                        + ", and Kong 3.9+ reads only the first plugin of a dump: give " + name + " its own pluginserver entry"
                        + " whose query_cmd is 'kong-java-pluginserver --dump-plugin-info " + name + "')";
            }
        }
        if (dumps.isEmpty()) {
            return " (pluginserver_names names no plugin server)";
        }
        return " (the plugin servers dumped " + String.join(", ", dumps.stream().map(PluginServerProcesses.Dumped::pluginName).toList()) + ")";
    }

    /** Loads the configuration, starts the plugin servers and the proxy; what tests and the CLI share. */
    public static Running start(Path confFile, Map<String, String> environment) throws ConfigException, IOException {
        return start(confFile, environment, false);
    }

    /**
     * @param pluginsInProcess run the plugin servers whose {@code start_cmd} is our launcher in this JVM (their query
     *                         commands still run, as Kong runs them); other servers are started and reached as Kong does
     */
    public static Running start(Path confFile, Map<String, String> environment, boolean pluginsInProcess) throws ConfigException, IOException {
        System.Logger log = System.getLogger(GatewayMain.class.getName());
        KongConf conf = KongConf.load(confFile, environment);
        conf.warnings().forEach(warning -> log.log(Level.WARNING, warning));
        try {
            Files.createDirectories(conf.prefix());
        } catch (IOException e) {
            throw new ConfigException(conf.where("prefix") + ": cannot use " + conf.prefix() + " as Kong's prefix directory ("
                    + (e instanceof java.nio.file.FileAlreadyExistsException ? "a file is in the way" : e.toString()) + ")");
        }
        List<KongConf.PluginServerEntry> entries = conf.pluginServers();
        InProcessServers.checkSockets(entries, conf);
        Map<String, PluginServerProcesses.Dumped> dumps = new LinkedHashMap<>();
        Map<String, Map<String, Object>> schemas = new LinkedHashMap<>();
        for (KongConf.PluginServerEntry entry : entries) {
            PluginServerProcesses.Dumped dumped;
            try {
                dumped = PluginServerProcesses.query(entry);
            } catch (ConfigException e) {
                throw new ConfigException(conf.queryCmdOrigin(entry) + ": " + e.getMessage());
            }
            dumps.put(dumped.pluginName(), dumped);
            schemas.put(dumped.pluginName(), dumped.schema());
            if (!dumped.ignored().isEmpty()) {
                log.log(Level.WARNING, conf.queryCmdOrigin(entry) + ": the query command dumped " + (dumped.ignored().size() + 1)
                        + " plugins; Kong 3.9+ reads only the first (" + dumped.pluginName() + "), and so does this gateway"
                        + " (" + String.join(", ", dumped.ignored()) + " ignored). Give each plugin its own pluginserver entry"
                        + " whose query_cmd dumps that plugin alone (kong-java-pluginserver --dump-plugin-info NAME).");
            }
        }
        List<String> enabled = new ArrayList<>();
        for (String name : conf.list("plugins")) {
            if ("bundled".equals(name) || "off".equals(name)) {
                continue;
            }
            if (!dumps.containsKey(name)) {
                throw new ConfigException(conf.where("plugins") + ": " + name + " plugin is enabled but not installed; no plugin found"
                        + whyNotInstalled(name, dumps.values(), conf));
            }
            enabled.add(name);
        }
        String database = conf.get("database", "off");
        if (!database.equalsIgnoreCase("off")) {
            log.log(Level.WARNING, conf.where("database") + ": '" + database + "' is not used: the local gateway runs"
                    + " DB-less, from declarative_config, as Kong does with database = off");
        }
        String declarative = conf.get("declarative_config", null);
        if (declarative == null) {
            throw new ConfigException(conf.file() + ": declarative_config is required (the local gateway runs DB-less)");
        }
        String flavor = conf.get("router_flavor", "traditional_compatible");
        if (!List.of("traditional_compatible", "expressions", "traditional").contains(flavor)) {
            throw new ConfigException(conf.where("router_flavor") + ": expected one of: traditional, traditional_compatible, expressions");
        }
        if (flavor.equals("traditional")) {
            log.log(Level.WARNING, conf.where("router_flavor") + ": traditional (Kong's older Lua router) is routed as traditional_compatible"
                    + " by the local gateway; the two differ in a few priorities");
        }
        String vaultEnvPrefix = conf.get("vault_env_prefix", null);
        if (!Files.isReadable(conf.resolve(declarative)) || Files.isDirectory(conf.resolve(declarative))) {
            throw new ConfigException(conf.where("declarative_config") + ": cannot read " + conf.resolve(declarative)
                    + (Files.exists(conf.resolve(declarative)) ? (Files.isDirectory(conf.resolve(declarative)) ? " (a directory)" : " (no permission)")
                    : " (no such file)"));
        }
        DeclarativeConfig config = DeclarativeConfig.load(conf.resolve(declarative), schemas, enabled,
                name -> name.equals("KONG_VAULT_ENV_PREFIX") && vaultEnvPrefix != null ? vaultEnvPrefix // kong.conf's, for the env vault
                        : environment.containsKey(name) ? environment.get(name) : System.getenv(name), flavor.equals("expressions"));
        config.warnings.forEach(warning -> log.log(Level.WARNING, warning));
        Path certificates = writeCertificates(config, conf.prefix().resolve("certificates"));
        io.kongjava.emulation.IpRanges trustedIps;
        try {
            trustedIps = io.kongjava.emulation.IpRanges.parse(conf.list("trusted_ips"));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(conf.where("trusted_ips") + ": " + e.getMessage());
        }
        java.util.Set<String> kongHeaders = conf.kongHeaders();
        String logLevelName = conf.get("log_level", KongLogLevel.DEFAULT.kongName()).trim();
        KongLogLevel logLevel = KongLogLevel.fromKongName(logLevelName).orElseThrow(() -> new ConfigException(conf.where("log_level")
                + ": log_level must be one of " + java.util.Arrays.stream(KongLogLevel.values()).map(KongLogLevel::kongName).toList()
                + ", not '" + logLevelName + "'"));
        // real_ip_header and real_ip_recursive are Kong's aliases of the nginx_proxy_ directives, which win when set
        // (conf_loader's aliased_properties)
        String realIpHeader = conf.get("nginx_proxy_real_ip_header", conf.get("real_ip_header", "X-Real-IP"));
        Boolean recursiveDirective = conf.nginxFlag("nginx_proxy_real_ip_recursive");
        boolean realIpRecursive = recursiveDirective != null ? recursiveDirective : conf.onOff("real_ip_recursive", false);
        if (realIpHeader.equalsIgnoreCase("proxy_protocol")) {
            throw new ConfigException(conf.where("real_ip_header") + ": proxy_protocol needs a listener that speaks the PROXY protocol,"
                    + " which the local gateway's does not");
        }
        Map<String, String> serverEnvironment = Map.of();
        if (certificates != null) {
            // for java-ai-proxy's relay, which applies the Service's TLS settings to its own upstream calls
            System.setProperty(io.kongjava.relay.ResponseRelay.CERTIFICATES_PROPERTY, certificates.toString());
            serverEnvironment = Map.of("KONG_JAVA_CERTIFICATES_DIR", certificates.toString());
        }
        Map<Path, PluginServerClient> inProcess = pluginsInProcess ? InProcessServers.start(entries, conf::startCmdOrigin) : Map.of();
        List<KongConf.PluginServerEntry> processEntries = entries.stream().filter(e -> !inProcess.containsKey(e.socket())).toList();
        PluginServerProcesses processes = new PluginServerProcesses(serverEnvironment);
        processes.start(processEntries);
        try {
            processes.awaitSockets(processEntries, Duration.ofSeconds(30), conf::startCmdOrigin);
            // Kong's default client_max_body_size is 0: no limit. A body over client_body_buffer_size is held in memory
            // and also written to PREFIX/client_body_temp, where get_raw_body reads it back from, as nginx and Kong do.
            long maxBody = conf.size("nginx_http_client_max_body_size", 0);
            List<KongConf.Listener> served = new java.util.ArrayList<>();
            for (KongConf.Listener listener : conf.proxyListeners()) {
                if (listener.ssl() || listener.proxyProtocol()) {
                    // Kong's default proxy_listen has a TLS address: a real kong.conf must still start here
                    log.log(Level.WARNING, conf.where("proxy_listen") + ": '" + listener.entry() + "' is not served: the local gateway has "
                            + (listener.ssl() ? "no TLS listener (put TLS in front of a plain address)" : "no PROXY protocol"));
                } else {
                    if (listener.http2()) {
                        log.log(Level.WARNING, conf.where("proxy_listen") + ": '" + listener.entry() + "' is served with HTTP/1.1 only");
                    }
                    served.add(listener);
                }
            }
            if (served.isEmpty()) {
                throw new ConfigException(conf.where("proxy_listen") + ": no address the local gateway can serve (plain HTTP, no ssl or"
                        + " proxy_protocol flag): " + conf.get("proxy_listen", "off"));
            }
            InetSocketAddress listen = served.getFirst().address();
            Gateway gateway = new Gateway(config, dumps, maxBody == 0 ? Integer.MAX_VALUE - 9 : maxBody, conf.headerLimits(), inProcess)
                    .bodyBufferSize(conf.size("nginx_http_client_body_buffer_size", 8192))
                    .bodyTempPath(conf.prefix().resolve("client_body_temp"))
                    .certificates(certificates)
                    .trustedIps(trustedIps, realIpHeader, realIpRecursive)
                    .kongHeaders(kongHeaders)
                    .proxyBufferSize((int) Math.min(Integer.MAX_VALUE, conf.size("nginx_proxy_proxy_buffer_size",
                            conf.size("nginx_http_proxy_buffer_size", 4096))))
                    .logLevel(logLevel)
                    .upstreamKeepAlive(new io.kongjava.http.UpstreamClient.KeepAlive(
                            (int) Math.min(Integer.MAX_VALUE, conf.nonNegative("upstream_keepalive_pool_size", 512)),
                            conf.nonNegative("upstream_keepalive_max_requests", 10_000),
                            Duration.ofSeconds(conf.nonNegative("upstream_keepalive_idle_timeout", 60))))
                    .startPluginInstances();
            InetSocketAddress binding = listen;
            try {
                gateway.start(listen);
                for (KongConf.Listener more : served.subList(1, served.size())) {
                    binding = more.address();
                    gateway.alsoListen(more.address());
                }
            } catch (BindException e) {
                gateway.close();
                throw new ConfigException(conf.where("proxy_listen") + ": cannot listen on " + binding.getHostString() + ":" + binding.getPort()
                        + ": " + e.getMessage() + (e.getMessage() != null && e.getMessage().contains("in use")
                        ? " (another process has this port: stop it or choose another proxy_listen)" : ""));
            }
            log.log(Level.INFO, "serving " + config.routes.size() + " route(s) with plugins " + dumps.keySet()
                    + (inProcess.isEmpty() ? "" : " (plugin server" + (inProcess.size() > 1 ? "s" : "") + " in process: " + inProcess.keySet() + ")"));
            return new Running(gateway, processes);
        } catch (ConfigException | IOException | RuntimeException e) {
            processes.close();
            inProcess.values().forEach(PluginServerClient::close);
            throw e;
        }
    }

    /** An address as a URL a browser or curl takes ({@code http://[::1]:8000} for IPv6). */
    static String url(InetSocketAddress address) {
        String host = address.getHostString();
        return "http://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    /**
     * The kong.yaml's ca_certificates and certificates as PEM files by id ({@code <id>.crt}, {@code <id>.key}, the
     * keys readable by this user only), where the gateway and the plugin servers' relays look them up; null when the
     * file has none.
     */
    static Path writeCertificates(DeclarativeConfig config, Path directory) throws IOException {
        if (config.caCertificates.isEmpty() && config.certificates.isEmpty()) {
            return null;
        }
        Files.createDirectories(directory);
        Files.setPosixFilePermissions(directory, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        for (Map.Entry<String, String> ca : config.caCertificates.entrySet()) {
            Files.writeString(directory.resolve(ca.getKey() + ".crt"), ca.getValue());
        }
        for (DeclarativeConfig.CertificateEntity certificate : config.certificates.values()) {
            Files.writeString(directory.resolve(certificate.id() + ".crt"), certificate.cert());
            Path key = directory.resolve(certificate.id() + ".key");
            Files.deleteIfExists(key);
            Files.createFile(key, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
            Files.writeString(key, certificate.key());
        }
        return directory;
    }

    /** Held: java.util.logging keeps its loggers weakly, and a collected one forgets its level. */
    private static final Logger PLUGIN_LINES = Logger.getLogger("kong");

    private static void configureLogging() {
        Logger root = Logger.getLogger("");
        for (var handler : root.getHandlers()) {
            root.removeHandler(handler);
        }
        ConsoleHandler handler = new ConsoleHandler();
        handler.setLevel(java.util.logging.Level.ALL);
        PLUGIN_LINES.setLevel(java.util.logging.Level.ALL); // plugins' kong.log lines are filtered by kong.conf's log_level
        handler.setFormatter(new Formatter() {
            @Override
            public String format(LogRecord record) {
                String level = switch (record.getLevel().getName()) {
                    case "SEVERE" -> "error";
                    case "WARNING" -> "warn";
                    case "INFO" -> "info";
                    default -> "debug";
                };
                String text = ("kong".equals(record.getLoggerName()) ? "[kong] " : "[gateway] " + level + " ")
                        + formatMessage(record) + System.lineSeparator();
                if (record.getThrown() != null) {
                    var trace = new java.io.StringWriter();
                    record.getThrown().printStackTrace(new java.io.PrintWriter(trace));
                    text += trace;
                }
                return text;
            }
        });
        root.addHandler(handler);
    }
}
