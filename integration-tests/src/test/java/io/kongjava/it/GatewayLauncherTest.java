package io.kongjava.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** bin/kong-java-gateway, the launcher gateway.sh runs, as a user's shell runs it. */
class GatewayLauncherTest {

    private static final Pattern FLAG_LINE = Pattern.compile("^\\s*\\S+\\s+(\\w+)\\s+:?=\\s+(\\S*)\\s+\\{[\\w ]*product\\}.*");

    @Test
    void onJava25TheGatewayStartsFromTheAotCacheTheBuildTrainedForIt() throws Exception {
        Map<String, String> flags = gatewayFlags();
        Path cache = Distribution.HOME.resolve("lib/kong-java-gateway.aot");
        if (!flags.containsKey("AOTCache")) {
            assertThat(cache).as("an AOT cache on a runtime without them").doesNotExist();
            return;
        }
        // The main job's JVM: its classes come linked and its hot paths compile from the training run's profiles.
        assertThat(cache).as("the gateway's AOT cache (libexec/train-aot-cache)").isRegularFile();
        assertThat(flags).containsEntry("AOTCache", cache.toString()).containsEntry("TieredStopAtLevel", "4");
    }

    /** -XX:+PrintFlagsFinal's table of a gateway the launcher starts with {@code --help} (it prints its usage and ends). */
    private static Map<String, String> gatewayFlags() throws Exception {
        ProcessBuilder builder = new ProcessBuilder("/bin/sh", "-c", "exec " + Distribution.bin("kong-java-gateway") + " --help");
        builder.environment().clear();
        builder.environment().put("KONG_JAVA_OPTS", "-XX:+PrintFlagsFinal");
        Process gateway = builder.redirectErrorStream(true).start();
        String out = new String(gateway.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(gateway.waitFor(30, TimeUnit.SECONDS)).isTrue();
        Map<String, String> flags = new HashMap<>();
        for (String line : out.split("\n")) {
            Matcher flag = FLAG_LINE.matcher(line);
            if (flag.matches()) {
                flags.put(flag.group(1), flag.group(2));
            }
        }
        assertThat(flags).as("-XX:+PrintFlagsFinal's table; output:\n%s", out.length() > 2000 ? out.substring(out.length() - 2000) : out)
                .containsKey("TieredStopAtLevel");
        return flags;
    }
}
