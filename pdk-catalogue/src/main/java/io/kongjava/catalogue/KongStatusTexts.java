package io.kongjava.catalogue;

import java.util.Map;

/**
 * The texts Kong writes in an error body ({@code {"message": ...}}) when none is given: the table of
 * kong/pdk/response.lua, which {@code kong.response.error} uses and Kong's own error pages
 * (kong/error_handlers.lua) agree with.
 */
public final class KongStatusTexts {

    private static final Map<Integer, String> TEXTS = Map.ofEntries(
            Map.entry(400, "Bad request"),
            Map.entry(401, "Unauthorized"),
            Map.entry(402, "Payment required"),
            Map.entry(403, "Forbidden"),
            Map.entry(404, "Not found"),
            Map.entry(405, "Method not allowed"),
            Map.entry(406, "Not acceptable"),
            Map.entry(407, "Proxy authentication required"),
            Map.entry(408, "Request timeout"),
            Map.entry(409, "Conflict"),
            Map.entry(410, "Gone"),
            Map.entry(411, "Length required"),
            Map.entry(412, "Precondition failed"),
            Map.entry(413, "Payload too large"),
            Map.entry(414, "URI too long"),
            Map.entry(415, "Unsupported media type"),
            Map.entry(416, "Range not satisfiable"),
            Map.entry(417, "Expectation failed"),
            Map.entry(418, "I'm a teapot"),
            Map.entry(421, "Misdirected request"),
            Map.entry(422, "Unprocessable entity"),
            Map.entry(423, "Locked"),
            Map.entry(424, "Failed dependency"),
            Map.entry(425, "Too early"),
            Map.entry(426, "Upgrade required"),
            Map.entry(428, "Precondition required"),
            Map.entry(429, "Too many requests"),
            Map.entry(431, "Request header fields too large"),
            Map.entry(451, "Unavailable for legal reasons"),
            Map.entry(494, "Request header or cookie too large"),
            Map.entry(500, "An unexpected error occurred"),
            Map.entry(501, "Not implemented"),
            Map.entry(502, "An invalid response was received from the upstream server"),
            Map.entry(503, "The upstream server is currently unavailable"),
            Map.entry(504, "The upstream server is timing out"),
            Map.entry(505, "HTTP version not supported"),
            Map.entry(506, "Variant also negotiates"),
            Map.entry(507, "Insufficient storage"),
            Map.entry(508, "Loop detected"),
            Map.entry(510, "Not extended"),
            Map.entry(511, "Network authentication required"));

    private KongStatusTexts() {
    }

    /** Kong's text for {@code status}; for a status Kong has none for, the sentence Kong makes up. */
    public static String defaultMessage(int status) {
        String text = TEXTS.get(status);
        return text != null ? text : "The upstream server responded with " + status;
    }
}
