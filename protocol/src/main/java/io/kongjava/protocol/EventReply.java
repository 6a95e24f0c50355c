package io.kongjava.protocol;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.msgpack.core.MessagePacker;

/**
 * What a plugin server answers to HandleEvent and to each Step: {@code {EventId, Data}}, where Data is
 * {@code "ret"} when the phase is over, or the next PDK call {@code {Method, Args}}. Packs itself with the
 * same bytes a map in that key order would give.
 */
public sealed interface EventReply extends Packable {

    String METHOD = "Method";
    String ARGS = "Args";
    String RET = "ret";

    long eventId();

    /** The phase returned. */
    record Returned(long eventId) implements EventReply {
        @Override
        public void packTo(MessagePacker packer) throws IOException {
            packer.packMapHeader(2);
            packer.packString(KongCall.EVENT_ID).packLong(eventId);
            packer.packString(KongCall.DATA).packString(RET);
        }
    }

    /**
     * The plugin calls a PDK function. {@code args} are as the plugin side normalised them (wire values,
     * no trailing nil, no nil before a value; see the PDK's bridge); they are sent as they are.
     */
    record PdkCall(long eventId, String method, List<?> args) implements EventReply {
        @Override
        public void packTo(MessagePacker packer) throws IOException {
            packer.packMapHeader(2);
            packer.packString(KongCall.EVENT_ID).packLong(eventId);
            packer.packString(KongCall.DATA);
            packer.packMapHeader(2);
            packer.packString(METHOD).packString(method);
            packer.packString(ARGS);
            MsgPackValues.pack(packer, args == null ? List.of() : args);
        }
    }

    /** Reads a server's answer (Kong's side). */
    static EventReply decode(Object result) throws ProtocolException {
        if (!(result instanceof Map<?, ?> answer)) {
            throw new ProtocolException("event answer must be a map, got " + result);
        }
        long eventId = KongCall.id(answer.get(KongCall.EVENT_ID), "event answer " + KongCall.EVENT_ID);
        Object data = answer.get(KongCall.DATA);
        if (RET.equals(data)) {
            return new Returned(eventId);
        }
        if (!(data instanceof Map<?, ?> call) || !(call.get(METHOD) instanceof String method)) {
            throw new ProtocolException("event Data must be \"ret\" or {Method, Args}, got " + data);
        }
        Object args = call.get(ARGS);
        return new PdkCall(eventId, method, args instanceof List<?> list ? list : args == null ? List.of() : List.of(args));
    }
}
