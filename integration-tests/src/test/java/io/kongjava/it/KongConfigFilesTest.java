package io.kongjava.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** kong-config/ says the same thing twice, as kong.conf and as KONG_ variables: the two must not drift apart. */
class KongConfigFilesTest {

    static Map<String, String> settings(Path file, boolean environmentForm) throws Exception {
        Map<String, String> settings = new LinkedHashMap<>();
        for (String line : Files.readAllLines(file)) {
            String text = line.strip();
            if (text.isEmpty() || text.startsWith("#")) {
                continue;
            }
            int eq = text.indexOf('=');
            String key = text.substring(0, eq).strip();
            if (environmentForm) {
                assertThat(key).as("%s: %s", file, line).startsWith("KONG_");
                key = key.substring(5).toLowerCase(Locale.ROOT);
            }
            settings.put(key, text.substring(eq + 1).strip());
        }
        return settings;
    }

    @Test
    void theServiceUrlIsAPlaceholderSoAFailOpenCannotReachAProvider() throws Exception {
        JsonNode yaml = new ObjectMapper(new YAMLFactory()).readTree(Distribution.repositoryRoot().resolve("kong-config/kong.yaml").toFile());

        for (JsonNode service : yaml.path("services")) {
            URI url = URI.create(service.path("url").asText());
            assertThat(url.getHost()).as("Kong proxies here when a plugin fails open").endsWith(".invalid");
            boolean proxied = false;
            for (JsonNode plugin : service.path("plugins")) {
                proxied |= plugin.path("name").asText().equals("java-ai-proxy");
            }
            assertThat(proxied).as("java-ai-proxy sends the requests of " + service.path("name")).isTrue();
        }
    }

    @Test
    void kongEnvIsKongConfAsEnvironmentVariables() throws Exception {
        Path dir = Distribution.repositoryRoot().resolve("kong-config");

        Map<String, String> conf = settings(dir.resolve("kong.conf"), false);
        Map<String, String> env = settings(dir.resolve("kong.env"), true);

        // The Admin API stays on the loopback, in a container too, and compose does not publish it.
        assertThat(conf).containsEntry("admin_listen", "127.0.0.1:8001");
        assertThat(env).isEqualTo(conf);
        assertThat(Files.readString(dir.resolve("docker-compose.yml"))).as("the proxy on the host's loopback only, the Admin API not at all")
                .contains("\"127.0.0.1:8000:8000\"").doesNotContain(":8001\"");
        assertThat(conf).containsEntry("plugins", "bundled,java-ai-proxy,java-file-log")
                .containsEntry("nginx_main_env", "ANTHROPIC_API_KEY; env ANTHROPIC_PINNED_MODEL")
                .containsEntry("pluginserver_java_ai_proxy_socket", conf.get("pluginserver_java_file_log_socket"))
                .doesNotContainKey("pluginserver_java_file_log_start_cmd");
    }
}
