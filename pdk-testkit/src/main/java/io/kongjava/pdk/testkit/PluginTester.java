package io.kongjava.pdk.testkit;

import io.kongjava.emulation.KongRequest;
import io.kongjava.emulation.PdkEmulator;
import io.kongjava.pdk.InvalidConfigException;
import io.kongjava.pdk.Kong;
import io.kongjava.pdk.KongPlugin;
import io.kongjava.pdk.PdkException;
import io.kongjava.pdk.Phase;
import io.kongjava.pdk.bridge.Bridge;
import io.kongjava.pdk.bridge.KongPdk;
import io.kongjava.pdk.exchange.ProcessRequestExchange;
import io.kongjava.pdk.exchange.RequestExchange;
import io.kongjava.pdk.exchange.UsesRequestExchange;
import io.kongjava.pdk.schema.ConfigBinder;
import io.kongjava.pdk.schema.PluginDescriptor;
import io.kongjava.protocol.MsgPackValues;
import io.kongjava.kongclient.PdkHandler.PdkAnswer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs a plugin's phases in process against Kong's emulated PDK, the way Kong would for one request, so a
 * plugin can be unit-tested without Kong. Every value crosses a MessagePack round trip, as on the wire.
 *
 * <pre>{@code
 * TestRun run = PluginTester.of(new HelloPlugin())
 *         .configJson("{\"message\":\"hi\"}")
 *         .run(TestRequest.get("http://localhost:8000/hello").header("x-name", "ann"));
 * assertThat(run.responseHeaders()).containsEntry("x-hello", List.of("hi ann"));
 * }</pre>
 */
public final class PluginTester<C extends Record> {

    private final KongPlugin<C> plugin;
    private final PluginDescriptor descriptor;
    private C config;
    private RequestExchange exchange = ProcessRequestExchange.shared();

    private PluginTester(KongPlugin<C> plugin) {
        this.plugin = plugin;
        this.descriptor = PluginDescriptor.of(plugin);
        if (plugin instanceof UsesRequestExchange user) {
            user.useRequestExchange(exchange);
        }
    }

    public static <C extends Record> PluginTester<C> of(KongPlugin<C> plugin) {
        return new PluginTester<>(plugin);
    }

    /** Uses {@code config} as given (no schema defaults applied), after the plugin's own validate(). */
    public PluginTester<C> config(C config) throws InvalidConfigException {
        plugin.validate(config);
        this.config = config;
        return this;
    }

    /**
     * Binds Kong's config JSON exactly as the plugin server does (defaults, rules, validate()), after refusing a field
     * the plugin's schema does not have, as Kong's schema does before the server sees the config.
     */
    public PluginTester<C> configJson(String kongConfigJson) throws InvalidConfigException {
        Map<String, Object> decoded = Json.parseObject(kongConfigJson);
        @SuppressWarnings("unchecked") // the descriptor's config type is the plugin's C, read from its class
        Class<C> configType = (Class<C>) descriptor.configType();
        Map<String, String> unknown = new java.util.LinkedHashMap<>();
        unknownFields(io.kongjava.pdk.schema.KongSchema.record(configType), decoded, "", unknown);
        if (!unknown.isEmpty()) {
            throw new InvalidConfigException(unknown);
        }
        C bound = ConfigBinder.bind(configType, decoded);
        plugin.validate(bound);
        this.config = bound;
        return this;
    }

    /** Kong's "unknown field" for each key of {@code value} its record {@code field} does not define, in records at any depth. */
    private static void unknownFields(Object field, Object value, String path, Map<String, String> errors) {
        if (!(field instanceof Map<?, ?> definition)) {
            return;
        }
        if ("record".equals(definition.get("type")) && value instanceof Map<?, ?> given) {
            Map<String, Object> fields = new java.util.HashMap<>();
            if (definition.get("fields") instanceof List<?> list) {
                list.forEach(entry -> ((Map<?, ?>) entry).forEach((name, def) -> fields.put((String) name, def)));
            }
            given.forEach((key, v) -> {
                String keyPath = path.isEmpty() ? String.valueOf(key) : path + "." + key;
                if (!fields.containsKey(String.valueOf(key))) {
                    errors.put(keyPath, io.kongjava.catalogue.KongSchemaRules.UNKNOWN_FIELD);
                } else {
                    unknownFields(fields.get(String.valueOf(key)), v, keyPath, errors);
                }
            });
        } else if (value instanceof List<?> elements && definition.get("elements") != null) {
            for (int i = 0; i < elements.size(); i++) {
                unknownFields(definition.get("elements"), elements.get(i), path + "." + (i + 1), errors);
            }
        } else if (value instanceof Map<?, ?> entries && definition.get("values") != null) {
            entries.forEach((key, v) -> unknownFields(definition.get("values"), v, path + "." + key, errors));
        }
    }

