package io.kongjava.gateway;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** The settings Kong's kong.conf knows ({@code kong-conf-keys.txt}), and the closest of them to a misspelt one. */
final class KnownKeys {

    private static final List<String> EXACT = new ArrayList<>();
    /** Families such as {@code nginx_http_*}: the part before the '*'. */
    private static final List<String> PREFIXES = new ArrayList<>();

    static {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(
                Objects.requireNonNull(KnownKeys.class.getResourceAsStream("kong-conf-keys.txt")), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                line = line.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                if (line.endsWith("*")) {
                    PREFIXES.add(line.substring(0, line.length() - 1));
                } else {
                    EXACT.add(line);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private KnownKeys() {
    }

    static boolean isKnown(String key) {
        return EXACT.contains(key) || PREFIXES.stream().anyMatch(key::startsWith);
    }

    /** The known key nearest to {@code key} by edit distance (a swap of two letters counts one), or null if none is near. */
    static String closest(String key) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        List<String> candidates = new ArrayList<>(EXACT);
        for (String prefix : PREFIXES) {
            // nginx_htpp_client_max_body_size: a family's name misspelt, its directive kept
            if (key.length() > prefix.length() && distance(key.substring(0, prefix.length()), prefix) <= 2) {
                candidates.add(prefix + key.substring(prefix.length()));
            }
        }
        for (String candidate : candidates) {
            int d = distance(key, candidate);
            if (d < bestDistance) {
                best = candidate;
                bestDistance = d;
            }
        }
        return bestDistance <= Math.max(2, key.length() / 4) ? best : null;
    }

    /** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
