package io.kongjava.pdk.entity;

import java.util.Map;
import java.util.Optional;

/**
 * The credential an authentication plugin attached to the request ({@code kong.client.get_credential()}).
 * Its shape depends on the plugin that created it (key-auth has {@code key}, basic-auth
 * {@code username}, ...), so everything Kong sent is in {@link #raw()}.
 */
public record Credential(String id, Optional<String> consumerId, Map<String, Object> raw) {

    public Credential {
        raw = Map.copyOf(raw);
    }

    public static Credential fromKong(Object kongCredential) {
        Fields f = new Fields(kongCredential);
        Optional<String> consumerId = f.foreignId("consumer").or(() -> f.text("consumer_id"));
        return new Credential(f.textOr("id", ""), consumerId, Route.nonNullRaw(f));
    }

    /** A credential with just an id and consumer, e.g. for {@code authenticate}. */
    public static Credential of(String id, String consumerId) {
        return new Credential(id, Optional.ofNullable(consumerId),
                consumerId == null ? Map.of("id", id) : Map.of("id", id, "consumer", Map.of("id", consumerId)));
    }

    /** The map Kong expects: everything Kong sent, with the id. */
    public Map<String, Object> toKong() {
        Map<String, Object> map = new java.util.LinkedHashMap<>(raw);
        map.put("id", id);
        consumerId.ifPresent(c -> map.putIfAbsent("consumer", Map.of("id", c)));
        return map;
    }
}