    private io.kongjava.relay.AfterAccess.RelaySource relays = io.kongjava.relay.ResponseRelay::shared;

    /**
     * The relay a plugin's response filter joins after its access phase (the process's shared one unless
     * given): Kong's proxying is then a call to {@code run.upstream()}'s target, as in the plugin server.
     */
    public PluginTester<C> relay(io.kongjava.relay.ResponseRelay relay) {
        this.relays = () -> relay;
        return this;
    }

    /** The exchange a plugin that {@link UsesRequestExchange} is given (the process's shared one unless this). */
    public PluginTester<C> exchange(RequestExchange exchange) {
        this.exchange = exchange;
        if (plugin instanceof UsesRequestExchange user) {
            user.useRequestExchange(exchange);
        }
        return this;
    }

    public PluginDescriptor descriptor() {
        return descriptor;
    }

    private boolean global = true;

    /**
     * The plugin is configured on a Route or a Service, not globally: Kong runs no rewrite phase for it (rewrite runs
     * before routing, for global plugins only), so {@link #run(TestRequest)} starts at access.
     */
    public PluginTester<C> onRouteOrService() {
        this.global = false;
        return this;
    }

    /**
     * Runs the plugin's phases in Kong's order for one request: rewrite (for a global plugin, the default; see
     * {@link #onRouteOrService()}), access, response (the request must then carry the upstream's answer:
     * {@link TestRequest#upstreamResponse}), then log. After an exit, Kong skips to the log phase.
     */
    public TestRun run(TestRequest request) {
        List<Phase> phases = new ArrayList<>();
        for (Phase phase : List.of(Phase.REWRITE, Phase.ACCESS, Phase.RESPONSE, Phase.LOG)) {
            if (descriptor.phases().contains(phase) && (global || phase != Phase.REWRITE)) {
                phases.add(phase);
            }
        }
        return run(request, phases.toArray(Phase[]::new));
    }

    /**
     * The plugin's response filter for {@code request}, ready to be fed: runs the access phase on the emulated
     * Kong as the server would (without a relay: nothing is proxied), then asks the plugin for its filter.
     * Empty when the plugin filters no response, ended the request in access, or has no filter for it.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public java.util.Optional<FilterTester> responseFilter(TestRequest request) throws PdkException {
        if (config == null) {
            throw new IllegalStateException("give the plugin a config first: config(...) or configJson(...)");
        }
        if (!(plugin instanceof io.kongjava.pdk.filter.FiltersResponse filtering)) {
            return java.util.Optional.empty();
        }
        KongRequest state = request.toKongRequest();
        state.upstreamUri = io.kongjava.emulation.KongUri.escape(state.normalizedPath()); // as Kong's router, no strip_path
        PdkEmulator emulator = new PdkEmulator(state);
        emulator.phase(Phase.ACCESS.kongName());
        InProcessBridge bridge = new InProcessBridge(emulator);
        Kong kong = KongPdk.over(bridge);
        Phase.ACCESS.invoke(plugin, kong, config);
        if (state.exit != null) {
            return java.util.Optional.empty();
        }
        java.util.Optional<io.kongjava.pdk.filter.ResponseFilter> filter = filtering.responseFilter(kong, config);
        // as under the server, where the event is over while the answer streams: a filter cannot call the PDK
        bridge.end("the access phase is over; a response filter runs after it");
        return filter == null || state.exit != null ? java.util.Optional.empty() : filter.map(FilterTester::of);
    }

    /** Runs exactly the given phases (those the plugin does not implement are skipped, as Kong would). */
    public TestRun run(TestRequest request, Phase... phases) {
        if (config == null) {
            throw new IllegalStateException("give the plugin a config first: config(...) or configJson(...)");
        }
        KongRequest state = request.toKongRequest();
        state.upstreamUri = io.kongjava.emulation.KongUri.escape(state.normalizedPath()); // as Kong's router, no strip_path
        PdkEmulator emulator = new PdkEmulator(state);
        List<TestRun.Failure> failures = new ArrayList<>();
        List<Phase> ran = new ArrayList<>();
        for (Phase phase : phases) {
            if (!descriptor.phases().contains(phase)) {
                continue;
            }
            if (state.exit != null && phase != Phase.LOG) {
                continue;
            }
            if (phase == Phase.RESPONSE && state.upstreamResponse == null) {
                // under Kong a request that reaches the response phase always has the upstream's answer: skipping the
                // phase quietly would let a test pass without running it
                throw new IllegalStateException(descriptor.name() + " has a response phase and the request reached it, but the test"
                        + " gave no upstream answer: add TestRequest.upstreamResponse(status, headers, body), or name the phases"
                        + " to run with run(request, Phase...)");
            }
            if (phase == Phase.RESPONSE || phase == Phase.LOG) {
                prepareResponse(state);
            }
            emulator.phase(phase.kongName());
            InProcessBridge bridge = new InProcessBridge(emulator);
            Kong kong = KongPdk.over(bridge);
            ran.add(phase);
            try {
                invoke(phase, kong);
                if (phase == Phase.ACCESS && state.exit == null) {
                    io.kongjava.relay.AfterAccess.filter(plugin, descriptor.name(), kong, config, relays);
                }
            } catch (Exception | AssertionError e) {
                failures.add(new TestRun.Failure(phase, e));
                answerFailure(emulator, state, phase, e);
            } finally {
                bridge.end("the " + phase.kongName() + " phase is over"); // as the server's event: later calls fail
            }
        }
        return new TestRun(state, emulator.calls(), failures, ran);
    }

