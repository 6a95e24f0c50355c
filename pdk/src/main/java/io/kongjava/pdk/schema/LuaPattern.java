package io.kongjava.pdk.schema;

import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Kong's {@code match} validator uses Lua's {@code string.match}, whose patterns are not regular
 * expressions. This translates the common subset (character classes {@code %a %d %l %s %u %w %x %p %c},
 * escapes {@code %.}, sets, anchors, quantifiers {@code * + - ?}, captures) into a Java regex; patterns
 * using {@code %b} or {@code %f} are not translated and then not checked locally (Kong checks them).
 */
final class LuaPattern {

    private LuaPattern() {
    }

    static Optional<Pattern> toRegex(String lua) {
        StringBuilder re = new StringBuilder();
        int i = 0;
        int n = lua.length();
        boolean inSet = false;
        try {
            while (i < n) {
                char c = lua.charAt(i);
                if (c == '%') {
                    if (i + 1 >= n) {
                        return Optional.empty();
                    }
                    char k = lua.charAt(i + 1);
                    i += 2;
                    if (k == 'b' || k == 'f' || Character.isDigit(k)) {
                        return Optional.empty();
                    }
                    if (inSet && Character.isUpperCase(k) && classFor(k, false) != null) {
                        return Optional.empty();
                    }
                    String cls = classFor(k, inSet);
                    re.append(cls != null ? cls : escape(k));
                    continue;
                }
                if (inSet) {
                    if (c == ']') {
                        inSet = false;
                        re.append(']');
                    } else if (c == '[' || c == '&' || c == '\\') {
                        re.append('\\').append(c);
                    } else {
                        re.append(c);
                    }
                    i++;
                    continue;
                }
                switch (c) {
                    case '[' -> {
                        inSet = true;
                        re.append('[');
                        i++;
                        if (i < n && lua.charAt(i) == '^') {
                            re.append('^');
                            i++;
                        }
                        if (i < n && lua.charAt(i) == ']') {
                            re.append("\\]");
                            i++;
                        }
                    }
                    case '-' -> {
                        // Lua's lazy '*' when it follows an item; a literal '-' otherwise.
                        if (re.isEmpty() || i == 0 || lua.charAt(i - 1) == '(') {
                            re.append("\\-");
                        } else {
                            re.append("*?");
                        }
                        i++;
                    }
                    case '^' -> {
                        re.append(i == 0 ? "^" : "\\^");
                        i++;
                    }
                    case '$' -> {
                        re.append(i == n - 1 ? "$" : "\\$");
                        i++;
                    }
                    case '.', '*', '+', '?', '(', ')' -> {
                        re.append(c);
                        i++;
                    }
                    default -> {
                        re.append(escape(c));
                        i++;
                    }
                }
            }
            if (inSet) {
                return Optional.empty();
            }
            return Optional.of(Pattern.compile(re.toString(), Pattern.DOTALL));
        } catch (PatternSyntaxException e) {
            return Optional.empty();
        }
    }

    private static String escape(char c) {
        if (Character.isLetterOrDigit(c)) {
            return String.valueOf(c);
        }
        return "\\" + c;
    }

    private static String classFor(char k, boolean inSet) {
        String inner = switch (Character.toLowerCase(k)) {
            case 'a' -> "A-Za-z";
            case 'd' -> "0-9";
            case 'l' -> "a-z";
            case 's' -> " \\t\\n\\r\\f\\x0B";
            case 'u' -> "A-Z";
            case 'w' -> "A-Za-z0-9";
            case 'x' -> "0-9A-Fa-f";
            case 'p' -> "!-/:-@\\[-`{-~";
            case 'c' -> "\\x00-\\x1F\\x7F";
            default -> null;
        };
        if (inner == null) {
            return null;
        }
        boolean negate = Character.isUpperCase(k);
        if (inSet) {
            return inner;
        }
        return (negate ? "[^" : "[") + inner + "]";
    }
}
