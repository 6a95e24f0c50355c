package io.kongjava.pdk.bridge;

import io.kongjava.catalogue.KongPhase;
import io.kongjava.pdk.PdkException;
import java.util.List;
import java.util.Optional;

/**
 * The one way PDK calls reach Kong: a Kong PDK function name and its arguments, answered with Kong's
 * result. The plugin server implements it over MsgPack:1 (one Step round trip per call); the test kit
 * implements it in process.
 *
 * <p>Values are the Java forms of what travels on the wire: {@code null}, {@link Boolean}, {@link Long}
 * (any msgpack integer), {@link Double}, {@link String} (msgpack str), {@code byte[]} (msgpack bin),
 * {@link java.util.List} and {@link java.util.Map}. Kong sends an empty Lua table as an empty list, so
 * callers accept a list wherever a map is expected.
 *
 * <p>Arguments arrive as the PDK's one normaliser ({@code Calls.args}) made them: wire values, trailing
 * {@code null}s dropped, no {@code null} before a value. A bridge sends them as they are.
 */
public interface Bridge {

    /**
     * Calls {@code method} (e.g. {@code kong.request.get_header}) in Kong and waits for its first return
     * value; {@code null} when Kong returned nothing (Kong 3.x drops PDK error strings, so a failure also
     * looks like {@code null}). Arguments must not contain {@code null} before a non-null argument: Kong
     * spreads them with Lua's {@code unpack}, which loses the ones after a hole.
     */
    Object call(String method, List<?> args) throws PdkException;

    /**
     * Sends a call that ends the request ({@code kong.response.exit}, {@code kong.response.error}). Kong
     * never answers it, so this returns at once; afterwards the event is over and further calls fail with
     * a {@link PdkException}.
     */
    void callTerminal(String method, List<?> args) throws PdkException;

    /**
     * The phase whose calls this bridge carries, when it knows it. A call Kong refuses in that phase is then refused
     * here with a {@link PdkException} and never sent: in Kong it raises, which abandons the event without an answer,
     * and the plugin would wait for one until its Step timeout.
     */
    default Optional<KongPhase> phase() {
        return Optional.empty();
    }
}
