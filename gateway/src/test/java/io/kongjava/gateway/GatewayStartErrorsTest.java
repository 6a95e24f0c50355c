package io.kongjava.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code kong-java-gateway -c kong.conf} says when it cannot start: the reason, and the file, line
 * and key to change, at once rather than after a timeout.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GatewayStartErrorsTest {

    @TempDir
    Path dir;

    /** kong.conf for one plugin server whose query command prints a valid dump, with {@code startCmd}. */
    private Path confWithStartCmd(String startCmd) throws IOException {
        Path dump = dir.resolve("dump.json");
        Files.writeString(dump, """
                [{"Name": "hello", "Phases": ["access"], "Priority": 1, "Version": "1.0",
                  "Schema": {"name": "hello", "fields": [{"config": {"type": "record", "fields": []}}]}}]
                """);
        Files.writeString(dir.resolve("kong.yaml"), "_format_version: \"3.0\"\n");
        Path conf = dir.resolve("kong.conf");
        Files.writeString(conf, """
                prefix = %s
                proxy_listen = 127.0.0.1:0
                declarative_config = kong.yaml
                plugins = bundled,hello
                pluginserver_names = hello
                pluginserver_hello_socket = %s
                pluginserver_hello_query_cmd = cat %s
                pluginserver_hello_start_cmd = %s
                """.formatted(dir.resolve("prefix"), dir.resolve("hello.sock"), dump, startCmd));
        return conf;
    }

    @Test
    void aStartCmdThatDoesNotExistFailsAtOnceSayingCommandNotFound() throws Exception {
        String startCmd = dir.resolve("no-such-dir/kong-java-pluginserver") + " --socket " + dir.resolve("hello.sock");
        Path conf = confWithStartCmd(startCmd);

        long started = System.nanoTime();
        assertThatThrownBy(() -> GatewayMain.start(conf, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(conf.toAbsolutePath() + ":8: pluginserver_hello_start_cmd: plugin server hello exited with status 127"
                        + " (command not found) before accepting on " + dir.resolve("hello.sock"))
                .hasMessageContaining("start_cmd: " + startCmd)
                .hasMessageContaining("not found"); // what /bin/sh printed
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void aPluginServerThatExitsBeforeItsSocketAcceptsFailsWithItsStatusAndLastOutput() throws Exception {
        Path server = dir.resolve("server.sh");
        Files.writeString(server, "#!/bin/sh\necho 'Error: Unable to access jarfile /opt/kong-java-pdk/lib/missing.jar'\nexit 1\n");
        Files.setPosixFilePermissions(server, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path conf = confWithStartCmd(server.toString());

        assertThatThrownBy(() -> GatewayMain.start(conf, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(conf.toAbsolutePath() + ":8: pluginserver_hello_start_cmd: plugin server hello exited with status 1"
                        + " before accepting on ")
                .hasMessageContaining("its last output:\n    Error: Unable to access jarfile /opt/kong-java-pdk/lib/missing.jar");
    }

    @Test
    void everyPlainProxyListenAddressIsServedAndATlsOneIsNamedAsNotServed() throws Exception {
        int first;
        int second;
        try (ServerSocket a = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             ServerSocket b = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            first = a.getLocalPort();
            second = b.getLocalPort();
        }
        Files.writeString(dir.resolve("kong.yaml"), "_format_version: \"3.0\"\n");
        Path conf = dir.resolve("kong.conf");
        Files.writeString(conf, """
                prefix = %s
                declarative_config = kong.yaml
                proxy_listen = 127.0.0.1:%d reuseport backlog=16384, 127.0.0.1:%d, 127.0.0.1:0 http2 ssl
                """.formatted(dir.resolve("prefix"), first, second));

        try (GatewayMain.Running running = GatewayMain.start(conf, Map.of())) {
            assertThat(running.gateway().addresses()).extracting(InetSocketAddress::getPort).containsExactly(first, second);
            for (int port : new int[] {first, second}) {
                try (java.net.Socket socket = new java.net.Socket(InetAddress.getLoopbackAddress(), port)) {
                    socket.getOutputStream().write("GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes());
                    assertThat(new String(socket.getInputStream().readAllBytes())).as("port " + port)
                            .startsWith("HTTP/1.1 404").contains("no Route matched with those values");
                }
            }
        }
    }

    @Test
    void aDatabaseTheGatewayDoesNotUseIsNamedAsAWarning() throws Exception {
        Files.writeString(dir.resolve("kong.yaml"), "_format_version: \"3.0\"\n");
        Path conf = dir.resolve("kong.conf");
        Files.writeString(conf, """
                prefix = %s
                proxy_listen = 127.0.0.1:0
                database = postgres
                declarative_config = kong.yaml
                """.formatted(dir.resolve("prefix")));
        java.util.List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger(GatewayMain.class.getName());
        java.util.logging.Handler handler = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord record) {
                warnings.add(record.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(handler);
        try (GatewayMain.Running running = GatewayMain.start(conf, Map.of())) {
            assertThat(warnings).anySatisfy(w -> assertThat(w).contains(conf + ":3: database: 'postgres' is not used"));
        } finally {
            logger.removeHandler(handler);
        }
    }

    @Test
    void aMissingDeclarativeConfigOrAPrefixThatIsAFileNamesItsKongConfLine() throws Exception {
        Path conf = dir.resolve("kong.conf");
        Files.writeString(conf, """
                prefix = %s
                proxy_listen = 127.0.0.1:0
                declarative_config = nope.yaml
                """.formatted(dir.resolve("prefix")));
        assertThatThrownBy(() -> GatewayMain.start(conf, Map.of())).isInstanceOf(ConfigException.class)
                .hasMessage(conf.toAbsolutePath() + ":3: declarative_config: cannot read " + dir.resolve("nope.yaml") + " (no such file)");

        Files.writeString(dir.resolve("afile"), "x");
        Files.writeString(conf, """
                prefix = %s
                declarative_config = kong.yaml
                """.formatted(dir.resolve("afile")));
        assertThatThrownBy(() -> GatewayMain.start(conf, Map.of())).isInstanceOf(ConfigException.class)
                .hasMessage(conf.toAbsolutePath() + ":1: prefix: cannot use " + dir.resolve("afile") + " as Kong's prefix directory"
                        + " (a file is in the way)");
    }

    @Test
    void aBusyProxyPortIsNamedWithItsAddressAndTheLineOfProxyListen() throws Exception {
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Files.writeString(dir.resolve("kong.yaml"), "_format_version: \"3.0\"\n");
            Path conf = dir.resolve("kong.conf");
            Files.writeString(conf, """
                    prefix = %s
                    declarative_config = kong.yaml
                    proxy_listen = 127.0.0.1:%d
                    """.formatted(dir.resolve("prefix"), busy.getLocalPort()));

            assertThatThrownBy(() -> GatewayMain.start(conf, Map.of()))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith(conf.toAbsolutePath() + ":3: proxy_listen: cannot listen on 127.0.0.1:" + busy.getLocalPort()
                            + ": Address already in use");
        }
    }

    @Test
    void aQueryCmdThatPrintsNoJsonNamesItsLine() throws Exception {
        Path conf = confWithStartCmd("/bin/true");
        Files.writeString(conf, Files.readString(conf).replaceAll("pluginserver_hello_query_cmd = .*", "pluginserver_hello_query_cmd = echo usage: server"));

        assertThatThrownBy(() -> GatewayMain.start(conf, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(conf.toAbsolutePath() + ":7: pluginserver_hello_query_cmd: failed loading external plugins: hello's query"
                        + " command did not print JSON");
    }

    @Test
    void aPluginServerThatCannotRunInProcessNamesTheStartCmdsLineAndWhy() throws Exception {
        // the launcher's plugins directory (KJP_HOME/plugins) does not exist under this made-up home
        Path conf = confWithStartCmd(dir.resolve("home/bin/kong-java-pluginserver") + " --socket " + dir.resolve("hello.sock"));

        assertThatThrownBy(() -> GatewayMain.start(conf, Map.of(), true))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(conf.toAbsolutePath() + ":8: pluginserver_hello_start_cmd: cannot run plugin server hello in process: "
                        + "plugins directory " + dir.resolve("home/plugins") + " does not exist");
    }

    @Test
    void aPluginDumpedAfterTheFirstIsNotInstalledAndTheErrorSaysWhyAndWhere() throws Exception {
        Path conf = confWithStartCmd("/bin/true");
        Files.writeString(dir.resolve("dump.json"), """
                [{"Name": "hello", "Phases": ["access"], "Priority": 1, "Version": "1.0",
                  "Schema": {"name": "hello", "fields": [{"config": {"type": "record", "fields": []}}]}},
                 {"Name": "goodbye", "Phases": ["log"], "Priority": 1, "Version": "1.0",
                  "Schema": {"name": "goodbye", "fields": [{"config": {"type": "record", "fields": []}}]}}]
                """);
        Files.writeString(conf, Files.readString(conf).replace("plugins = bundled,hello", "plugins = bundled,hello,goodbye"));

        assertThatThrownBy(() -> GatewayMain.start(conf, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessage(conf.toAbsolutePath() + ":4: plugins: goodbye plugin is enabled but not installed; no plugin found ("
                        + conf.toAbsolutePath() + ":7: pluginserver_hello_query_cmd dumped it after hello, and Kong 3.9+ reads only the"
                        + " first plugin of a dump: give goodbye its own pluginserver entry whose query_cmd is"
                        + " 'kong-java-pluginserver --dump-plugin-info goodbye')");
    }

    @Test
    void aPluginNoServerDumpedNamesThePluginsLineAndWhatWasDumped() throws Exception {
        Path conf = confWithStartCmd("/bin/true");
        Files.writeString(conf, Files.readString(conf).replace("plugins = bundled,hello", "plugins = bundled,hello,helo"));

        assertThatThrownBy(() -> GatewayMain.start(conf, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessage(conf.toAbsolutePath() + ":4: plugins: helo plugin is enabled but not installed; no plugin found"
                        + " (the plugin servers dumped hello)");
    }

    @Test
    void aStartCmdThatListensOnAnotherSocketThanTheEntrysFailsAtOnceNamingBoth() throws Exception {
        Path conf = confWithStartCmd(dir.resolve("home/bin/kong-java-pluginserver") + " -kong-prefix " + dir.resolve("prefix"));

        long started = System.nanoTime();
        assertThatThrownBy(() -> GatewayMain.start(conf, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessage(conf.toAbsolutePath() + ":6: pluginserver_hello_socket: plugin server hello is reached on " + dir.resolve("hello.sock")
                        + ", but its start_cmd (" + conf.toAbsolutePath() + ":8: pluginserver_hello_start_cmd) makes kong-java-pluginserver listen on "
                        + dir.resolve("prefix/kong-java-pluginserver.socket") + ": add '--socket " + dir.resolve("hello.sock")
                        + "' to the start_cmd, or make the two name the same path");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void anUnknownLogLevelNamesItsLineAndTheLevels() throws Exception {
        Files.writeString(dir.resolve("kong.yaml"), "_format_version: \"3.0\"\n");
        Path conf = dir.resolve("kong.conf");
        Files.writeString(conf, """
                prefix = %s
                declarative_config = kong.yaml
                proxy_listen = 127.0.0.1:0
                log_level = verbose
                """.formatted(dir.resolve("prefix")));

        assertThatThrownBy(() -> GatewayMain.start(conf, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessage(conf.toAbsolutePath() + ":4: log_level: log_level must be one of [emerg, alert, crit, error, warn, notice, info, debug],"
                        + " not 'verbose'");
    }
}
