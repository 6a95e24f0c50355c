package io.kongjava.kongclient;

import java.util.List;

/** Kong's side of one PDK call made by a plugin during an event: what Kong answers to {@code {Method, Args}}. */
@FunctionalInterface
public interface PdkHandler {

    PdkAnswer answer(String method, List<Object> args);

    /** What Kong does with a PDK call. */
    sealed interface PdkAnswer {
        /** Kong sends the first return value back with a Step ({@code null}: the Data key is left out). */
        record Value(Object value) implements PdkAnswer {
        }

        /** The call ended the request ({@code kong.response.exit}/{@code error}): Kong sends nothing more. */
        record Terminal() implements PdkAnswer {
        }

        /** The PDK function raised (wrong phase, bad argument): Kong's handler dies, the event is abandoned. */
        record Raised(String message) implements PdkAnswer {
        }

        static PdkAnswer value(Object value) {
            return new Value(value);
        }
    }
}
