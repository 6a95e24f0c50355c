package io.kongjava.gateway;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A regex of a route (a {@code ~} path, an expression's {@code ~}) compiled for Java. Kong's engines (PCRE in
 * nginx, Rust's regex in the ATC router) allow group names such as {@code user_id} and write named groups
 * {@code (?<name>...)} or {@code (?P<name>...)}; Java takes only letters and digits and the first form. Such names
 * are renamed for Java and given back by their own names in {@code kong.request.get_uri_captures}.
 */
record KongRegex(Pattern pattern, Map<String, String> kongNames) {

    private static final Pattern NAMED_GROUP = Pattern.compile("\\(\\?P?<([A-Za-z_][A-Za-z0-9_]*)>|\\\\k<([A-Za-z_][A-Za-z0-9_]*)>");
    private static final Pattern JAVA_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9]*");

    /** @throws java.util.regex.PatternSyntaxException when Java cannot compile it, with Java's description */
    static KongRegex compile(String regex) {
        Map<String, String> javaNames = new HashMap<>();
        Map<String, String> kongNames = new HashMap<>();
        Matcher matcher = NAMED_GROUP.matcher(regex);
        StringBuilder java = new StringBuilder();
        while (matcher.find()) {
            boolean escaped = matcher.start() > 0 && regex.charAt(matcher.start() - 1) == '\\' && matcher.group(1) != null;
            String name = matcher.group(1) != null ? matcher.group(1) : matcher.group(2);
            String javaName = JAVA_NAME.matcher(name).matches() ? name
                    : javaNames.computeIfAbsent(name, n -> "kongGroup" + javaNames.size());
            kongNames.put(javaName, name);
            String replacement = escaped ? matcher.group() : matcher.group(1) != null ? "(?<" + javaName + ">" : "\\k<" + javaName + ">";
            matcher.appendReplacement(java, Matcher.quoteReplacement(replacement));
        }
        matcher.appendTail(java);
        return new KongRegex(Pattern.compile(java.toString()), Map.copyOf(kongNames));
    }

    /** The name Kong's regex gave the group Java calls {@code javaName}. */
    String kongName(String javaName) {
        return kongNames.getOrDefault(javaName, javaName);
    }
}
