package io.kongjava.plugins.aisanitizer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** The configured patterns as one expression, applied to whole texts or to a stream's growing tail. */
final class Redactor {

    /** Built-in pattern sets by name. */
    static final Map<String, List<String>> BUILTINS = Map.of(
            "secrets", List.of(
                    "sk-ant-[A-Za-z0-9_\\-]{16,}",
                    "sk-(?:proj-)?[A-Za-z0-9_\\-]{20,}",
                    "AKIA[0-9A-Z]{16}",
                    "gh[pousr]_[A-Za-z0-9]{30,}",
                    "xox[abprs]-[A-Za-z0-9\\-]{10,}",
                    "AIza[0-9A-Za-z_\\-]{35}",
                    "(?i:bearer)\\s+[A-Za-z0-9._~+/\\-]{20,}=*",
                    "-----BEGIN [A-Z ]*PRIVATE KEY-----"),
            // bounded as RFC 5321 and DNS bound them (64, 63): unbounded, a long run of letters without '@' (a base64
            // blob in an answer) made every start position scan to its end, minutes for 600 KB
            "emails", List.of("[A-Za-z0-9._%+\\-]{1,64}@[A-Za-z0-9\\-]{1,63}(?:\\.[A-Za-z0-9\\-]{1,63}){0,8}\\.[A-Za-z]{2,63}"));

    /**
     * The patterns needed more steps on a text than any sane pattern does (an operator's pattern that backtracks
     * catastrophically): the filter fails rather than let the text through unredacted or hold the thread for minutes.
     */
    static final class TooSlow extends RuntimeException {
        TooSlow(int length) {
            super("java-ai-sanitizer: the patterns took too many steps on " + length + " characters of the answer"
                    + " (a pattern that backtracks without bound?)");
        }
    }

    /** A text whose characters may be read a bounded number of times in all: the matcher's work, counted. */
    private static final class Budgeted implements CharSequence {
        private final CharSequence text;
        private final int[] steps;
        private final int limit;

        Budgeted(CharSequence text, int[] steps, int limit) {
            this.text = text;
            this.steps = steps;
            this.limit = limit;
        }

        @Override
        public int length() {
            return text.length();
        }

        @Override
        public char charAt(int index) {
            if (++steps[0] > limit) {
                throw new TooSlow(text.length());
            }
            return text.charAt(index);
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return new Budgeted(text.subSequence(start, end), steps, limit);
        }

        @Override
        public String toString() {
            return text.toString();
        }
    }

    /** Steps allowed per character of a text: the built-ins take a few dozen at most. */
    static final int STEPS_PER_CHAR = 1_000;

    private Matcher matcher(String text) {
        int limit = (int) Math.min(Integer.MAX_VALUE, (long) text.length() * STEPS_PER_CHAR + 100_000);
        return pattern.matcher(new Budgeted(text, new int[1], limit));
    }

    /** A text with its redactions applied, and how many there were. */
    record Redacted(String text, int count) {
    }

    /** What a stream may send now (redacted), and the raw tail it must hold until more text comes. */
    record Split(String emitted, String held, int count) {
    }

    private final Pattern pattern;
    private final String replacement;
    private final int window;

    private Redactor(Pattern pattern, String replacement, int window) {
        this.pattern = pattern;
        this.replacement = replacement;
        this.window = window;
    }

    /** Kong-style errors by field for patterns that do not compile or built-in sets that do not exist. */
    static Map<String, String> problems(SanitizerConfig config) {
        Map<String, String> errors = new LinkedHashMap<>();
        for (int i = 0; i < config.builtins().size(); i++) {
            String name = config.builtins().get(i);
            if (!BUILTINS.containsKey(name)) {
                errors.put("builtins." + (i + 1), "expected one of: emails, secrets");
            }
        }
        for (int i = 0; i < config.patterns().size(); i++) {
            String regex = config.patterns().get(i);
            try {
                if (Pattern.compile(regex).matcher("").matches()) {
                    errors.put("patterns." + (i + 1), "the pattern matches the empty string");
                }
            } catch (PatternSyntaxException e) {
                errors.put("patterns." + (i + 1), "invalid regex: " + e.getDescription() + " near index " + e.getIndex());
            }
        }
        if (config.builtins().isEmpty() && config.patterns().isEmpty()) {
            errors.put("@entity", "at least one of these fields must be non-empty: 'builtins', 'patterns'");
        }
        return errors;
    }

    static Redactor of(SanitizerConfig config) {
        List<String> all = new ArrayList<>();
        config.builtins().forEach(name -> all.addAll(BUILTINS.getOrDefault(name, List.of())));
        all.addAll(config.patterns());
        String joined = String.join("|", all.stream().map(regex -> "(?:" + regex + ")").toList());
        return new Redactor(Pattern.compile(joined), config.replacement(), config.maxMatchLength());
    }

    String replacement() {
        return replacement;
    }

    Redacted redact(String text) {
        return redact(text, replacement);
    }

    /** {@code text} with each match replaced by {@code replacement} (the configured one, escaped for where it goes). */
    Redacted redact(String text, String replacement) {
        Matcher matcher = matcher(text);
        StringBuilder out = new StringBuilder(text.length());
        int count = 0;
        int from = 0;
        while (matcher.find()) {
            out.append(text, from, matcher.start()).append(replacement);
            from = matcher.end();
            count++;
        }
        return count == 0 ? new Redacted(text, 0) : new Redacted(out.append(text, from, text.length()).toString(), count);
    }

    /**
     * Splits a stream's text so far: everything that no later text can turn into (part of) a match is sent,
     * redacted; the last {@code maxMatchLength} characters, and any match reaching into them, are held.
     */
    Split split(String text) {
        return split(text, replacement);
    }

    Split split(String text, String replacement) {
        return split(text, replacement, false);
    }

    /**
     * @param jsonText the text is JSON text (a tool's streamed input): the held tail never starts inside an escape
     *                 sequence, so that the tail, read again with the next delta, reads as it did
     */
    Split split(String text, String replacement, boolean jsonText) {
        int cut = Math.max(0, text.length() - window);
        if (jsonText) {
            cut = JsonText.escapeBoundary(text, cut);
        }
        Matcher matcher = matcher(text);
        List<int[]> matches = new ArrayList<>();
        while (matcher.find()) {
            if (matcher.end() > cut) {
                cut = Math.min(cut, matcher.start());
                break;
            }
            matches.add(new int[] {matcher.start(), matcher.end()});
        }
        if (cut > 0 && Character.isHighSurrogate(text.charAt(cut - 1))) {
            cut--;
        }
        if (jsonText) {
            cut = Math.max(JsonText.escapeBoundary(text, cut), matches.isEmpty() ? 0 : matches.getLast()[1]);
        }
        StringBuilder emitted = new StringBuilder(cut);
        int from = 0;
        for (int[] match : matches) {
            emitted.append(text, from, match[0]).append(replacement);
            from = match[1];
        }
        emitted.append(text, from, cut);
        return new Split(emitted.toString(), text.substring(cut), matches.size());
    }
}
