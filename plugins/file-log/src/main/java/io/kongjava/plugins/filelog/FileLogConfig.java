package io.kongjava.plugins.filelog;

import io.kongjava.pdk.schema.Between;
import io.kongjava.pdk.schema.Default;
import io.kongjava.pdk.schema.Description;
import io.kongjava.pdk.schema.Match;
import java.util.Map;

/**
 * Kong's file-log configuration, with Java answers where Kong runs Lua.
 *
 * @param path              the file lines are appended to; never created as a directory
 * @param reopen            close and reopen the file for every line (rotation is detected either way)
 * @param customFields      extra fields set on each line: a plain value, or {@code $a.b} for a field of the
 *                          log record ({@code $$} for a literal {@code $})
 * @param customFieldsByLua Kong's Lua variant, refused: Lua cannot run in the Java plugin server
 * @param mode              permissions of a file the plugin creates, in octal
 * @param aiWaitMs          how long to wait for the figures java-ai-proxy measures for the request
 */
public record FileLogConfig(
        @Match(value = "^[^%s*&%%\\`][^*&%%\\`]*[^%s*&%%\\`]$", err = "not a valid filename") String path,
        @Default("false") boolean reopen,
        Map<String, String> customFields,
        Map<String, String> customFieldsByLua,
        @Default("0644") String mode,
        @Default("2000") @Between(min = 0, max = 60000)
        @Description("Milliseconds to wait for java-ai-proxy's figures for the same request.") int aiWaitMs) {
}
