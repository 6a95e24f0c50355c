package io.kongjava.pdk.entity;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A Kong service (upstream definition) as {@code kong.router.get_service()} returns it; all fields Kong
 * sent are in {@link #raw()}.
 *
 * @param connectTimeout milliseconds (Kong's default 60000)
 */
public record Service(
        String id,
        Optional<String> name,
        long createdAt,
        long updatedAt,
        String protocol,
        String host,
        long port,
        Optional<String> path,
        long retries,
        long connectTimeout,
        long writeTimeout,
        long readTimeout,
        Optional<Boolean> tlsVerify,
        Optional<Long> tlsVerifyDepth,
        Optional<String> clientCertificateId,
        List<String> caCertificates,
        boolean enabled,
        List<String> tags,
        Map<String, Object> raw) {

    public Service {
        caCertificates = List.copyOf(caCertificates);
        tags = List.copyOf(tags);
        raw = Map.copyOf(raw);
    }

    /** Reads Kong's service map leniently (missing fields read as Kong's defaults or empty). */
    public static Service fromKong(Object kongService) {
        Fields f = new Fields(kongService);
        return new Service(
                f.textOr("id", ""),
                f.text("name"),
                f.integerOr("created_at", 0),
                f.integerOr("updated_at", 0),
                f.textOr("protocol", "http"),
                f.textOr("host", ""),
                f.integerOr("port", 80),
                f.text("path"),
                f.integerOr("retries", 5),
                f.integerOr("connect_timeout", 60000),
                f.integerOr("write_timeout", 60000),
                f.integerOr("read_timeout", 60000),
                f.bool("tls_verify"),
                f.integer("tls_verify_depth"),
                f.foreignId("client_certificate"),
                f.texts("ca_certificates"),
                f.boolOr("enabled", true),
                f.texts("tags"),
                Route.nonNullRaw(f));
    }
}
