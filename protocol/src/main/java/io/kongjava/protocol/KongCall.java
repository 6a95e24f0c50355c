package io.kongjava.protocol;

import io.kongjava.catalogue.RpcMethod;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What Kong sends a plugin server: the single argument of each MsgPack:1 method, typed. The wire keys are
 * defined here and nowhere else. Kong's side builds these and sends {@link #toArgument()}; the server
 * reads them back with {@link #decode}.
 */
public sealed interface KongCall {

    String NAME = "Name";
    String CONFIG = "Config";
    String INSTANCE_ID = "InstanceId";
    String EVENT_NAME = "EventName";
    String EVENT_ID = "EventId";
    String DATA = "Data";

    RpcMethod method();

    /** The argument as it travels (a map, a number or a string). */
    Object toArgument();

    /** {@code {Name, Config}}: Config is the plugin configuration as JSON text. */
    record StartInstance(String name, String config) implements KongCall {
        public RpcMethod method() {
            return RpcMethod.START_INSTANCE;
        }

        public Object toArgument() {
            Map<String, Object> argument = new LinkedHashMap<>(4);
            argument.put(NAME, name);
            argument.put(CONFIG, config);
            return argument;
        }
    }

    /** The instance id alone. */
    record InstanceStatus(long instanceId) implements KongCall {
        public RpcMethod method() {
            return RpcMethod.INSTANCE_STATUS;
        }

        public Object toArgument() {
            return instanceId;
        }
    }

    /** The instance id alone. */
    record CloseInstance(long instanceId) implements KongCall {
        public RpcMethod method() {
            return RpcMethod.CLOSE_INSTANCE;
        }

        public Object toArgument() {
            return instanceId;
        }
    }

    record GetStatus() implements KongCall {
        public RpcMethod method() {
            return RpcMethod.GET_STATUS;
        }

        public Object toArgument() {
            return null;
        }
    }

    /** The plugin's name alone. */
    record GetPluginInfo(String pluginName) implements KongCall {
        public RpcMethod method() {
            return RpcMethod.GET_PLUGIN_INFO;
        }

        public Object toArgument() {
            return pluginName;
        }
    }

    /** {@code {InstanceId, EventName}}: run a phase. */
    record HandleEvent(long instanceId, String eventName) implements KongCall {
        public RpcMethod method() {
            return RpcMethod.HANDLE_EVENT;
        }

        public Object toArgument() {
            Map<String, Object> argument = new LinkedHashMap<>(4);
            argument.put(INSTANCE_ID, instanceId);
            argument.put(EVENT_NAME, eventName);
            return argument;
        }
    }

    /**
     * {@code {EventId, Data}}: the answer to the event's PDK call, sent with the Step method the catalogue
     * names for the function. A nil Data is left out, as a Lua table leaves out nil.
     */
    record Step(RpcMethod method, long eventId, Object data) implements KongCall {
        public Step {
            if (!method.isStep()) {
                throw new IllegalArgumentException(method.wireName() + " is not a Step method");
            }
        }

        public Object toArgument() {
            Map<String, Object> argument = new LinkedHashMap<>(4);
            argument.put(EVENT_ID, eventId);
            if (data != null) {
                argument.put(DATA, data);
            }
            return argument;
        }
    }

    /** Reads Kong's call; a missing or mistyped field is a {@link ProtocolException} naming it. */
    static KongCall decode(String wireName, Object argument) throws ProtocolException {
        RpcMethod method = RpcMethod.fromWireName(wireName);
        if (method == null) {
            throw new ProtocolException("method " + wireName + " not implemented");
        }
        return switch (method) {
            case START_INSTANCE -> {
                Map<?, ?> map = map(argument, wireName);
                if (!(map.get(NAME) instanceof String name)) {
                    throw new ProtocolException(wireName + " needs a string " + NAME);
                }
                Object config = map.get(CONFIG);
                yield new StartInstance(name, switch (config) {
                    case null -> null;
                    case String s -> s;
                    case byte[] bytes -> new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
                    default -> throw new ProtocolException(wireName + " " + CONFIG + " for " + name + " must be JSON text");
                });
            }
            case INSTANCE_STATUS -> new InstanceStatus(id(argument, wireName));
            case CLOSE_INSTANCE -> new CloseInstance(id(argument, wireName));
            case GET_STATUS -> new GetStatus();
            case GET_PLUGIN_INFO -> {
                if (!(argument instanceof String name)) {
                    throw new ProtocolException(wireName + " needs a plugin name");
                }
                yield new GetPluginInfo(name);
            }
            case HANDLE_EVENT -> {
                Map<?, ?> map = map(argument, wireName);
                long instanceId = id(map.get(INSTANCE_ID), wireName + " " + INSTANCE_ID);
                if (!(map.get(EVENT_NAME) instanceof String eventName)) {
                    throw new ProtocolException(wireName + " needs a string " + EVENT_NAME);
                }
                yield new HandleEvent(instanceId, eventName);
            }
            default -> {
                Map<?, ?> map = map(argument, wireName);
                yield new Step(method, id(map.get(EVENT_ID), wireName + " " + EVENT_ID), map.get(DATA));
            }
        };
    }

    static Map<?, ?> map(Object argument, String what) throws ProtocolException {
        if (argument instanceof Map<?, ?> map) {
            return map;
        }
        throw new ProtocolException(what + " needs a map argument, got " + (argument == null ? "nil" : argument.getClass().getSimpleName()));
    }

    /** An id as Kong sends it: an integer, or a float with an integral value (LuaJIT numbers). */
    static long id(Object value, String what) throws ProtocolException {
        if (value instanceof Long id) {
            return id;
        }
        if (value instanceof Double d && d == Math.rint(d)) {
            return d.longValue();
        }
        throw new ProtocolException(what + " must be an integer id, got " + (value == null ? "nil" : value));
    }
}
