package io.kongjava.protocol;

import java.io.IOException;
import org.msgpack.core.MessagePacker;

/** A typed protocol value that writes its own MessagePack form, without an intermediate map. */
public interface Packable {

    void packTo(MessagePacker packer) throws IOException;
}
