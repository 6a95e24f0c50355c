package io.kongjava.gateway;

import io.kongjava.emulation.IpRanges;
import java.math.BigInteger;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A route's {@code expression} under kong.conf's {@code router_flavor = expressions}: Kong's ATC language, parsed
 * and type-checked when the kong.yaml is loaded and evaluated per request as Kong's atc-router does.
 *
 * <ul>
 *   <li>A predicate is {@code field op value}; {@code lower(field)} compares the value lower-cased and
 *       {@code any(field)} is true when one of a multi-valued field's values matches, where by default all must
 *       (and a field with no value matches nothing).</li>
 *   <li>Operators: {@code == != ~} (a regex, found anywhere) {@code ^=} (prefix) {@code =^} (suffix)
 *       {@code contains}, {@code > >= < <=} on integers, {@code in} and {@code not in} for an IP in a CIDR.</li>
 *   <li>{@code &&}, {@code ||} and {@code !(...)}; as in atc-router's grammar, {@code ||} binds tighter than
 *       {@code &&}: {@code a && b || c} is {@code a && (b || c)}.</li>
 *   <li>Fields: {@code net.protocol}, {@code tls.sni}, {@code http.method}, {@code http.host} (without port),
 *       {@code http.path}, {@code http.path.segments.N}, {@code http.path.segments.N_M}, {@code http.path.segments.len},
 *       {@code http.headers.NAME} ({@code _} for {@code -}), {@code http.queries.NAME}, {@code net.src.ip},
 *       {@code net.src.port}, {@code net.dst.ip}, {@code net.dst.port} ({@code net.port}, Kong's deprecated name).</li>
 * </ul>
 * When an {@code http.path} predicate matched, its value (the literal, or for {@code ~} the text the regex found) is
 * what {@code strip_path} strips, as Kong strips it.
 */
final class RouteExpression {

    /** What a request offers the expression. */
    record Request(String protocol, String method, String host, String path, Map<String, List<String>> headers,
                   Map<String, List<String>> queries, String sourceIp, int sourcePort, String destinationIp, int destinationPort) {
    }

    /** An expression that cannot be used, with where in its text. */
    static final class Invalid extends Exception {
        Invalid(String message, int position) {
            super(message + (position >= 0 ? " (at character " + (position + 1) + ")" : ""));
        }
    }

    private enum Type { STRING, INT, IP }

    private enum Op { EQUALS, NOT_EQUALS, REGEX, PREFIX, POSTFIX, CONTAINS, GREATER, GREATER_OR_EQUAL, LESS, LESS_OR_EQUAL, IN, NOT_IN }

    private sealed interface Node permits And, Or, Not, Predicate {
    }

    private record And(Node left, Node right) implements Node {
    }

    private record Or(Node left, Node right) implements Node {
    }

    private record Not(Node inner) implements Node {
    }

    /** A predicate; {@code value} is a String, a Long, an InetAddress or an IpRanges.Cidr, and {@code regex} is set for {@code ~}. */
    private record Predicate(String field, boolean lower, boolean any, Op op, Object value, KongRegex regex) implements Node {
    }

    private final Node root;
    private final String text;

    private RouteExpression(Node root, String text) {
        this.root = root;
        this.text = text;
    }

    static RouteExpression parse(String text) throws Invalid {
        Parser parser = new Parser(text);
        Node root = parser.expression();
        parser.skipSpace();
        if (parser.at != text.length()) {
            throw new Invalid("expected && or || or the end", parser.at);
        }
        return new RouteExpression(root, text);
    }

    @Override
    public String toString() {
        return text;
    }

    /**
     * The result of a match: whether it matched, the {@code http.path} value it matched on, if any, and the groups
     * of the last {@code http.path ~} regex that matched.
     */
    record Result(boolean matched, String matchedPath, Router.Captures captures) {
    }

    /** What the predicates that matched left for the route's match, as atc-router's Match collects it. */
    private static final class Found {
        String path;
        Router.Captures captures = Router.Captures.NONE;
    }

    Result evaluate(Request request) {
        Found found = new Found();
        boolean matched = evaluate(root, request, found);
        return matched ? new Result(true, found.path, found.captures) : new Result(false, null, Router.Captures.NONE);
    }

    private static boolean evaluate(Node node, Request request, Found found) {
        return switch (node) {
            case And and -> evaluate(and.left(), request, found) && evaluate(and.right(), request, found);
            case Or or -> evaluate(or.left(), request, found) || evaluate(or.right(), request, found);
            case Not not -> !evaluate(not.inner(), request, found);
            case Predicate predicate -> evaluate(predicate, request, found);
        };
    }

    private static boolean evaluate(Predicate predicate, Request request, Found found) {
        List<?> values = valuesOf(predicate.field(), request);
        if (values.isEmpty()) {
            return false;
        }
        for (Object value : values) {
            Object lhs = predicate.lower() && value instanceof String s ? s.toLowerCase(Locale.ROOT) : value;
            String matchedText = matches(predicate, lhs);
            boolean matched = matchedText != null;
            if (matched && predicate.field().equals("http.path") && !matchedText.isEmpty()) {
                found.path = matchedText;
                if (predicate.regex() != null) {
                    Matcher matcher = predicate.regex().pattern().matcher((String) lhs);
                    if (matcher.find()) {
                        found.captures = Router.Captures.of(matcher, predicate.regex());
                    }
                }
            }
            if (predicate.any() && matched) {
                return true;
            }
            if (!predicate.any() && !matched) {
                return false;
            }
        }
        return !predicate.any();
    }

    /** Null when the value does not match; else what it matched on (the literal, or the regex's find), "" for the others. */
    private static String matches(Predicate predicate, Object lhs) {
        Object rhs = predicate.value();
        return switch (predicate.op()) {
            case EQUALS -> lhs.equals(rhs) ? String.valueOf(rhs) : null;
            case NOT_EQUALS -> lhs.equals(rhs) ? null : "";
            case REGEX -> {
                Matcher matcher = predicate.regex().pattern().matcher((String) lhs);
                yield matcher.find() ? matcher.group() : null;
            }
            case PREFIX -> ((String) lhs).startsWith((String) rhs) ? (String) rhs : null;
            case POSTFIX -> ((String) lhs).endsWith((String) rhs) ? (String) rhs : null;
            case CONTAINS -> ((String) lhs).contains((String) rhs) ? "" : null;
            case GREATER -> (Long) lhs > (Long) rhs ? "" : null;
            case GREATER_OR_EQUAL -> (Long) lhs >= (Long) rhs ? "" : null;
            case LESS -> (Long) lhs < (Long) rhs ? "" : null;
            case LESS_OR_EQUAL -> (Long) lhs <= (Long) rhs ? "" : null;
            case IN -> ((IpRanges.Cidr) rhs).contains((InetAddress) lhs) ? "" : null;
            case NOT_IN -> ((IpRanges.Cidr) rhs).contains((InetAddress) lhs) ? null : "";
        };
    }

    private static List<?> valuesOf(String field, Request request) {
        return switch (field) {
            case "net.protocol" -> List.of(request.protocol());
            case "tls.sni" -> List.of(); // plain http: no TLS, no server name
            case "http.method" -> List.of(request.method());
            case "http.host" -> request.host() == null ? List.of() : List.of(request.host());
            case "http.path" -> List.of(request.path());
            case "net.src.ip" -> address(request.sourceIp());
            case "net.dst.ip" -> address(request.destinationIp());
            case "net.src.port" -> List.of((long) request.sourcePort());
            case "net.dst.port" -> List.of((long) request.destinationPort());
            case "http.path.segments.len" -> List.of((long) segments(request.path()).size());
            default -> {
                if (field.startsWith("http.headers.")) {
                    String name = field.substring("http.headers.".length()).toLowerCase(Locale.ROOT).replace('_', '-');
                    yield request.headers().getOrDefault(name, List.of());
                }
                if (field.startsWith("http.queries.")) {
                    yield request.queries().getOrDefault(field.substring("http.queries.".length()), List.of());
                }
                yield segment(request.path(), field.substring("http.path.segments.".length()));
            }
        };
    }

    private static List<InetAddress> address(String ip) {
        InetAddress address = ip == null ? null : IpRanges.literal(ip);
        return address == null ? List.of() : List.of(address);
    }

    /** The path's segments after its first slash, trailing empty ones left out, as Kong splits them. */
    private static List<String> segments(String path) {
        List<String> segments = new ArrayList<>(List.of(path.substring(1).split("/", -1)));
        while (!segments.isEmpty() && segments.getLast().isEmpty()) {
            segments.removeLast();
        }
        return segments;
    }

    /** {@code N}: the Nth segment (from 0); {@code N_M}: segments N to M joined with slashes; none when out of range. */
    private static List<String> segment(String path, String range) {
        List<String> segments = segments(path);
        int underscore = range.indexOf('_');
        if (underscore < 0) {
            int index = Integer.parseInt(range);
            return index < segments.size() ? List.of(segments.get(index)) : List.of();
        }
        int from = Integer.parseInt(range.substring(0, underscore));
        int to = Integer.parseInt(range.substring(underscore + 1));
        if (from >= to || to >= segments.size()) {
            return List.of();
        }
        return List.of(String.join("/", segments.subList(from, to + 1)));
    }

    private static Type typeOf(String field) throws Invalid {
        switch (field) {
            case "net.protocol", "tls.sni", "http.method", "http.host", "http.path" -> {
                return Type.STRING;
            }
            case "net.src.port", "net.dst.port", "http.path.segments.len" -> {
                return Type.INT;
            }
            case "net.src.ip", "net.dst.ip" -> {
                return Type.IP;
            }
            default -> {
                if ((field.startsWith("http.headers.") || field.startsWith("http.queries.")) && field.length() > "http.headers.".length()) {
                    return Type.STRING;
                }
                if (field.startsWith("http.path.segments.") && field.substring("http.path.segments.".length()).matches("[0-9]+(_[0-9]+)?")) {
                    return Type.STRING;
                }
                throw new Invalid("unknown field '" + field + "'", -1);
            }
        }
    }

    /** Recursive descent over atc-router's grammar. */
    private static final class Parser {
        private static final Pattern IDENT = Pattern.compile("[A-Za-z][A-Za-z0-9_.]*");
        private static final Pattern IPV4 = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}(/[0-9]{1,2})?");
        private static final Pattern IPV6 = Pattern.compile("([0-9A-Fa-f]{1,4}|:):([0-9A-Fa-f]{1,4}|:)*(/[0-9]{1,3})?");
        private static final Pattern INT = Pattern.compile("-?(0x[0-9A-Fa-f]+|0[0-7]+|[0-9]+)");

        private final String text;
        private int at;

        Parser(String text) {
            this.text = text;
        }

        /** Lowest precedence: terms joined by {@code &&}. */
        Node expression() throws Invalid {
            Node node = alternatives();
            while (skipSpace() && text.startsWith("&&", at)) {
                at += 2;
                node = new And(node, alternatives());
            }
            return node;
        }

        /** Terms joined by {@code ||}, which binds tighter than {@code &&} in atc-router. */
        private Node alternatives() throws Invalid {
            Node node = term();
            while (skipSpace() && text.startsWith("||", at)) {
                at += 2;
                node = new Or(node, term());
            }
            return node;
        }

        private Node term() throws Invalid {
            skipSpace();
            if (text.startsWith("!", at) && !text.startsWith("!=", at)) {
                int bang = at++;
                skipSpace();
                if (!text.startsWith("(", at)) {
                    throw new Invalid("'!' must be followed by a parenthesised expression", bang);
                }
                return new Not(parenthesised());
            }
            if (text.startsWith("(", at)) {
                return parenthesised();
            }
            return predicate();
        }

        private Node parenthesised() throws Invalid {
            at++;
            Node inner = expression();
            skipSpace();
            if (!text.startsWith(")", at)) {
                throw new Invalid("expected ')'", at);
            }
            at++;
            return inner;
        }

        private Node predicate() throws Invalid {
            int start = at;
            boolean lower = false;
            boolean any = false;
            String field = ident();
            List<String> functions = new ArrayList<>();
            while (skipSpace() && text.startsWith("(", at)) {
                functions.add(field);
                at++;
                skipSpace();
                field = ident();
            }
            for (int i = functions.size() - 1; i >= 0; i--) {
                skipSpace();
                if (!text.startsWith(")", at)) {
                    throw new Invalid("expected ')'", at);
                }
                at++;
                switch (functions.get(i)) {
                    case "lower" -> lower = true;
                    case "any" -> any = true;
                    default -> throw new Invalid("unknown transformation function: " + functions.get(i), start);
                }
            }
            if (field.equals("net.port")) {
                field = "net.dst.port"; // Kong rewrites its deprecated name the same way
            }
            Type type;
            try {
                type = typeOf(field);
            } catch (Invalid e) {
                throw new Invalid(e.getMessage(), start);
            }
            skipSpace();
            int opAt = at;
            Op op = operator();
            skipSpace();
            int valueAt = at;
            Object value = value();
            KongRegex regex = null;
            String problem = check(type, lower, op, value);
            if (problem != null) {
                throw new Invalid(problem, opAt);
            }
            if (op == Op.REGEX) {
                try {
                    // Rust's regex writes named groups (?P<name>...), Java's (?<name>...)
                    regex = KongRegex.compile((String) value);
                } catch (PatternSyntaxException e) {
                    throw new Invalid("invalid regex: " + e.getDescription(), valueAt);
                }
            }
            return new Predicate(field, lower, any, op, value, regex);
        }

        /** atc-router's semantic checks: both sides of one type, and each operator on the types it takes. */
        private static String check(Type type, boolean lower, Op op, Object value) {
            if (lower && type != Type.STRING) {
                return "lower-case transformation function only supported with String type fields";
            }
            return switch (op) {
                case EQUALS, NOT_EQUALS -> switch (type) {
                    case STRING -> value instanceof String ? null : "type mismatch between the field and the value";
                    case INT -> value instanceof Long ? null : "type mismatch between the field and the value";
                    case IP -> value instanceof InetAddress ? null : "type mismatch between the field and the value";
                };
                case REGEX, PREFIX, POSTFIX, CONTAINS -> type == Type.STRING && value instanceof String ? null
                        : "regex, prefix, postfix and contains operators only take string operands";
                case GREATER, GREATER_OR_EQUAL, LESS, LESS_OR_EQUAL -> type == Type.INT && value instanceof Long ? null
                        : "comparison operators only take integer operands";
                case IN, NOT_IN -> type == Type.IP && value instanceof IpRanges.Cidr ? null : "in and not in only take an IP field and a CIDR";
            };
        }

        private Op operator() throws Invalid {
            for (var candidate : List.of(Map.entry("==", Op.EQUALS), Map.entry("!=", Op.NOT_EQUALS), Map.entry("^=", Op.PREFIX),
                    Map.entry("=^", Op.POSTFIX), Map.entry(">=", Op.GREATER_OR_EQUAL), Map.entry("<=", Op.LESS_OR_EQUAL),
                    Map.entry("~", Op.REGEX), Map.entry(">", Op.GREATER), Map.entry("<", Op.LESS))) {
                if (text.startsWith(candidate.getKey(), at)) {
                    at += candidate.getKey().length();
                    return candidate.getValue();
                }
            }
            for (var word : List.of(Map.entry("contains", Op.CONTAINS), Map.entry("in", Op.IN))) {
                if (startsWithWord(word.getKey())) {
                    at += word.getKey().length();
                    return word.getValue();
                }
            }
            if (startsWithWord("not")) {
                int not = at;
                at += 3;
                skipSpace();
                if (startsWithWord("in")) {
                    at += 2;
                    return Op.NOT_IN;
                }
                throw new Invalid("expected 'in' after 'not'", not);
            }
            throw new Invalid("expected an operator (==, !=, ~, ^=, =^, contains, >, >=, <, <=, in, not in)", at);
        }

        private boolean startsWithWord(String word) {
            int end = at + word.length();
            return text.startsWith(word, at) && (end == text.length() || !Character.isLetterOrDigit(text.charAt(end)));
        }

        private Object value() throws Invalid {
            if (text.startsWith("r#\"", at)) {
                int end = text.indexOf("\"#", at + 3);
                if (end < 0) {
                    throw new Invalid("unterminated raw string", at);
                }
                String raw = text.substring(at + 3, end);
                at = end + 2;
                return raw;
            }
            if (text.startsWith("\"", at)) {
                return string();
            }
            Matcher ipv4 = IPV4.matcher(text).region(at, text.length());
            Matcher ipv6 = IPV6.matcher(text).region(at, text.length());
            if (ipv4.lookingAt()) {
                return ip(ipv4.group());
            }
            if (ipv6.lookingAt()) {
                return ip(ipv6.group());
            }
            Matcher integer = INT.matcher(text).region(at, text.length());
            if (integer.lookingAt()) {
                String digits = integer.group();
                int start = at;
                at = integer.end();
                boolean negative = digits.startsWith("-");
                String magnitude = negative ? digits.substring(1) : digits;
                int radix = magnitude.startsWith("0x") ? 16 : magnitude.length() > 1 && magnitude.startsWith("0") ? 8 : 10;
                try {
                    long parsed = new BigInteger(radix == 16 ? magnitude.substring(2) : magnitude, radix).longValueExact();
                    return negative ? -parsed : parsed;
                } catch (ArithmeticException e) {
                    throw new Invalid("integer out of range", start);
                }
            }
            throw new Invalid("expected a value: a \"string\", r#\"raw string\"#, an integer or an IP address", at);
        }

        private String string() throws Invalid {
            int start = at++;
            StringBuilder out = new StringBuilder();
            while (at < text.length()) {
                char c = text.charAt(at++);
                if (c == '"') {
                    return out.toString();
                }
                if (c == '\\') {
                    if (at == text.length()) {
                        break;
                    }
                    char escaped = text.charAt(at++);
                    switch (escaped) {
                        case '"', '\\' -> out.append(escaped);
                        case 'n' -> out.append('\n');
                        case 'r' -> out.append('\r');
                        case 't' -> out.append('\t');
                        default -> throw new Invalid("unknown escape \\" + escaped + " (\\\" \\\\ \\n \\r \\t)", at - 2);
                    }
                } else {
                    out.append(c);
                }
            }
            throw new Invalid("unterminated string", start);
        }

        private Object ip(String literal) throws Invalid {
            int start = at;
            at += literal.length();
            try {
                IpRanges.Cidr cidr = IpRanges.cidr(literal);
                return literal.indexOf('/') < 0 ? IpRanges.literal(literal) : cidr;
            } catch (IllegalArgumentException e) {
                throw new Invalid(e.getMessage(), start);
            }
        }

        private String ident() throws Invalid {
            Matcher matcher = IDENT.matcher(text).region(at, text.length());
            if (!matcher.lookingAt()) {
                throw new Invalid("expected a field name, '(' or '!('", at);
            }
            at = matcher.end();
            return matcher.group();
        }

        /** Skips white space; always true, so that it can lead a condition. */
        boolean skipSpace() {
            while (at < text.length() && " \t\r\n".indexOf(text.charAt(at)) >= 0) {
                at++;
            }
            return true;
        }
    }
}
