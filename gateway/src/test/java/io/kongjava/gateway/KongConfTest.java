package io.kongjava.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kong.conf as {@code kong start} reads it, with {@code KONG_<KEY>} environment overrides. */
class KongConfTest {

    @TempDir
    Path dir;

    private Path write(String text) throws IOException {
        Path file = dir.resolve("kong.conf");
        Files.writeString(file, text);
        return file;
    }

    private KongConf load(String text) throws Exception {
        return KongConf.load(write(text), Map.of());
    }

    @Test
    void readsKeyEqualsValueLinesSkippingBlankLinesAndComments() throws Exception {
        KongConf conf = load("""
                # Kong settings for the local gateway
                database = off

                   proxy_listen   =   127.0.0.1:8100
                prefix = /tmp/kong-prefix
                declarative_config = /etc/kong/kong.yaml
                plugins = bundled, java-ai-proxy ,java-file-log
                """);

        assertThat(conf.get("database", null)).isEqualTo("off");
        assertThat(conf.get("proxy_listen", null)).isEqualTo("127.0.0.1:8100");
        assertThat(conf.prefix()).isEqualTo(Path.of("/tmp/kong-prefix"));
        assertThat(conf.get("declarative_config", null)).isEqualTo("/etc/kong/kong.yaml");
        assertThat(conf.list("plugins")).containsExactly("bundled", "java-ai-proxy", "java-file-log");
        assertThat(conf.get("log_level", "notice")).as("an absent key gives the default").isEqualTo("notice");
        assertThat(conf.list("pluginserver_names")).isEmpty();
    }

    @Test
    void inlineCommentsAreStrippedButAnEscapedHashIsKept() throws Exception {
        KongConf conf = load("""
                prefix = /tmp/kong   # where Kong keeps its sockets
                pg_password = ab\\#cd # \\# is a literal hash
                log_level = info#no space needed before the hash
                """);

        assertThat(conf.get("prefix", null)).isEqualTo("/tmp/kong");
        assertThat(conf.get("pg_password", null)).isEqualTo("ab#cd");
        assertThat(conf.get("log_level", null)).isEqualTo("info");
    }

    @Test
    void anEmptyValueMeansTheDefault() throws Exception {
        KongConf conf = load("prefix =\n");

        assertThat(conf.prefix()).isEqualTo(Path.of("/usr/local/kong"));
    }

    @Test
    void kongEnvironmentVariablesWinOverTheFile() throws Exception {
        Path file = write("""
                proxy_listen = 0.0.0.0:8000
                prefix = /from/file
                plugins = bundled
                """);

        KongConf conf = KongConf.load(file, Map.of(
                "KONG_PROXY_LISTEN", "127.0.0.1:9000",
                "KONG_PLUGINS", "bundled,java-file-log",
                "kong_prefix", "/from/env",
                "KONG_PLUGINSERVER_JAVA_FILE_LOG_QUERY_CMD", "/opt/bin/server --dump-plugin-info java-file-log",
                "PREFIX", "/not/a/kong/variable",
                "KONG_", "ignored: no key"));

        assertThat(conf.proxyListen()).isEqualTo(new InetSocketAddress("127.0.0.1", 9000));
        assertThat(conf.list("plugins")).containsExactly("bundled", "java-file-log");
        assertThat(conf.prefix()).as("matched case-insensitively").isEqualTo(Path.of("/from/env"));
        assertThat(conf.get("pluginserver_java_file_log_query_cmd", null))
                .as("pluginserver_* keys may come from the environment alone")
                .isEqualTo("/opt/bin/server --dump-plugin-info java-file-log");
    }

    @Test
    void proxyListenIsTheFirstAddressWithoutItsFlags() throws Exception {
        assertThat(load("proxy_listen = 127.0.0.1:8100 reuseport backlog=16384, 0.0.0.0:8443 http2 ssl\n").proxyListen())
                .isEqualTo(new InetSocketAddress("127.0.0.1", 8100));
        assertThat(load("# nothing set\n").proxyListen())
                .as("Kong's default").isEqualTo(new InetSocketAddress("0.0.0.0", 8000));
    }

