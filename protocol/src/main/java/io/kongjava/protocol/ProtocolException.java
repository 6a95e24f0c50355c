package io.kongjava.protocol;

import java.io.IOException;

/** Bytes on the socket that are not a well-formed MsgPack:1 message; the connection cannot go on. */
public class ProtocolException extends IOException {

    public ProtocolException(String message) {
        super(message);
    }

    public ProtocolException(String message, Throwable cause) {
        super(message, cause);
    }
}
