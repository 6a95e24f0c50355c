package io.kongjava.catalogue;

import java.util.Set;

/** The Lua plugins Kong ships and enables with {@code plugins = bundled} (kong/constants.lua, Kong 3.9). */
public final class KongBundledPlugins {

    public static final Set<String> NAMES = Set.of("jwt", "acl", "correlation-id", "cors", "oauth2", "tcp-log", "udp-log",
            "file-log", "http-log", "key-auth", "hmac-auth", "basic-auth", "ip-restriction", "request-transformer",
            "response-transformer", "request-size-limiting", "rate-limiting", "response-ratelimiting", "syslog", "loggly",
            "datadog", "ldap-auth", "statsd", "bot-detection", "aws-lambda", "request-termination", "prometheus", "proxy-cache",
            "session", "acme", "grpc-gateway", "grpc-web", "pre-function", "post-function", "azure-functions", "zipkin",
            "opentelemetry", "ai-proxy", "ai-prompt-decorator", "ai-prompt-template", "ai-prompt-guard", "ai-request-transformer",
            "ai-response-transformer", "standard-webhooks", "redirect");

    private KongBundledPlugins() {
    }
}
