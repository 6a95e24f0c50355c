package io.kongjava.catalogue;

import java.util.Arrays;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The header fields a proxy never passes on, in either direction: the hop-by-hop ones (RFC 9110 7.6.1, with
 * the older {@code Keep-Alive} and {@code Proxy-Connection}) and {@code Content-Length}, which each hop sets
 * for the body it sends itself. The local gateway (in Kong's place), the response relay and the benchmark's
 * proxies read them here, each adding the few fields it sets itself.
 */
public final class HopByHopHeaders {

    /** Lower-case names. */
    public static final Set<String> NAMES = Set.of("connection", "keep-alive", "proxy-connection", "te", "trailer",
            "transfer-encoding", "upgrade", "content-length");

    private HopByHopHeaders() {
    }

    /**
     * The fields a message's {@code Connection} header names as its own hop's (RFC 9110 7.6.1), lower case, which Kong
     * clears in both directions (runloop/handler.lua); {@code close}, {@code keep-alive} and {@code upgrade} are
     * options, not fields. Empty when {@code connectionValues} is null.
     */
    public static Set<String> listedIn(java.util.Collection<String> connectionValues) {
        if (connectionValues == null || connectionValues.isEmpty()) {
            return Set.of();
        }
        java.util.Set<String> listed = new java.util.HashSet<>();
        for (String value : connectionValues) {
            for (String token : value.split(",")) {
                String name = token.strip().toLowerCase(java.util.Locale.ROOT);
                if (!name.isEmpty() && !name.equals("close") && !name.equals("keep-alive") && !name.equals("upgrade")) {
                    listed.add(name);
                }
            }
        }
        return listed;
    }

    /** {@link #NAMES} and {@code more} (lower case): what one proxy does not pass on. */
    public static Set<String> and(String... more) {
        return Set.copyOf(Stream.concat(NAMES.stream(), Arrays.stream(more)).toList());
    }
}
