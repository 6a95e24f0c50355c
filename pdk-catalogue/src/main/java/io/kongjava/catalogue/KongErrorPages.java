package io.kongjava.catalogue;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The error pages Kong answers with ({@code kong.response.error} and Kong's own errors: kong/tools/http.lua): the
 * format the request's {@code Accept} asks for (JSON by default, HTML, XML or plain text), each with the message and
 * the request id.
 */
public final class KongErrorPages {

    public static final String JSON = "application/json; charset=utf-8";
    public static final String HTML = "text/html; charset=utf-8";
    public static final String XML = "application/xml; charset=utf-8";
    public static final String PLAIN = "text/plain; charset=utf-8";

    private static final Map<String, String> MIME_TYPES = Map.of(
            "text/html", HTML, "application/json", JSON, "text/plain", PLAIN, "application/xml", XML,
            "application", JSON, "text", PLAIN);
    /** One value of an Accept header: a media range, then its q or other parameters (Kong's ACCEPT_PATTERN). */
    private static final Pattern ACCEPT = Pattern.compile(
            "((?:[a-z0-9][a-z0-9-!#$&^_+.]+|\\*)/(?:[a-z0-9][a-z0-9-!#$&^_+.]+|\\*))"
                    + "(?:\\s*;\\s*q=(1(?:\\.0{0,3})?|0(?:\\.\\d{0,3})?)|\\s*;\\s*[a-z0-9][a-z0-9-!#$&^_+.]+(?:=[^;]*)?)*",
            Pattern.CASE_INSENSITIVE);

    private KongErrorPages() {
    }

    /** The content type of the error page for a request with this {@code Accept} (null: none): the highest q wins. */
    public static String contentType(String accept) {
        String type = JSON;
        if (accept == null) {
            return type;
        }
        double best = 0;
        for (String value : accept.split(",")) {
            Matcher m = ACCEPT.matcher(value.strip());
            if (m.lookingAt()) {
                double q = m.group(2) == null ? 1 : Double.parseDouble(m.group(2));
                if (q > best) {
                    best = q;
                    type = mimeType(m.group(1));
                }
            }
        }
        return type;
    }

    private static String mimeType(String mediaRange) {
        int slash = mediaRange.indexOf('/');
        String main = mediaRange.substring(0, slash);
        String sub = mediaRange.substring(slash + 1);
        String type = sub.equals("*") ? (main.equals("*") ? JSON : MIME_TYPES.get(main)) : MIME_TYPES.get(mediaRange);
        return type == null ? JSON : type;
    }

    /**
     * Whether Kong has a page for {@code contentType} as a plugin gives it to kong.response.error (kong/tools/http.lua's
     * get_error_template compares exactly: a bare type or this class's one with {@code ; charset=utf-8}, or gRPC). For any
     * other, Kong's formatting of a missing template raises and the request ends with Kong's 500.
     */
    public static boolean hasTemplate(String contentType) {
        return switch (contentType) {
            case "application/json", JSON, "text/html", HTML, "application/xml", XML, "text/plain", PLAIN, "application/grpc" -> true;
            default -> false;
        };
    }

    /**
     * The page for {@code contentType} (one of this class's, or a bare {@code text/html} and the like); JSON for any
     * other. Kong puts the message in unescaped; here it is escaped for the page's format.
     */
    public static byte[] body(String contentType, String message, String requestId) {
        String type = contentType == null ? JSON : contentType.toLowerCase(Locale.ROOT);
        String id = requestId == null ? "" : requestId;
        String page;
        if (type.startsWith("text/html")) {
            page = "<!doctype html>\n<html>\n  <head>\n    <meta charset=\"utf-8\">\n    <title>Error</title>\n  </head>\n  <body>\n"
                    + "    <h1>Error</h1>\n    <p>" + markup(message) + ".</p>\n    <p>request_id: " + markup(id) + "</p>\n  </body>\n</html>\n";
        } else if (type.startsWith("application/xml")) {
            page = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<error>\n  <message>" + markup(message) + "</message>\n  <requestid>"
                    + markup(id) + "</requestid>\n</error>\n";
        } else if (type.startsWith("text/plain")) {
            page = message + "\nrequest_id: " + id + "\n";
        } else {
            page = "{\n  \"message\":\"" + json(message) + "\",\n  \"request_id\":\"" + json(id) + "\"\n}";
        }
        return page.getBytes(StandardCharsets.UTF_8);
    }

    private static String markup(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static String json(String text) {
        StringBuilder out = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }
}
