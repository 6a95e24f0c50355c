package io.kongjava.it;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The gateway scenarios with Kong's own JS plugin server (kong-pdk from npm), configured the way Kong's
 * docs configure it, with absolute paths because Kong starts it with no PATH.
 */
class JsLocalGatewayTest extends LocalGatewayScenarios {

    static final Path JS = Path.of("../testing/js-pluginserver").toAbsolutePath().normalize();

    @Override
    protected String pluginServerConf(Path prefix) {
        Path server = JS.resolve("node_modules/kong-pdk/bin/kong-js-pluginserver");
        boolean installed = Files.exists(server);
        if (!installed && "true".equals(System.getenv("CI"))) {
            throw new IllegalStateException("CI must install Kong's JS plugin server: (cd testing/js-pluginserver && npm ci)");
        }
        assumeTrue(installed, "Kong's JS plugin server is not installed; run (cd testing/js-pluginserver && npm ci)");
        String node = Files.isExecutable(Path.of("/usr/bin/node")) ? "/usr/bin/node" : "/usr/local/bin/node";
        return """
                pluginserver_names = js-hello
                pluginserver_js_hello_socket = %1$s/js_pluginserver.sock
                pluginserver_js_hello_start_cmd = %2$s %3$s -v --plugins-directory %4$s -p %1$s
                pluginserver_js_hello_query_cmd = %2$s %3$s --plugins-directory %4$s --dump-all-plugins
                """.formatted(prefix, node, server, JS.resolve("hello"));
    }

    @Override
    protected String pluginName() {
        return "js-hello";
    }

    @Override
    protected String language() {
        return "Javascript";
    }
}
