package io.kongjava.pdk.request;

import java.util.List;
import java.util.Map;

/**
 * {@code kong.request.get_uri_captures()}: the regex captures of the route path that matched
 * ({@code unnamed} in order, the whole match first; {@code named} by group name).
 */
public record UriCaptures(List<String> unnamed, Map<String, String> named) {

    public UriCaptures {
        unnamed = List.copyOf(unnamed);
        named = Map.copyOf(named);
    }
}
