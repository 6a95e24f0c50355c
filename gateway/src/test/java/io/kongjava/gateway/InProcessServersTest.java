package io.kongjava.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Which start_cmd the gateway can run in its own JVM, and with what arguments. */
class InProcessServersTest {

    @Test
    void theLauncherRunsWithItsPluginsDirectoryThenTheCommandsOptions() {
        assertThat(InProcessServers.launcherArguments("/opt/kong-java-pdk/bin/kong-java-pluginserver -kong-prefix /usr/local/kong"))
                .containsExactly("--plugins-directory", "/opt/kong-java-pdk/plugins", "-kong-prefix", "/usr/local/kong");
        assertThat(InProcessServers.launcherArguments("exec  /opt/kjp/bin/kong-java-pluginserver   -d /srv/plugins"))
                .containsExactly("--plugins-directory", "/opt/kjp/plugins", "-d", "/srv/plugins");
    }

    @Test
    void anyOtherCommandOrOneThatNeedsAShellStaysAProcess() {
        assertThat(InProcessServers.launcherArguments("/usr/local/bin/kong-js-pluginserver --plugins-directory /js")).isNull();
        assertThat(InProcessServers.launcherArguments("env KONG_JAVA_OPTS=-Xmx1g /opt/kjp/bin/kong-java-pluginserver")).isNull();
        assertThat(InProcessServers.launcherArguments("/opt/kjp/bin/kong-java-pluginserver -kong-prefix $KONG_PREFIX")).isNull();
        assertThat(InProcessServers.launcherArguments("/opt/kjp/bin/kong-java-pluginserver -d '/my plugins'")).isNull();
    }
}
