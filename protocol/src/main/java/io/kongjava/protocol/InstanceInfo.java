package io.kongjava.protocol;

import java.io.IOException;
import org.msgpack.core.MessagePacker;

/**
 * A server's answer to StartInstance, InstanceStatus and CloseInstance: {@code {Name, Id, Config[,
 * StartTime]}}. Kong reads the {@code Id}.
 */
public record InstanceInfo(String name, long id, Object config, Double startTime) implements Packable {

    public static final String ID = "Id";
    public static final String START_TIME = "StartTime";

    @Override
    public void packTo(MessagePacker packer) throws IOException {
        packer.packMapHeader(startTime == null ? 3 : 4);
        packer.packString(KongCall.NAME).packString(name);
        packer.packString(ID).packLong(id);
        packer.packString(KongCall.CONFIG);
        MsgPackValues.pack(packer, config);
        if (startTime != null) {
            packer.packString(START_TIME).packDouble(startTime);
        }
    }

    /** The instance id in a server's answer (Kong's side). */
    public static long idOf(Object reply) throws ProtocolException {
        if (reply instanceof java.util.Map<?, ?> status && status.get(ID) instanceof Number id) {
            return id.longValue();
        }
        throw new ProtocolException("StartInstance answer has no integer Id: " + reply);
    }
}
