package io.kongjava.protocol.kong;

import java.util.Map;

/** Which {@code plugin.Step*} method Kong uses to return the result of a PDK function. */
public final class StepMethods {

    private static final Map<String, String> TYPED = Map.ofEntries(
            Map.entry("kong.client.get_credential", "plugin.StepCredential"),
            Map.entry("kong.client.authenticate", "plugin.StepCredential"),
            Map.entry("kong.client.load_consumer", "plugin.StepConsumer"),
            Map.entry("kong.client.get_consumer", "plugin.StepConsumer"),
            Map.entry("kong.router.get_route", "plugin.StepRoute"),
            Map.entry("kong.router.get_service", "plugin.StepService"),
            Map.entry("kong.node.get_memory_stats", "plugin.StepMemoryStats"),
            Map.entry("kong.request.get_query", "plugin.StepMultiMap"),
            Map.entry("kong.request.get_headers", "plugin.StepMultiMap"),
            Map.entry("kong.response.get_headers", "plugin.StepMultiMap"),
            Map.entry("kong.service.response.get_headers", "plugin.StepMultiMap"));

    private StepMethods() {
    }

    /** The Step method for {@code pdkMethod}; {@code plugin.Step} for everything else, unknown names included. */
    public static String forPdkMethod(String pdkMethod) {
        return TYPED.getOrDefault(pdkMethod, "plugin.Step");
    }

    /** Functions Kong never answers when they succeed: the request ends there. */
    public static boolean isTerminal(String pdkMethod) {
        return "kong.response.exit".equals(pdkMethod) || "kong.response.error".equals(pdkMethod);
    }
}
