/**
 * A plugin's configuration as a Java record, and Kong's schema for it.
 *
 * <p>The record's components are the config fields, named in snake_case for Kong. Annotations add Kong's
 * rules; Kong validates Admin API and declarative configurations with them, and {@link
 * io.kongjava.pdk.schema.ConfigBinder} applies the same rules when the plugin server binds the
 * configuration Kong sends.
 * <pre>{@code
 * public record FileLogConfig(
 *         String path,                                                  // string, required
 *         @Default("false") boolean reopen,                             // boolean, required, default false
 *         @Default("65536") @Between(min = 1, max = 16777216) int maxLineBytes,
 *         List<String> fieldsToDrop,                                    // array of strings, optional (empty)
 *         Optional<Format> format) {                                    // string, one_of the enum's names
 *     public enum Format { JSON, @KongName("json-lines") JSON_LINES }
 * }
 * }</pre>
 *
 * <p>Rules that need code (Kong's custom validators and conditional entity checks) belong in
 * {@link io.kongjava.pdk.KongPlugin#validate}; record-level {@link io.kongjava.pdk.schema.EntityCheck}s
 * cover Kong's declarative ones.
 */
package io.kongjava.pdk.schema;
