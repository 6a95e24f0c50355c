/**
 * The PDK over Kong's wire: {@link io.kongjava.pdk.bridge.KongPdk#over} turns a {@link
 * io.kongjava.pdk.bridge.Bridge} (one Kong PDK call per round trip) into the typed {@link io.kongjava.pdk.Kong}
 * a phase method receives.
 *
 * <p>What travels: arguments in wire shape ({@link java.lang.Long} for every integer, {@link
 * java.lang.Double}, {@link java.lang.String}, {@code byte[]}, lists, maps), never a null before a non-null
 * argument, and only the arguments needed (no trailing nulls). Results are read leniently: str or bin for
 * text, any numeric width, {@code []} for an empty map, a single string where a list is expected. A result
 * Kong did not give although one is required becomes a {@link io.kongjava.pdk.PdkException} naming the Kong
 * function; a result that may legitimately be absent is an {@link java.util.Optional}.
 */
package io.kongjava.pdk.bridge;
