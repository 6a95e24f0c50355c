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

    /** The method that carries the call. */
    default RpcMethod method() {
        return switch (this) {
            case StartInstance s -> RpcMethod.START_INSTANCE;
            case InstanceStatus s -> RpcMethod.INSTANCE_STATUS;
            case CloseInstance s -> RpcMethod.CLOSE_INSTANCE;
            case GetStatus s -> RpcMethod.GET_STATUS;
            case GetPluginInfo s -> RpcMethod.GET_PLUGIN_INFO;
            case HandleEvent s -> RpcMethod.HANDLE_EVENT;
            case Step s -> s.method();
        };
    }

    /** The argument as it travels: a map in Kong's key order, a number or a string. */
    default Object toArgument() {
        return switch (this) {
            case StartInstance s -> ordered(NAME, s.name(), CONFIG, s.config());
            case InstanceStatus s -> s.instanceId();
            case CloseInstance s -> s.instanceId();
            case GetStatus s -> null;
            case GetPluginInfo s -> s.pluginName();
            case HandleEvent s -> ordered(INSTANCE_ID, s.instanceId(), EVENT_NAME, s.eventName());
            // A nil Data is left out, as a Lua table leaves out nil.
            case Step s -> s.data() == null ? ordered(EVENT_ID, s.eventId()) : ordered(EVENT_ID, s.eventId(), DATA, s.data());
        };
    }

    /** {@code {Name, Config}}: Config is the plugin configuration as JSON text. */
    record StartInstance(String name, String config) implements KongCall {
    }

    /** The instance id alone. */
    record InstanceStatus(long instanceId) implements KongCall {
    }

    /** The instance id alone. */
    record CloseInstance(long instanceId) implements KongCall {
    }

    record GetStatus() implements KongCall {
    }

    /** The plugin's name alone. */
    record GetPluginInfo(String pluginName) implements KongCall {
    }

    /** {@code {InstanceId, EventName}}: run a phase. */
    record HandleEvent(long instanceId, String eventName) implements KongCall {
    }

    /**
     * {@code {EventId, Data}}: the answer to the event's PDK call, sent with the Step method the catalogue
     * names for the function.
     */
    record Step(RpcMethod method, long eventId, Object data) implements KongCall {
        public Step {
            if (!method.isStep()) {
                throw new IllegalArgumentException(method.wireName() + " is not a Step method");
            }
        }
    }

    private static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> map = new LinkedHashMap<>(4);
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
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
