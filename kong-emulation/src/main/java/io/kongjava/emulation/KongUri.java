package io.kongjava.emulation;

/**
 * Kong's request-path rules (kong/tools/uri.lua): the path Kong routes on and {@code kong.request.get_path} returns is
 * the client's path normalized (RFC 3986 section 6), and what Kong sends upstream is that path escaped again. Routing
 * on the raw path would let {@code /public/../admin} match {@code /public} and skip the plugins of {@code /admin}.
 *
 * <p>Paths are held one char per byte (ISO-8859-1), as the gateway reads the request line, so a decoded
 * {@code %C3} is the byte 0xC3 again when the path is written out.
 */
public final class KongUri {

    /** RFC 3986's reserved characters and {@code %}: percent-encoded, they keep their meaning and stay encoded. */
    private static final String RESERVED = "!*'();:@&=+$,/?%#[]";
    /** What Kong's escape leaves as it is; any other byte is sent as {@code %XX}. */
    private static final String SAFE_PUNCTUATION = "!#$&'()*+,/:;=?@[]-_.~%";

    private KongUri() {
    }

    /**
     * The path as Kong normalizes it: percent-encoded unreserved and other bytes decoded, reserved ones upper-cased
     * ({@code %2f} becomes {@code %2F}), {@code .} and {@code ..} segments resolved, and with {@code mergeSlashes}
     * runs of {@code /} merged.
     */
    public static String normalize(String path, boolean mergeSlashes) {
        if (path.isEmpty() || path.equals("/")) {
            return path;
        }
        return resolveDotSegments(path.indexOf('%') >= 0 ? decodeUnreserved(path) : path, mergeSlashes);
    }

    /**
     * nginx's {@code $uri}: the path with every percent escape decoded ({@code %2F} too, which then separates segments),
     * {@code .} and {@code ..} resolved and runs of {@code /} merged (merge_slashes on, Kong's default).
     */
    public static String nginxUri(String path) {
        if (path.indexOf('%') < 0) {
            return resolveDotSegments(path, true);
        }
        StringBuilder decoded = new StringBuilder(path.length());
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '%' && i + 2 < path.length() && isHex(path.charAt(i + 1)) && isHex(path.charAt(i + 2))) {
                decoded.append((char) (Character.digit(path.charAt(i + 1), 16) * 16 + Character.digit(path.charAt(i + 2), 16)));
                i += 2;
            } else {
                decoded.append(c);
            }
        }
        return resolveDotSegments(decoded.toString(), true);
    }

    private static String resolveDotSegments(String uri, boolean mergeSlashes) {
        if (uri.indexOf('.') < 0 && (!mergeSlashes || !uri.contains("//"))) {
            return uri;
        }
        java.util.ArrayList<String> output = new java.util.ArrayList<>();
        while (!uri.isEmpty()) {
            if (uri.equals("/.")) {
                uri = "/";
            } else if (uri.equals("/..")) {
                uri = "/";
                removeLast(output);
            } else if (uri.equals(".") || uri.equals("..")) {
                uri = "";
            } else if (uri.startsWith("../")) {
                uri = uri.substring(3);
            } else if (uri.startsWith("./")) {
                uri = uri.substring(2);
            } else if (uri.startsWith("/./")) {
                uri = uri.substring(2);
            } else if (uri.startsWith("/../")) {
                uri = uri.substring(3);
                removeLast(output);
            } else if (mergeSlashes && uri.startsWith("//")) {
                uri = uri.substring(1);
            } else {
                int next = uri.indexOf('/', 1);
                if (next >= 0) {
                    output.add(uri.substring(0, next));
                    uri = uri.substring(next);
                } else {
                    output.add(uri);
                    uri = "";
                }
            }
        }
        return String.join("", output);
    }

    private static void removeLast(java.util.List<String> output) {
        if (!output.isEmpty()) {
            output.removeLast();
        }
    }

    private static String decodeUnreserved(String path) {
        StringBuilder out = new StringBuilder(path.length());
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '%' && i + 2 < path.length() && isHex(path.charAt(i + 1)) && isHex(path.charAt(i + 2))) {
                int value = Character.digit(path.charAt(i + 1), 16) * 16 + Character.digit(path.charAt(i + 2), 16);
                if (RESERVED.indexOf(value) >= 0) {
                    out.append('%').append(Character.toUpperCase(path.charAt(i + 1))).append(Character.toUpperCase(path.charAt(i + 2)));
                } else {
                    out.append((char) value);
                }
                i += 2;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean isHex(char c) {
        return c < 128 && Character.digit(c, 16) >= 0;
    }

    /** The path made safe to send in a request line, as Kong escapes the upstream URI: any other byte as {@code %XX}. */
    public static String escape(String path) {
        int first = 0;
        while (first < path.length() && isSafe(path.charAt(first))) {
            first++;
        }
        if (first == path.length()) {
            return path;
        }
        StringBuilder out = new StringBuilder(path.length() + 16).append(path, 0, first);
        for (int i = first; i < path.length(); i++) {
            char c = path.charAt(i);
            if (isSafe(c)) {
                out.append(c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit((c >> 4) & 0xF, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
            }
        }
        return out.toString();
    }

    private static boolean isSafe(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || SAFE_PUNCTUATION.indexOf(c) >= 0;
    }
}
