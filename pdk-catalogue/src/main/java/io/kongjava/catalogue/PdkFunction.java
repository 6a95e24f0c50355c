package io.kongjava.catalogue;

import static io.kongjava.catalogue.KongPhase.ACCESS_ONLY;
import static io.kongjava.catalogue.KongPhase.AUTHENTICATED;
import static io.kongjava.catalogue.KongPhase.BALANCER;
import static io.kongjava.catalogue.KongPhase.CERTIFICATE;
import static io.kongjava.catalogue.KongPhase.CERTIFICATE_ONLY;
import static io.kongjava.catalogue.KongPhase.CONNECTION;
import static io.kongjava.catalogue.KongPhase.EVERY;
import static io.kongjava.catalogue.KongPhase.LOG;
import static io.kongjava.catalogue.KongPhase.LOG_ONLY;
import static io.kongjava.catalogue.KongPhase.PREREAD_ONLY;
import static io.kongjava.catalogue.KongPhase.REQUEST;
import static io.kongjava.catalogue.KongPhase.RESPONSE_ONLY;
import static io.kongjava.catalogue.KongPhase.SERVICE_REQUEST;
import static io.kongjava.catalogue.PdkFunction.Flag.LOG_SNAPSHOT;
import static io.kongjava.catalogue.PdkFunction.Flag.TERMINAL;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Every function of Kong's PDK (kong/pdk/*.lua, and what kong/runloop/plugin_servers adds for external
 * plugins), as an external plugin sees it: the phases it may be called in, the Step method Kong sends its
 * answer with, whether Kong answers it from the request it saved for the log timer, whether it ends the
 * request, and the ranges Kong enforces on its arguments (a value out of range raises in Kong, killing the
 * phase). The plugin-side bridge, the emulation of Kong and both ends of the protocol read this; when Kong
 * adds a function, this is the one place to add it.
 *
 * <p>{@link #phases()} are where the call works for an external plugin: Kong's own phase list for the
 * function, cut to the phases Kong hands external plugins, and without {@code log} where the function needs
 * the live request (Kong runs an external log handler in a timer; see {@link #logSnapshot()}). For the
 * functions the Java PDK does not offer ({@link Note.Kind#NOT_OFFERED}) the phases are Kong's documented
 * ones where Kong's open-source PDK has the function, and every phase for Kong Enterprise's.
 */
public enum PdkFunction {
    // kong.client
    CLIENT_GET_IP("kong.client.get_ip", CONNECTION),
    CLIENT_GET_FORWARDED_IP("kong.client.get_forwarded_ip", CONNECTION),
    CLIENT_GET_PORT("kong.client.get_port", CONNECTION),
    CLIENT_GET_FORWARDED_PORT("kong.client.get_forwarded_port", CONNECTION),
    CLIENT_GET_CREDENTIAL("kong.client.get_credential", AUTHENTICATED, LOG_SNAPSHOT, answer(RpcMethod.STEP_CREDENTIAL)),
    CLIENT_GET_CONSUMER("kong.client.get_consumer", AUTHENTICATED, LOG_SNAPSHOT, answer(RpcMethod.STEP_CONSUMER)),
    CLIENT_LOAD_CONSUMER("kong.client.load_consumer", AUTHENTICATED, LOG_SNAPSHOT, answer(RpcMethod.STEP_CONSUMER)),
    CLIENT_AUTHENTICATE("kong.client.authenticate", ACCESS_ONLY, answer(RpcMethod.STEP_CREDENTIAL)),
    CLIENT_GET_PROTOCOL("kong.client.get_protocol", AUTHENTICATED),
    CLIENT_GET_CONSUMER_GROUP("kong.client.get_consumer_group", AUTHENTICATED, notOffered("consumer groups are a Kong Enterprise feature")),
    CLIENT_GET_CONSUMER_GROUPS("kong.client.get_consumer_groups", AUTHENTICATED, notOffered("consumer groups are a Kong Enterprise feature")),
    CLIENT_SET_AUTHENTICATED_CONSUMER_GROUP("kong.client.set_authenticated_consumer_group", ACCESS_ONLY,
            notOffered("consumer groups are a Kong Enterprise feature")),
    CLIENT_SET_AUTHENTICATED_CONSUMER_GROUPS("kong.client.set_authenticated_consumer_groups", ACCESS_ONLY,
            notOffered("consumer groups are a Kong Enterprise feature")),
    CLIENT_AUTHENTICATE_CONSUMER_GROUP_BY_CONSUMER_ID("kong.client.authenticate_consumer_group_by_consumer_id", ACCESS_ONLY,
            notOffered("consumer groups are a Kong Enterprise feature")),
    CLIENT_TLS_REQUEST_CLIENT_CERTIFICATE("kong.client.tls.request_client_certificate", CERTIFICATE_ONLY),
    CLIENT_TLS_DISABLE_SESSION_REUSE("kong.client.tls.disable_session_reuse", CERTIFICATE_ONLY),
    CLIENT_TLS_GET_FULL_CLIENT_CERTIFICATE_CHAIN("kong.client.tls.get_full_client_certificate_chain", KongPhase.SERVICE_REQUEST),
    CLIENT_TLS_SET_CLIENT_VERIFY("kong.client.tls.set_client_verify", KongPhase.SERVICE_REQUEST),

    // kong.cluster, kong.ctx, kong.ip, kong.node, kong.plugin
    CLUSTER_GET_ID("kong.cluster.get_id", EVERY),
    CTX_SHARED_GET("kong.ctx.shared.get", EVERY, LOG_SNAPSHOT),
    CTX_SHARED_SET("kong.ctx.shared.set", EVERY, LOG_SNAPSHOT),
    IP_IS_TRUSTED("kong.ip.is_trusted", EVERY),
    NODE_GET_ID("kong.node.get_id", EVERY),
    NODE_GET_HOSTNAME("kong.node.get_hostname", EVERY),
    NODE_GET_MEMORY_STATS("kong.node.get_memory_stats", EVERY, answer(RpcMethod.STEP_MEMORY_STATS)),
    PLUGIN_GET_ID("kong.plugin.get_id", REQUEST, LOG_SNAPSHOT, Flag.ANSWERED_FROM_INSTANCE_CONFIG),

    // kong.log
    LOG_EMERG("kong.log.emerg", EVERY, notInTypings("log.lua makes one function per nginx level; the typings leave emerg out")),
    LOG_ALERT("kong.log.alert", EVERY),
    LOG_CRIT("kong.log.crit", EVERY),
    LOG_ERR("kong.log.err", EVERY),
    LOG_WARN("kong.log.warn", EVERY),
    LOG_NOTICE("kong.log.notice", EVERY),
    LOG_INFO("kong.log.info", EVERY),
    LOG_DEBUG("kong.log.debug", EVERY),
    LOG_DEPRECATION("kong.log.deprecation", EVERY),
    LOG_SET_SERIALIZE_VALUE("kong.log.set_serialize_value", KongPhase.frozenOf(CERTIFICATE, KongPhase.REWRITE, KongPhase.ACCESS, KongPhase.RESPONSE, LOG)),
    LOG_SERIALIZE("kong.log.serialize", LOG_ONLY),

    // kong.nginx
    NGINX_GET_SUBSYSTEM("kong.nginx.get_subsystem", EVERY),
    NGINX_GET_VAR("kong.nginx.get_var", CONNECTION),
    NGINX_GET_TLS1_VERSION_STR("kong.nginx.get_tls1_version_str", EVERY,
            notInTypings("added for external plugins by kong/runloop/plugin_servers, which the typings do not read")),
    NGINX_GET_CTX("kong.nginx.get_ctx", EVERY, LOG_SNAPSHOT),
    NGINX_SET_CTX("kong.nginx.set_ctx", EVERY, LOG_SNAPSHOT),
    NGINX_REQ_START_TIME("kong.nginx.req_start_time", EVERY, LOG_SNAPSHOT),
    NGINX_GET_STATISTICS("kong.nginx.get_statistics", EVERY),
    NGINX_SHARED_GET("kong.nginx.shared.get", EVERY, notOffered("Kong Enterprise only; a shared dict holds Lua values a plugin server cannot share")),
    NGINX_SHARED_SET("kong.nginx.shared.set", EVERY, notOffered("Kong Enterprise only; a shared dict holds Lua values a plugin server cannot share")),

    // kong.request
    REQUEST_GET_SCHEME("kong.request.get_scheme", REQUEST),
    REQUEST_GET_HOST("kong.request.get_host", REQUEST),
    REQUEST_GET_PORT("kong.request.get_port", CONNECTION),
    REQUEST_GET_FORWARDED_SCHEME("kong.request.get_forwarded_scheme", REQUEST),
    REQUEST_GET_FORWARDED_HOST("kong.request.get_forwarded_host", REQUEST),
    REQUEST_GET_FORWARDED_PORT("kong.request.get_forwarded_port", REQUEST),
    REQUEST_GET_FORWARDED_PATH("kong.request.get_forwarded_path", REQUEST),
    REQUEST_GET_FORWARDED_PREFIX("kong.request.get_forwarded_prefix", REQUEST),
    REQUEST_GET_HTTP_VERSION("kong.request.get_http_version", REQUEST),
    REQUEST_GET_METHOD("kong.request.get_method", REQUEST),
    REQUEST_GET_PATH("kong.request.get_path", REQUEST),
    REQUEST_GET_RAW_PATH("kong.request.get_raw_path", REQUEST),
    REQUEST_GET_PATH_WITH_QUERY("kong.request.get_path_with_query", REQUEST),
    REQUEST_GET_RAW_QUERY("kong.request.get_raw_query", REQUEST),
    REQUEST_GET_QUERY_ARG("kong.request.get_query_arg", REQUEST),
    REQUEST_GET_QUERY("kong.request.get_query", REQUEST, answer(RpcMethod.STEP_MULTI_MAP), range(1, "max_args", 1, 1000)),
    REQUEST_GET_HEADER("kong.request.get_header", REQUEST, LOG_SNAPSHOT),
    REQUEST_GET_HEADERS("kong.request.get_headers", REQUEST, LOG_SNAPSHOT, answer(RpcMethod.STEP_MULTI_MAP), range(1, "max_headers", 1, 1000)),
    REQUEST_GET_RAW_BODY("kong.request.get_raw_body", REQUEST, range(1, "max_allowed_file_size", 0, Long.MAX_VALUE)),
    REQUEST_GET_BODY("kong.request.get_body", REQUEST),
    REQUEST_GET_START_TIME("kong.request.get_start_time", REQUEST, LOG_SNAPSHOT),
    REQUEST_GET_URI_CAPTURES("kong.request.get_uri_captures", REQUEST, LOG_SNAPSHOT),

    // kong.response
    RESPONSE_GET_STATUS("kong.response.get_status", RESPONSE_ONLY, LOG_SNAPSHOT),
    RESPONSE_GET_HEADER("kong.response.get_header", RESPONSE_ONLY, LOG_SNAPSHOT),
    RESPONSE_GET_HEADERS("kong.response.get_headers", RESPONSE_ONLY, LOG_SNAPSHOT, answer(RpcMethod.STEP_MULTI_MAP), range(1, "max_headers", 1, 1000)),
    RESPONSE_GET_SOURCE("kong.response.get_source", RESPONSE_ONLY, LOG_SNAPSHOT),
    RESPONSE_SET_STATUS("kong.response.set_status", REQUEST, range(1, "status", 100, 599)),
    RESPONSE_SET_HEADER("kong.response.set_header", REQUEST),
    RESPONSE_ADD_HEADER("kong.response.add_header", REQUEST),
    RESPONSE_CLEAR_HEADER("kong.response.clear_header", REQUEST),
    RESPONSE_SET_HEADERS("kong.response.set_headers", REQUEST),
    RESPONSE_EXIT("kong.response.exit", REQUEST, TERMINAL, range(1, "status", 100, 599)),
    RESPONSE_ERROR("kong.response.error", REQUEST, TERMINAL, range(1, "status", 400, 599)),

    // kong.router
    ROUTER_GET_ROUTE("kong.router.get_route", AUTHENTICATED, LOG_SNAPSHOT, answer(RpcMethod.STEP_ROUTE)),
    ROUTER_GET_SERVICE("kong.router.get_service", AUTHENTICATED, LOG_SNAPSHOT, answer(RpcMethod.STEP_SERVICE)),

    // kong.service
    SERVICE_SET_UPSTREAM("kong.service.set_upstream", ACCESS_ONLY),
    SERVICE_SET_TARGET("kong.service.set_target", BALANCER, range(2, "port", 0, 65535)),
    SERVICE_SET_TARGET_RETRY_CALLBACK("kong.service.set_target_retry_callback", ACCESS_ONLY,
            notOffered("its argument is a Lua function, which cannot cross the socket")),
    SERVICE_SET_RETRIES("kong.service.set_retries", ACCESS_ONLY, range(1, "retries", 0, 32767)),
    SERVICE_SET_TIMEOUTS("kong.service.set_timeouts", ACCESS_ONLY, range(1, "connect_timeout", 1, 2147483646),
            range(2, "write_timeout", 1, 2147483646), range(3, "read_timeout", 1, 2147483646)),
    SERVICE_SET_TLS_VERIFY("kong.service.set_tls_verify", BALANCER),
    SERVICE_SET_TLS_VERIFY_DEPTH("kong.service.set_tls_verify_depth", BALANCER),

    // kong.service.request
    SERVICE_REQUEST_ENABLE_BUFFERING("kong.service.request.enable_buffering", SERVICE_REQUEST),
    SERVICE_REQUEST_SET_SCHEME("kong.service.request.set_scheme", SERVICE_REQUEST, oneOf(1, "scheme", "http", "https")),
    SERVICE_REQUEST_SET_PATH("kong.service.request.set_path", SERVICE_REQUEST, startsWith(1, "path", "/")),
    SERVICE_REQUEST_SET_RAW_QUERY("kong.service.request.set_raw_query", SERVICE_REQUEST),
    SERVICE_REQUEST_SET_METHOD("kong.service.request.set_method", SERVICE_REQUEST, oneOf(1, "method", "GET", "HEAD", "PUT", "POST",
            "DELETE", "OPTIONS", "MKCOL", "COPY", "MOVE", "PROPFIND", "PROPPATCH", "LOCK", "UNLOCK", "PATCH", "TRACE")),
    SERVICE_REQUEST_SET_QUERY("kong.service.request.set_query", SERVICE_REQUEST),
    SERVICE_REQUEST_CLEAR_QUERY_ARG("kong.service.request.clear_query_arg", SERVICE_REQUEST,
            notInTypings("added in Kong 3.9; the typings are of Kong 3.8")),
    SERVICE_REQUEST_SET_HEADER("kong.service.request.set_header", SERVICE_REQUEST),
    SERVICE_REQUEST_ADD_HEADER("kong.service.request.add_header", SERVICE_REQUEST),
    SERVICE_REQUEST_CLEAR_HEADER("kong.service.request.clear_header", SERVICE_REQUEST),
    SERVICE_REQUEST_SET_HEADERS("kong.service.request.set_headers", SERVICE_REQUEST),
    SERVICE_REQUEST_SET_RAW_BODY("kong.service.request.set_raw_body", SERVICE_REQUEST),
    SERVICE_REQUEST_SET_BODY("kong.service.request.set_body", SERVICE_REQUEST),
    SERVICE_REQUEST_ENABLE_TLS("kong.service.request.enable_tls", PREREAD_ONLY,
            notInTypings("Kong documents only disable_tls; enable_tls is its undocumented twin")),
    SERVICE_REQUEST_DISABLE_TLS("kong.service.request.disable_tls", PREREAD_ONLY),

    // kong.service.response
    SERVICE_RESPONSE_GET_STATUS("kong.service.response.get_status", RESPONSE_ONLY),
    SERVICE_RESPONSE_GET_HEADER("kong.service.response.get_header", RESPONSE_ONLY),
    SERVICE_RESPONSE_GET_HEADERS("kong.service.response.get_headers", RESPONSE_ONLY, answer(RpcMethod.STEP_MULTI_MAP),
            range(1, "max_headers", 1, 1000)),
    SERVICE_RESPONSE_GET_RAW_BODY("kong.service.response.get_raw_body", RESPONSE_ONLY),
    SERVICE_RESPONSE_GET_BODY("kong.service.response.get_body", RESPONSE_ONLY),

    // kong.vault
    VAULT_GET("kong.vault.get", EVERY),
    VAULT_IS_REFERENCE("kong.vault.is_reference", EVERY),
    VAULT_PARSE_REFERENCE("kong.vault.parse_reference", EVERY),
    VAULT_UPDATE("kong.vault.update", EVERY),
    VAULT_FLUSH("kong.vault.flush", EVERY, notOffered("maintains Kong's worker-wide vault cache, not a plugin's business")),
    VAULT_INIT_WORKER("kong.vault.init_worker", EVERY, notOffered("called by Kong when a worker starts")),
    VAULT_WARMUP("kong.vault.warmup", EVERY, notOffered("called by Kong on its configuration")),

    // kong.telemetry, kong.enterprise_edition
    TELEMETRY_LOG("kong.telemetry.log", EVERY, notOffered("it hands a plugin's log to Kong's OpenTelemetry plugin, inside Kong")),
    ENTERPRISE_EDITION_JWE_DECODE("kong.enterprise_edition.jwe.decode", EVERY, notOffered("Kong Enterprise only")),
    ENTERPRISE_EDITION_JWE_DECRYPT("kong.enterprise_edition.jwe.decrypt", EVERY, notOffered("Kong Enterprise only")),
    ENTERPRISE_EDITION_JWE_ENCRYPT("kong.enterprise_edition.jwe.encrypt", EVERY, notOffered("Kong Enterprise only"));

    /** Something the catalogue says about a function besides its name and phases. */
    public sealed interface Trait permits Flag, Answer, ArgRange, ArgText, Note {
    }

    public enum Flag implements Trait {
        /** Kong answers it in the log timer from what it saved of the request (plugin_servers' saved data). */
        LOG_SNAPSHOT,
        /** Ends the request: Kong never answers it with a Step. */
        TERMINAL,
        /**
         * Kong's answer is already in the configuration it started the instance with (Kong adds the plugin
         * entity's id to it as {@code __plugin_id}), so a plugin server may answer it without the round trip.
         */
        ANSWERED_FROM_INSTANCE_CONFIG
    }

    /** The Step method Kong answers with, where it is not the plain {@code plugin.Step}. */
    public record Answer(RpcMethod step) implements Trait {
    }

    /** Kong raises unless argument {@code position} (from 1, as Lua counts) is within {@code min..max}. */
    public record ArgRange(int position, String name, long min, long max) implements Trait {
    }

    /**
     * Kong raises unless string argument {@code position} is one of {@code values} (exactly, case included) or, with
     * {@code prefix} set, starts with it: {@code set_method("get")} and {@code set_path("v1")} kill the phase.
     */
    public record ArgText(int position, String name, List<String> values, String prefix) implements Trait {
        boolean accepts(String value) {
            return prefix != null ? value.startsWith(prefix) : values.contains(value);
        }

        String mistake(String function, String value) {
            return function + ": " + name + (prefix != null ? " must start with " + prefix : " must be one of " + String.join(", ", values))
                    + ", got '" + value + "'";
        }
    }

    /** Why a function is missing from kong-pdk's typings, or why the Java PDK does not offer it. */
    public record Note(Kind kind, String why) implements Trait {
        public enum Kind { NOT_IN_TYPINGS, NOT_OFFERED }
    }

    private static final Map<String, PdkFunction> BY_KONG_NAME =
            Stream.of(values()).collect(Collectors.toUnmodifiableMap(PdkFunction::kongName, Function.identity()));

    private final String kongName;
    private final Set<KongPhase> phases;
    private final RpcMethod step;
    private final boolean logSnapshot;
    private final boolean terminal;
    private final List<ArgRange> ranges;
    private final List<ArgText> texts;
    private final Note note;
    private final boolean answeredFromInstanceConfig;

    PdkFunction(String kongName, Set<KongPhase> phases, Trait... traits) {
        this.kongName = kongName;
        this.phases = phases;
        RpcMethod answeredBy = RpcMethod.STEP;
        boolean snapshot = false;
        boolean ends = false;
        List<ArgRange> argRanges = new ArrayList<>();
        List<ArgText> argTexts = new ArrayList<>();
        Note why = null;
        boolean fromConfig = false;
        for (Trait trait : traits) {
            switch (trait) {
                case Flag f when f == LOG_SNAPSHOT -> snapshot = true;
                case Flag f when f == TERMINAL -> ends = true;
                case Flag f -> fromConfig = true;
                case Answer a -> answeredBy = a.step();
                case ArgRange r -> argRanges.add(r);
                case ArgText t -> argTexts.add(t);
                case Note n -> why = n;
            }
        }
        this.step = answeredBy;
        this.logSnapshot = snapshot;
        this.terminal = ends;
        this.ranges = List.copyOf(argRanges);
        this.texts = List.copyOf(argTexts);
        this.note = why;
        this.answeredFromInstanceConfig = fromConfig;
    }

    /** Kong's name, e.g. {@code kong.request.get_header}: what a PDK call's Method carries. */
    public String kongName() {
        return kongName;
    }

    /** The phases an external plugin may call it in (see the class comment). */
    public Set<KongPhase> phases() {
        return phases;
    }

    /** The Step method Kong sends the answer with. */
    public RpcMethod step() {
        return step;
    }

    /** Whether Kong answers it in an external plugin's log handler from the request it saved for the timer. */
    public boolean logSnapshot() {
        return logSnapshot;
    }

    /** Whether it ends the request ({@code kong.response.exit}, {@code kong.response.error}). */
    public boolean terminal() {
        return terminal;
    }

    public List<ArgRange> ranges() {
        return ranges;
    }

    /** Why it is missing from the typings or not offered; empty for an ordinary function. */
    public Optional<Note> note() {
        return Optional.ofNullable(note);
    }

    /** Whether the Java PDK offers it to plugins. */
    public boolean offered() {
        return note == null || note.kind() != Note.Kind.NOT_OFFERED;
    }

    /** Whether an external plugin's call in {@code phase} is answered rather than raising in Kong. */
    public boolean callableIn(KongPhase phase) {
        return phases.contains(phase) || (phase == LOG && logSnapshot);
    }

    /**
     * What Kong raises when an external plugin calls it in {@code phase}, or empty where Kong answers it. Kong's raise
     * kills the phase handler: Kong never answers the call and the event is abandoned.
     */
    public Optional<String> refusalIn(KongPhase phase) {
        if (callableIn(phase)) {
            return Optional.empty();
        }
        if (phase == LOG) {
            return Optional.of("API disabled in the context of log (Kong runs external log handlers in a timer)");
        }
        return Optional.of("function cannot be called in " + phase.kongName() + " phase (only in: "
                + String.join(", ", phases.stream().map(KongPhase::kongName).sorted().toList()) + ")");
    }

    /** The range Kong enforces on argument {@code position} (from 1), if any. */
    public Optional<ArgRange> range(int position) {
        for (ArgRange r : ranges) {
            if (r.position() == position) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    /**
     * {@code value} when argument {@code position} is within Kong's range for it; otherwise the mistake,
     * refused before it reaches Kong (where it would kill the phase).
     */
    public long checked(int position, long value) {
        for (ArgRange r : ranges) {
            if (r.position() == position && (value < r.min() || value > r.max())) {
                String bound = r.max() == Long.MAX_VALUE ? "at least " + r.min() : "between " + r.min() + " and " + r.max();
                throw new IllegalArgumentException(kongName + ": " + r.name() + " must be " + bound + ", got " + value);
            }
        }
        return value;
    }

    /**
     * {@code value} when string argument {@code position} is one Kong takes; otherwise the mistake, refused before it
     * reaches Kong (where it would kill the phase, and the event would wait for an answer that never comes).
     */
    public String checked(int position, String value) {
        for (ArgText t : texts) {
            if (t.position() == position && !t.accepts(value)) {
                throw new IllegalArgumentException(t.mistake(kongName, value));
            }
        }
        return value;
    }

    /** The first of Kong's rules that {@code args} (as they cross the wire) break, as a message; empty when none is. */
    public Optional<String> mistakeIn(List<?> args) {
        for (ArgRange r : ranges) {
            if (r.position() <= args.size() && args.get(r.position() - 1) instanceof Number n
                    && (n.longValue() < r.min() || n.longValue() > r.max() || n.doubleValue() != Math.floor(n.doubleValue()))) {
                return Optional.of(r.name() + " must be an integer between " + r.min() + " and " + r.max() + ": given " + n);
            }
        }
        for (ArgText t : texts) {
            if (t.position() <= args.size() && args.get(t.position() - 1) instanceof String text && !t.accepts(text)) {
                return Optional.of(t.prefix() != null ? t.name() + " must start with " + t.prefix() : "invalid " + t.name() + ": " + text);
            }
        }
        return Optional.empty();
    }

    /** {@link #checked(int, long)} for an int argument. */
    public int checked(int position, int value) {
        checked(position, (long) value);
        return value;
    }

    public static Optional<PdkFunction> byKongName(String kongName) {
        return Optional.ofNullable(lookup(kongName));
    }

    /** The function named {@code kongName}, or null; for the paths that run once per PDK call. */
    private static PdkFunction lookup(String kongName) {
        return kongName == null ? null : BY_KONG_NAME.get(kongName);
    }

    /** The Step method Kong answers {@code kongName} with; {@code plugin.Step} for names it does not know. */
    public static RpcMethod stepFor(String kongName) {
        PdkFunction f = lookup(kongName);
        return f == null ? RpcMethod.STEP : f.step;
    }

    /**
     * Whether Kong may take seconds over {@code kongName} without having failed: it reads the client's body, or asks a
     * database or a vault. Any other call Kong answers at once unless the function raised (and then never).
     */
    public static boolean mayTakeLong(String kongName) {
        PdkFunction f = lookup(kongName);
        return f == REQUEST_GET_RAW_BODY || f == REQUEST_GET_BODY || f == CLIENT_LOAD_CONSUMER || f == VAULT_GET || f == VAULT_UPDATE
                || f == CLIENT_AUTHENTICATE_CONSUMER_GROUP_BY_CONSUMER_ID;
    }

    /** See {@link Flag#ANSWERED_FROM_INSTANCE_CONFIG}. */
    public static boolean answeredFromInstanceConfig(String kongName) {
        PdkFunction f = lookup(kongName);
        return f != null && f.answeredFromInstanceConfig;
    }

    /** Whether {@code kongName} ends the request. */
    public static boolean isTerminal(String kongName) {
        PdkFunction f = lookup(kongName);
        return f != null && f.terminal;
    }

    private static Answer answer(RpcMethod step) {
        return new Answer(step);
    }

    private static ArgRange range(int position, String name, long min, long max) {
        return new ArgRange(position, name, min, max);
    }

    private static ArgText oneOf(int position, String name, String... values) {
        return new ArgText(position, name, List.of(values), null);
    }

    private static ArgText startsWith(int position, String name, String prefix) {
        return new ArgText(position, name, List.of(), prefix);
    }

    private static Note notOffered(String why) {
        return new Note(Note.Kind.NOT_OFFERED, why);
    }

    private static Note notInTypings(String why) {
        return new Note(Note.Kind.NOT_IN_TYPINGS, why);
    }
}
