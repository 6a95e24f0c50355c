package io.kongjava.http;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * A request line's target as a {@link URI}, taking what nginx takes. {@code java.net.URI} refuses characters that
 * nginx passes through ({@code | ^ " { } \ < > `}, raw bytes over 0x7f, a {@code %} that starts no escape in the
 * query), and answering those requests 400 would refuse clients Kong serves. Such characters are percent-encoded,
 * which names the same resource (RFC 3986, 6.2.2); a {@code %} that starts no escape in the path stays a 400, as
 * nginx answers it when it decodes the path for routing.
 */
final class RequestTarget {

    private static final String HEX = "0123456789ABCDEF";

    private RequestTarget() {
    }

    /** The target as a URI, or null when nginx would refuse it too. */
    static URI parse(String target) {
        URI uri = parseLeniently(target);
        if (uri != null && uri.getRawPath() != null && uri.getRawPath().toLowerCase(java.util.Locale.ROOT).contains("%00")) {
            return null; // nginx decodes the path to route it and refuses a NUL ("client sent invalid request")
        }
        if (uri != null && target.startsWith("/") && climbsAboveRoot(target.indexOf('?') < 0 ? target : target.substring(0, target.indexOf('?')))) {
            return null; // nginx's complex-URI parsing refuses a ".." above the root (400) rather than resolving it
        }
        return uri;
    }

    /**
     * Whether the path's {@code ..} segments go above {@code /} as nginx parses it: percent-decoded first ({@code %2E},
     * and {@code %2F} as a slash), runs of slashes merged (merge_slashes on, Kong's default).
     */
    static boolean climbsAboveRoot(String rawPath) {
        if (rawPath.indexOf('.') < 0 && rawPath.indexOf('%') < 0) {
            return false;
        }
        int depth = 0;
        for (String segment : rawPath.replace("%2f", "/").replace("%2F", "/").split("/", -1)) {
            String decoded = segment.replace("%2e", ".").replace("%2E", ".");
            if (decoded.isEmpty() || decoded.equals(".")) {
                continue;
            }
            if (decoded.equals("..")) {
                if (--depth < 0) {
                    return true;
                }
            } else {
                depth++;
            }
        }
        return false;
    }

    private static URI parseLeniently(String target) {
        try {
            return new URI(target);
        } catch (URISyntaxException strict) {
            // below: what nginx takes and URI does not
        }
        int question = target.indexOf('?');
        String path = question < 0 ? target : target.substring(0, question);
        String query = question < 0 ? null : target.substring(question + 1);
        StringBuilder lenient = new StringBuilder(target.length() + 16);
        if (!encode(path, lenient, false)) {
            return null;
        }
        if (query != null) {
            lenient.append('?');
            encode(query, lenient, true);
        }
        try {
            return new URI(lenient.toString());
        } catch (URISyntaxException e) {
            return null;
        }
    }

    private static boolean encode(String part, StringBuilder out, boolean query) {
        for (int i = 0; i < part.length(); i++) {
            char c = part.charAt(i);
            if (c == '%') {
                if (i + 2 < part.length() && isHex(part.charAt(i + 1)) && isHex(part.charAt(i + 2))) {
                    out.append(c);
                } else if (query) {
                    out.append("%25");
                } else {
                    return false;
                }
            } else if (allowed(c) || query && c == '?') {
                out.append(c);
            } else if (c > 0xff) {
                return false; // the head was read as ISO-8859-1: one char per byte
            } else {
                out.append('%').append(HEX.charAt(c >> 4)).append(HEX.charAt(c & 0xf));
            }
        }
        return true;
    }

    private static boolean allowed(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                || "-._~!$&'()*+,;=:@/".indexOf(c) >= 0;
    }

    private static boolean isHex(char c) {
        return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F';
    }
}
