package io.kongjava.gateway;

import io.kongjava.kongclient.PluginServerClient;
import io.kongjava.server.InProcessPluginServer;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * {@code --plugins-in-process}: the plugin servers kong.conf would start with our launcher run in the gateway's JVM
 * instead, one per socket, as the launcher would have run them (its plugins directory, then the start_cmd's options).
 * Any other start_cmd, and a socket nobody starts, stays a process reached over its socket.
 */
final class InProcessServers {

    private static final System.Logger LOG = System.getLogger(InProcessServers.class.getName());
    /** The launcher's file name; its {@code KJP_HOME} is the directory above it. */
    static final String LAUNCHER = "kong-java-pluginserver";

    private InProcessServers() {
    }

    static Map<Path, PluginServerClient> start(List<KongConf.PluginServerEntry> entries,
                                               Function<KongConf.PluginServerEntry, String> startCmdOrigin) throws ConfigException {
        Map<Path, PluginServerClient> started = new LinkedHashMap<>();
        try {
            for (KongConf.PluginServerEntry entry : entries) {
                if (entry.startCmd() == null || started.containsKey(entry.socket())) {
                    continue;
                }
                String[] arguments = launcherArguments(entry.startCmd());
                if (arguments == null) {
                    LOG.log(Level.INFO, "plugin server " + entry.name() + " is not " + LAUNCHER + "; started as a process");
                    continue;
                }
                try {
                    started.put(entry.socket(), InProcessPluginServer.fromArguments(arguments).start());
                } catch (IllegalArgumentException | IOException e) {
                    throw new ConfigException(startCmdOrigin.apply(entry) + ": cannot run plugin server " + entry.name()
                            + " in process: " + e.getMessage() + "\n  start_cmd: " + entry.startCmd());
                }
            }
        } catch (ConfigException e) {
            started.values().forEach(PluginServerClient::close);
            throw e;
        }
        return started;
    }

    /**
     * Refuses an entry whose start_cmd runs our launcher on another socket than the entry's: Kong (and this gateway)
     * would wait on a socket nobody opens and answer every request of the plugin with an error.
     */
    static void checkSockets(List<KongConf.PluginServerEntry> entries, KongConf conf) throws ConfigException {
        for (KongConf.PluginServerEntry entry : entries) {
            String[] arguments = entry.startCmd() == null ? null : launcherArguments(entry.startCmd());
            if (arguments == null) {
                continue;
            }
            Path listensOn;
            try {
                listensOn = InProcessPluginServer.socketOf(arguments);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(conf.startCmdOrigin(entry) + ": " + e.getMessage() + "\n  start_cmd: " + entry.startCmd());
            }
            Path expected = entry.socket().toAbsolutePath().normalize();
            if (!listensOn.equals(expected)) {
                throw new ConfigException(conf.socketOrigin(entry) + ": plugin server " + entry.name() + " is reached on " + expected
                        + ", but its start_cmd (" + conf.startCmdOrigin(entry) + ") makes " + LAUNCHER + " listen on " + listensOn
                        + ": add '--socket " + expected + "' to the start_cmd, or make the two name the same path");
            }
        }
    }

    /**
     * The server's arguments as the launcher would pass them ({@code --plugins-directory KJP_HOME/plugins}, then the
     * command's own); {@code null} when the command is not the launcher or needs a shell to be read.
     */
    static String[] launcherArguments(String startCmd) {
        String command = startCmd.strip();
        if (command.startsWith("exec ")) {
            command = command.substring(5).strip();
        }
        if (command.chars().anyMatch(c -> "'\"\\$`;&|<>(){}*?~".indexOf(c) >= 0)) {
            return null;
        }
        String[] words = command.split("\\s+");
        Path launcher = Path.of(words[0]);
        if (!LAUNCHER.equals(String.valueOf(launcher.getFileName()))) {
            return null;
        }
        Path home = launcher.toAbsolutePath().normalize().getParent().getParent();
        List<String> arguments = new ArrayList<>(List.of("--plugins-directory", home.resolve("plugins").toString()));
        arguments.addAll(Arrays.asList(words).subList(1, words.length));
        return arguments.toArray(String[]::new);
    }
}
