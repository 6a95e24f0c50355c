package io.kongjava.pdk.node;

import io.kongjava.pdk.internal.Wire;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code kong.node.get_memory_stats()}: memory use of Kong's shared dictionaries and of each worker's Lua
 * VM, in bytes. (When Kong formats sizes with a unit, e.g. {@code "1.50 MiB"}, they are converted back to
 * bytes; {@link #raw()} keeps what Kong sent.)
 */
public record MemoryStats(Map<String, SharedDict> luaSharedDicts, List<WorkerVm> workersLuaVms, Map<String, Object> raw) {

    public MemoryStats {
        luaSharedDicts = Map.copyOf(luaSharedDicts);
        workersLuaVms = List.copyOf(workersLuaVms);
        raw = Map.copyOf(raw);
    }

    /** One {@code lua_shared_dict}: bytes allocated in slabs and its capacity. */
    public record SharedDict(long allocatedSlabs, long capacity) {
    }

    /** One worker's Lua VM; {@code error} is Kong's message when the worker could not report. */
    public record WorkerVm(long pid, long httpAllocatedGc, String error) {
    }

    @SuppressWarnings("unchecked")
    public static MemoryStats fromKong(Object kongStats) {
        Map<String, Object> map = Wire.map(kongStats);
        if (map == null) {
            map = Map.of();
        }
        Map<String, SharedDict> dicts = new LinkedHashMap<>();
        Map<String, Object> rawDicts = Wire.map(map.get("lua_shared_dicts"));
        if (rawDicts != null) {
            rawDicts.forEach((name, v) -> {
                Map<String, Object> d = Wire.map(v);
                if (d != null) {
                    dicts.put(name, new SharedDict(bytes(d.get("allocated_slabs")), bytes(d.get("capacity"))));
                }
            });
        }
        List<WorkerVm> vms = new ArrayList<>();
        List<Object> rawVms = Wire.list(map.get("workers_lua_vms"));
        if (rawVms != null) {
            for (Object v : rawVms) {
                Map<String, Object> w = Wire.map(v);
                if (w != null) {
                    Long pid = Wire.integer(w.get("pid"));
                    vms.add(new WorkerVm(pid == null ? 0 : pid, bytes(w.get("http_allocated_gc")), Wire.text(w.get("err"))));
                }
            }
        }
        Map<String, Object> raw = new LinkedHashMap<>((Map<String, Object>) Wire.freeze(map));
        raw.values().removeIf(java.util.Objects::isNull);
        return new MemoryStats(dicts, vms, raw);
    }

    /** A byte count from a number or a text such as {@code "12.50 MiB"}; 0 when unreadable. */
    static long bytes(Object value) {
        Double n = value instanceof Number ? Wire.number(value) : null;
        if (n != null) {
            return Math.round(n);
        }
        String s = Wire.text(value);
        if (s == null) {
            return 0;
        }
        String[] parts = s.trim().split("\\s+");
        try {
            double number = Double.parseDouble(parts[0]);
            double scale = 1;
            if (parts.length > 1) {
                scale = switch (parts[1].toLowerCase(Locale.ROOT)) {
                    case "kib", "k", "kb" -> 1024;
                    case "mib", "m", "mb" -> 1024 * 1024;
                    case "gib", "g", "gb" -> 1024.0 * 1024 * 1024;
                    default -> 1;
                };
            }
            return Math.round(number * scale);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
