package io.kongjava.pdk.entity;

import io.kongjava.pdk.internal.Wire;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Lenient field readers for Kong entity maps: a missing, null or mistyped field reads as absent. */
final class Fields {

    private final Map<String, Object> map;

    Fields(Object entity) {
        Map<String, Object> m = Wire.map(entity);
        this.map = m == null ? Map.of() : m;
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> raw() {
        return (Map<String, Object>) Wire.freeze(map);
    }

    Optional<String> text(String name) {
        return Optional.ofNullable(Wire.textLenient(map.get(name)));
    }

    String textOr(String name, String fallback) {
        return text(name).orElse(fallback);
    }

    Optional<Long> integer(String name) {
        return Optional.ofNullable(Wire.integer(map.get(name)));
    }

    long integerOr(String name, long fallback) {
        return integer(name).orElse(fallback);
    }

    Optional<Boolean> bool(String name) {
        return Optional.ofNullable(Wire.bool(map.get(name)));
    }

    boolean boolOr(String name, boolean fallback) {
        return bool(name).orElse(fallback);
    }

    List<String> texts(String name) {
        Object v = map.get(name);
        return v == null ? List.of() : Wire.texts(v);
    }

    Map<String, List<String>> multimap(String name) {
        Map<String, List<String>> m = Wire.multimap(map.get(name));
        return m == null ? Map.of() : m;
    }

    /** The {@code id} of a foreign-key field such as {@code service = {id = "..."}}. */
    Optional<String> foreignId(String name) {
        Map<String, Object> ref = Wire.map(map.get(name));
        if (ref == null) {
            return Optional.empty();
        }
        return Optional.ofNullable(Wire.textLenient(ref.get("id")));
    }

    List<Object> list(String name) {
        List<Object> l = Wire.list(map.get(name));
        return l == null ? List.of() : l;
    }
}