    /**
     * What the plugin server does when a phase throws (its PhaseFailure): the failure goes to Kong's error log with
     * {@code kong.log.err}, and in rewrite, access and response the request ends with {@code kong.response.error(500)}, so the
     * test sees the 500 the client would get and the later phases do not run.
     */
    private void answerFailure(PdkEmulator emulator, KongRequest state, Phase phase, Throwable failure) {
        if (state.exit != null) {
            return;
        }
        emulator.answer(io.kongjava.catalogue.PdkFunction.LOG_ERR.kongName(),
                List.of("plugin " + descriptor.name() + " failed in " + phase.kongName() + ": " + failure));
        if (phase == Phase.REWRITE || phase == Phase.ACCESS || phase == Phase.RESPONSE) {
            emulator.answer(io.kongjava.catalogue.PdkFunction.RESPONSE_ERROR.kongName(), List.of(500L));
        }
    }

    private static void prepareResponse(KongRequest state) {
        if (state.exit != null) {
            state.responseStatus = state.exit.status();
            state.exit.headers().forEach(state.responseHeaders::put); // Kong's send writes the exit's headers last
        } else if (state.upstreamResponse != null) {
            state.responseStatus = state.upstreamResponse.status();
            // Kong.response() sets the upstream's headers over what the plugins set in access (kong/init.lua)
            state.upstreamResponse.headers().forEach(state.responseHeaders::put);
            state.upstreamStatus = String.valueOf(state.upstreamResponse.status());
            String query = state.upstream.rawQuery != null ? state.upstream.rawQuery : state.rawQuery;
            if (!query.isEmpty() && !state.upstreamUri.contains("?")) {
                state.upstreamUri += "?" + query; // Kong's access.after
            }
        } else if (state.responseStatus == 0) {
            state.responseStatus = 200;
        }
    }

    private void invoke(Phase phase, Kong kong) throws PdkException {
        phase.invoke(plugin, kong, config);
    }

    /** The plugin server's bridge, minus the socket: values take a MessagePack round trip each way. */
    private static final class InProcessBridge implements Bridge {
        private final PdkEmulator kong;
        private String endedBy;

        InProcessBridge(PdkEmulator kong) {
            this.kong = kong;
        }

        @Override
        public java.util.Optional<io.kongjava.catalogue.KongPhase> phase() {
            return java.util.Optional.of(kong.currentPhase());
        }

        @Override
        public Object call(String method, List<?> args) throws PdkException {
            checkOpen(method);
            PdkAnswer answer = kong.answer(method, wire(args));
            return switch (answer) {
                case PdkAnswer.Value value -> roundTrip(value.value());
                case PdkAnswer.Terminal terminal -> {
                    endedBy = method + " was called";
                    yield null;
                }
                case PdkAnswer.Raised raised -> {
                    endedBy = "Kong raised in " + method;
                    throw new PdkException(method, "Kong raised: " + raised.message()
                            + " (in Kong this kills the phase handler and the request goes on without it)");
                }
            };
        }

        @Override
        public void callTerminal(String method, List<?> args) throws PdkException {
            checkOpen(method);
            PdkAnswer answer = kong.answer(method, wire(args));
            if (answer instanceof PdkAnswer.Raised raised) {
                endedBy = "Kong raised in " + method;
                throw new PdkException(method, "Kong raised: " + raised.message());
            }
            endedBy = method + " was called";
        }

        void end(String why) {
            if (endedBy == null) {
                endedBy = why;
            }
        }

        private void checkOpen(String method) throws PdkException {
            if (endedBy != null) {
                throw new PdkException(method, "the event is over (" + endedBy + ")");
            }
        }

        @SuppressWarnings("unchecked")
        private static List<Object> wire(List<?> args) {
            return (List<Object>) roundTrip(args == null ? List.of() : args);
        }

        private static Object roundTrip(Object value) {
            return MsgPackValues.acrossTheWire(value);
        }
    }
}
