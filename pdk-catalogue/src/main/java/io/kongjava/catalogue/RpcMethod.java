package io.kongjava.catalogue;

import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The methods of Kong's MsgPack:1 protocol (kong/runloop/plugin_servers): what Kong calls on a plugin
 * server. The {@code Step*} methods carry the answer to a PDK call; which one Kong uses is
 * {@link PdkFunction#step()}.
 */
public enum RpcMethod {
    START_INSTANCE("plugin.StartInstance"),
    INSTANCE_STATUS("plugin.InstanceStatus"),
    CLOSE_INSTANCE("plugin.CloseInstance"),
    GET_STATUS("plugin.GetStatus"),
    GET_PLUGIN_INFO("plugin.GetPluginInfo"),
    HANDLE_EVENT("plugin.HandleEvent"),
    STEP("plugin.Step"),
    /** Older Kong versions: the PDK function failed, the data is its error. */
    STEP_ERROR("plugin.StepError"),
    STEP_CREDENTIAL("plugin.StepCredential"),
    STEP_CONSUMER("plugin.StepConsumer"),
    STEP_ROUTE("plugin.StepRoute"),
    STEP_SERVICE("plugin.StepService"),
    STEP_MEMORY_STATS("plugin.StepMemoryStats"),
    STEP_MULTI_MAP("plugin.StepMultiMap");

    private static final Map<String, RpcMethod> BY_WIRE_NAME =
            Stream.of(values()).collect(Collectors.toUnmodifiableMap(RpcMethod::wireName, Function.identity()));

    private final String wireName;
    private final boolean step;

    RpcMethod(String wireName) {
        this.wireName = wireName;
        this.step = wireName.startsWith("plugin.Step");
    }

    /** The name on the wire, e.g. {@code plugin.StartInstance}. */
    public String wireName() {
        return wireName;
    }

    /** Whether Kong sends this to carry a PDK function's answer back to the event. */
    public boolean isStep() {
        return step;
    }

    /** The method named {@code name} on the wire; {@code null} for a name Kong does not send. */
    public static RpcMethod fromWireName(String name) {
        return name == null ? null : BY_WIRE_NAME.get(name);
    }
}
