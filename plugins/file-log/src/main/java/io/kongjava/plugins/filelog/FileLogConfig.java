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
        // in the dumped schema, so that Kong refuses it when the config is stored, not at the first request's log phase
        // a pattern nothing matches, the empty string included (Kong's implicit len_min does not reach map values)
        @Match(value = "^[^%w%W]$", err = "Lua cannot run in the Java plugin server; use custom_fields (a value, or $field.path"
                + " to copy a field of the log record)") Map<String, String> customFieldsByLua,
        @Default("0644") @Match(value = "^0?[0-7][0-7][0-7]$", err = "expected file permissions in octal, e.g. 0644") String mode,
        @Default("2000") @Between(min = 0, max = 60000)
        @Description("Milliseconds to wait for java-ai-proxy's figures for the same request.") int aiWaitMs) {
}
