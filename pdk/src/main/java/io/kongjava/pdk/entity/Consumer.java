package io.kongjava.pdk.entity;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A Kong consumer ({@code kong.client.get_consumer()}, {@code load_consumer}); all fields Kong sent are
 * in {@link #raw()}. Pass it back to {@code kong.client.authenticate} with {@link #toKong()}.
 */
public record Consumer(
        String id,
        Optional<String> username,
        Optional<String> customId,
        long createdAt,
        List<String> tags,
        Map<String, Object> raw) {

    public Consumer {
        tags = List.copyOf(tags);
        raw = Map.copyOf(raw);
    }

    public static Consumer fromKong(Object kongConsumer) {
        Fields f = new Fields(kongConsumer);
        return new Consumer(
                f.textOr("id", ""),
                f.text("username"),
                f.text("custom_id"),
                f.integerOr("created_at", 0),
                f.texts("tags"),
                Route.nonNullRaw(f));
    }

    /** A consumer with just an id (and optional username), e.g. for {@code authenticate}. */
    public static Consumer ofId(String id) {
        return new Consumer(id, Optional.empty(), Optional.empty(), 0, List.of(), Map.of("id", id));
    }

    /** The map Kong expects: everything Kong sent, with the modelled fields as they are now. */
    public Map<String, Object> toKong() {
        Map<String, Object> map = new java.util.LinkedHashMap<>(raw);
        map.put("id", id);
        username.ifPresent(u -> map.put("username", u));
        customId.ifPresent(c -> map.put("custom_id", c));
        if (createdAt != 0) {
            map.put("created_at", createdAt);
        }
        if (!tags.isEmpty()) {
            map.put("tags", tags);
        }
        return map;
    }
}