    @Test
    void everyProxyListenAddressIsReadWithTheFlagsKongKnowsAndAnUnknownFlagIsRefused() throws Exception {
        assertThat(load("proxy_listen = 127.0.0.1:8100 reuseport backlog=16384, [::1]:8101 deferred, 0.0.0.0:8443 http2 ssl\n")
                .proxyListeners()).containsExactly(
                new KongConf.Listener(new InetSocketAddress("127.0.0.1", 8100), "127.0.0.1:8100 reuseport backlog=16384", false, false, false),
                new KongConf.Listener(new InetSocketAddress("::1", 8101), "[::1]:8101 deferred", false, false, false),
                new KongConf.Listener(new InetSocketAddress("0.0.0.0", 8443), "0.0.0.0:8443 http2 ssl", true, true, false));
        assertThat(load("# nothing set\n").proxyListeners()).as("Kong's default: a plain and a TLS address").hasSize(2)
                .extracting(KongConf.Listener::ssl).containsExactly(false, true);
        assertThat(load("proxy_listen = off\n").proxyListeners()).isEmpty();
        assertThatThrownBy(() -> load("proxy_listen = 127.0.0.1:8100 bogusflag\n").proxyListeners())
                .isInstanceOf(ConfigException.class).hasMessageContaining("kong.conf:1: proxy_listen: 'bogusflag'")
                .hasMessageContaining("must be of form");
    }

    @Test
    void aPluginServerGetsKongsDefaultSocketUnderThePrefix() throws Exception {
        assumeThat(Path.of("/usr/local/bin/java-file-log")).as("no installed server to default to").doesNotExist();

        KongConf conf = load("""
                prefix = /tmp/kong-prefix
                pluginserver_names = java-file-log
                pluginserver_java_file_log_query_cmd = /opt/bin/server --dump-plugin-info java-file-log
                """);

        assertThat(conf.pluginServers()).containsExactly(new KongConf.PluginServerEntry("java-file-log",
                Path.of("/tmp/kong-prefix/java-file-log.socket"), null, "/opt/bin/server --dump-plugin-info java-file-log"));
    }

    @Test
    void pluginServerKeysUseTheLowerCasedNameWithDashesAsUnderscores() throws Exception {
        assumeThat(Path.of("/usr/local/bin/java-file-log")).as("no installed server to default to").doesNotExist();

        KongConf conf = load("""
                pluginserver_names = Java-AI-Proxy, java-file-log
                pluginserver_java_ai_proxy_socket = /run/kong/java.socket
                pluginserver_java_ai_proxy_start_cmd = /opt/bin/server -kong-prefix /run/kong
                pluginserver_java_ai_proxy_query_cmd = /opt/bin/server --dump-plugin-info java-ai-proxy
                pluginserver_java_file_log_socket = /run/kong/java.socket
                pluginserver_java_file_log_query_cmd = /opt/bin/server --dump-plugin-info java-file-log
                """);

        assertThat(conf.pluginServers()).containsExactly(
                new KongConf.PluginServerEntry("java-ai-proxy", Path.of("/run/kong/java.socket"),
                        "/opt/bin/server -kong-prefix /run/kong", "/opt/bin/server --dump-plugin-info java-ai-proxy"),
                new KongConf.PluginServerEntry("java-file-log", Path.of("/run/kong/java.socket"),
                        null, "/opt/bin/server --dump-plugin-info java-file-log"));
    }

    @Test
    void relativePathsAreResolvedAgainstTheDirectoryOfKongConf() throws Exception {
        Files.createDirectories(dir.resolve("etc"));
        Path file = dir.resolve("etc/kong.conf");
        Files.writeString(file, "declarative_config = kong.yaml\n");
        KongConf conf = KongConf.load(file, Map.of());

        assertThat(conf.resolve(conf.get("declarative_config", null))).isEqualTo(dir.resolve("etc/kong.yaml"));
        assertThat(conf.resolve("../shared/kong.yaml")).isEqualTo(dir.resolve("shared/kong.yaml"));
        assertThat(conf.resolve("/etc/kong/kong.yaml")).isEqualTo(Path.of("/etc/kong/kong.yaml"));
    }

    @Test
    void sizesUseKongsUnits() throws Exception {
        KongConf conf = load("""
                nginx_http_client_max_body_size = 16m
                nginx_http_client_body_buffer_size = 8k
                big = 1G
                plain = 512
                """);

        assertThat(conf.size("nginx_http_client_max_body_size", 0)).isEqualTo(16L * 1024 * 1024);
        assertThat(conf.size("nginx_http_client_body_buffer_size", 0)).isEqualTo(8L * 1024);
        assertThat(conf.size("big", 0)).isEqualTo(1024L * 1024 * 1024);
        assertThat(conf.size("plain", 0)).isEqualTo(512);
        assertThat(conf.size("absent", 1234)).isEqualTo(1234);
    }

