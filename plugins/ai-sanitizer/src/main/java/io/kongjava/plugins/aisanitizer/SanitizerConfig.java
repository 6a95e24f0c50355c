package io.kongjava.plugins.aisanitizer;

import io.kongjava.pdk.schema.Between;
import io.kongjava.pdk.schema.Default;
import io.kongjava.pdk.schema.Description;
import java.util.List;

/**
 * What java-ai-sanitizer redacts.
 *
 * @param builtins       built-in pattern sets: {@code secrets} (API keys and tokens, private key headers) and
 *                       {@code emails}
 * @param patterns       more patterns, as Java regular expressions
 * @param replacement    what a match becomes
 * @param maxMatchLength the longest match looked for across streamed deltas: that many characters of a text
 *                       block are held back until the next delta shows whether a match goes on
 */
public record SanitizerConfig(
        @Default("[\"secrets\",\"emails\"]")
        @Description("Built-in pattern sets: secrets (API keys, tokens, private keys) and emails.") List<String> builtins,
        @Description("Custom regular expressions (Java syntax) to redact.") List<String> patterns,
        @Default("[REDACTED]") String replacement,
        @Default("256") @Between(min = 8, max = 8192)
        @Description("Characters held back between streamed deltas so that a match split across them is caught.") int maxMatchLength) {

    public SanitizerConfig {
        builtins = builtins == null ? List.of() : List.copyOf(builtins);
        patterns = patterns == null ? List.of() : List.copyOf(patterns);
    }
}
