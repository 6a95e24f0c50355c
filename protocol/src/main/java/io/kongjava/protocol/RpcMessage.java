package io.kongjava.protocol;

import java.util.List;

/**
 * One MessagePack-RPC message as Kong's MsgPack:1 protocol frames it: an array whose first element says the
 * kind. Kong sends requests; servers answer with responses and may send notifications first.
 */
public sealed interface RpcMessage {

    int REQUEST = 0;
    int RESPONSE = 1;
    int NOTIFICATION = 2;

    /** {@code [0, msgid, method, params]}; Kong always sends exactly one element in {@code params}. */
    record Request(long msgid, String method, List<Object> params) implements RpcMessage {
        public Request {
            params = params == null ? List.of() : java.util.Collections.unmodifiableList(new java.util.ArrayList<>(params));
        }

        /** The single argument Kong sends, or {@code null} when there is none. */
        public Object argument() {
            return params.isEmpty() ? null : params.get(0);
        }
    }

    /** {@code [1, msgid, error, result]}: exactly one of error (a string) and result is meaningful. */
    record Response(long msgid, String error, Object result) implements RpcMessage {
        public static Response success(long msgid, Object result) {
            return new Response(msgid, null, result);
        }

        public static Response failure(long msgid, String error) {
            return new Response(msgid, error, null);
        }

        public boolean failed() {
            return error != null;
        }
    }

    /** {@code [2, label, value]}; the only label Kong knows is {@code serverPid}. */
    record Notification(String label, Object value) implements RpcMessage {
        public static final String SERVER_PID = "serverPid";
    }
}