    // Malformed files: the error names the file, the line and the key.

    @Test
    void aLineWithoutEqualsSignNamesTheFileAndLine() throws Exception {
        Path file = write("""
                database = off
                # a comment
                proxy_listen 0.0.0.0:8000
                """);

        assertThatThrownBy(() -> KongConf.load(file, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(file + ":3:")
                .hasMessageContaining("proxy_listen 0.0.0.0:8000");
    }

    @Test
    void anInvalidKeyNamesTheFileLineAndKey() throws Exception {
        Path file = write("""
                database = off
                proxy listen = 0.0.0.0:8000
                """);

        assertThatThrownBy(() -> KongConf.load(file, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(file + ":2:")
                .hasMessageContaining("'proxy listen'");
    }

    @Test
    void aBadProxyListenNamesTheFileLineAndKey() throws Exception {
        for (String value : new String[] {"0.0.0.0:http", "0.0.0.0:70000", "localhost"}) {
            Path file = write("database = off\nproxy_listen = " + value + "\n");
            KongConf conf = KongConf.load(file, Map.of());

            assertThatThrownBy(conf::proxyListen).as(value)
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining(file + ":2: proxy_listen")
                    .hasMessageContaining(value);
        }
    }

    @Test
    void aBadValueFromTheEnvironmentNamesTheVariable() throws Exception {
        Path file = write("proxy_listen = 0.0.0.0:8000\n");
        KongConf conf = KongConf.load(file, Map.of("KONG_PROXY_LISTEN", "0.0.0.0:eighty"));

        assertThatThrownBy(conf::proxyListen)
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("KONG_PROXY_LISTEN")
                .hasMessageContaining("proxy_listen")
                .hasMessageContaining("0.0.0.0:eighty");
    }

    @Test
    void aBadSizeNamesTheFileLineAndKey() throws Exception {
        Path file = write("""
                database = off
                nginx_http_client_max_body_size = 16mb
                """);
        KongConf conf = KongConf.load(file, Map.of());

        assertThatThrownBy(() -> conf.size("nginx_http_client_max_body_size", 0))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(file + ":2: nginx_http_client_max_body_size")
                .hasMessageContaining("16mb");
    }

    @Test
    void upstreamKeepAliveSettingsAreWholeNumbersOfAtLeastZero() throws Exception {
        assertThat(load("upstream_keepalive_pool_size = 0\n").nonNegative("upstream_keepalive_pool_size", 512)).isZero();
        assertThat(load("# nothing set\n").nonNegative("upstream_keepalive_max_requests", 10_000)).isEqualTo(10_000);

        Path file = write("""
                database = off
                upstream_keepalive_idle_timeout = -1
                """);
        KongConf conf = KongConf.load(file, Map.of());
        assertThatThrownBy(() -> conf.nonNegative("upstream_keepalive_idle_timeout", 60))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(file + ":2: upstream_keepalive_idle_timeout")
                .hasMessageContaining("'-1' is not a whole number of at least 0");
    }

    @Test
    void onOffSettingsTakeNginxsWordsAndNameTheLineOfAnythingElse() throws Exception {
        assertThat(load("real_ip_recursive = on\n").onOff("real_ip_recursive", false)).isTrue();
        assertThat(load("real_ip_recursive = OFF\n").onOff("real_ip_recursive", true)).isFalse();
        assertThat(load("real_ip_recursive = ON\n").onOff("real_ip_recursive", true)).as("Kong's ngx_boolean compares exactly").isFalse();
        // the nginx directive the Kong property aliases: nginx's own flag syntax, any letter case, nothing else
        assertThat(load("nginx_proxy_real_ip_recursive = ON\n").nginxFlag("nginx_proxy_real_ip_recursive")).isTrue();
        assertThat(load("# nothing set\n").nginxFlag("nginx_proxy_real_ip_recursive")).isNull();
        assertThatThrownBy(() -> load("nginx_proxy_real_ip_recursive = yes\n").nginxFlag("nginx_proxy_real_ip_recursive"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("nginx would not start");
        assertThat(load("# nothing set\n").onOff("real_ip_recursive", false)).as("Kong's default").isFalse();

        Path file = write("""
                database = off
                real_ip_recursive = yes
                """);
        KongConf conf = KongConf.load(file, Map.of());
        // Kong's ngx_boolean: anything but "on" is off (a warning here, none in Kong)
        assertThat(conf.onOff("real_ip_recursive", true)).isFalse();
    }

    @Test
    void aPluginServerWithoutQueryCommandIsFatalAsInKong39() throws Exception {
        assumeThat(Path.of("/usr/local/bin/java-x")).as("no installed server to default to").doesNotExist();
        Path file = write("""
                prefix = /tmp/kong-prefix
                pluginserver_names = java-x
                pluginserver_java_x_start_cmd = /opt/bin/server
                """);
        KongConf conf = KongConf.load(file, Map.of());

        assertThatThrownBy(conf::pluginServers)
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("query_command undefined for pluginserver java-x")
                .hasMessageContaining(file + ":2: pluginserver_names")
                .hasMessageContaining("pluginserver_java_x_query_cmd");
    }

    @Test
    void aMissingFileIsNamed() {
        Path missing = dir.resolve("nowhere/kong.conf");

        assertThatThrownBy(() -> KongConf.load(missing, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(missing + ": cannot read");
    }

    @Test
    void aMisspeltKeyIsReportedWithItsLineAndTheClosestKeyKongKnows() throws Exception {
        // Kong ignores a key it does not know: this proxy_listen typo would leave Kong on its default port.
        KongConf conf = load("""
                database = off
                proxy_listne = 127.0.0.1:9000
                nginx_htpp_client_max_body_size = 16m
                pluginserver_names = java-ai-proxy
                declarative_confg = kong.yaml
                completely_unrelated_setting = 1
                """);

        Path file = dir.resolve("kong.conf");
        assertThat(conf.warnings()).containsExactly(
                file + ":2: unknown property 'proxy_listne', did you mean 'proxy_listen'? (Kong ignores it)",
                file + ":3: unknown property 'nginx_htpp_client_max_body_size', did you mean 'nginx_http_client_max_body_size'? (Kong ignores it)",
                file + ":5: unknown property 'declarative_confg', did you mean 'declarative_config'? (Kong ignores it)",
                file + ":6: unknown property 'completely_unrelated_setting' (Kong ignores it)");
        assertThat(conf.get("proxy_listne", null)).as("still read, as Kong reads it: into nothing").isEqualTo("127.0.0.1:9000");
    }

    @Test
    void nginxDirectivesPluginServerEntriesAndTheProjectsOwnKongConfGiveNoWarning() throws Exception {
        KongConf conf = load("""
                nginx_http_large_client_header_buffers = 4 16k
                nginx_proxy_proxy_buffering = off
                nginx_main_env = ANTHROPIC_API_KEY
                pluginserver_java_ai_proxy_start_cmd = /opt/kong-java-pdk/bin/kong-java-pluginserver
                upstream_keepalive_pool_size = 60
                """);
        assertThat(conf.warnings()).isEmpty();

        Path shipped = Path.of("..", "kong-config", "kong.conf");
        assumeThat(Files.exists(shipped)).as("kong-config/kong.conf next to this module").isTrue();
        assertThat(KongConf.load(shipped, Map.of()).warnings()).isEmpty();
    }

    @Test
    void kongEnvironmentVariablesAreNotCheckedBecauseOtherToolsShareThePrefix() throws Exception {
        // KONG_JAVA_OPTS is the launcher's, not Kong's: only the file's keys are checked.
        KongConf conf = KongConf.load(write("database = off\n"), Map.of("KONG_JAVA_OPTS", "-Xmx256m"));
        assertThat(conf.warnings()).isEmpty();
    }

    @Test
    void headersSaysWhichOfKongsHeadersAreAddedAsKongReadsIt() throws Exception {
        assertThat(load("prefix = /tmp/x\n").kongHeaders()).containsExactlyInAnyOrderElementsOf(io.kongjava.emulation.KongRequest.DEFAULT_KONG_HEADERS);
        assertThat(load("headers = off\nheaders_upstream = off\n").kongHeaders()).isEmpty();
        assertThat(load("headers = X-Kong-Upstream-Status, latency_tokens\n").kongHeaders()).containsExactlyInAnyOrder("x-kong-upstream-status",
                "x-kong-proxy-latency", "x-kong-response-latency", "x-kong-admin-latency", "x-kong-upstream-latency", "upstream:x-kong-request-id");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> load("headers = server_tokens, X-Kong-Magic\n").kongHeaders())
                .isInstanceOf(ConfigException.class).hasMessageContaining("headers: invalid entry 'X-Kong-Magic'");
    }
}
