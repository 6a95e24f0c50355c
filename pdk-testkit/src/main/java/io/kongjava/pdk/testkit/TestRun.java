package io.kongjava.pdk.testkit;

import io.kongjava.emulation.KongRequest;
import io.kongjava.emulation.LogSerializer;
import io.kongjava.emulation.WireText;
import io.kongjava.pdk.Phase;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a plugin asked Kong to do while the test kit ran its phases: a snapshot taken when the run ended,
 * not the emulator's request state.
 */
public final class TestRun {

    /** The response a plugin ended the request with ({@code kong.response.exit} or {@code error}); headers by case-insensitive name. */
    public record Exit(int status, Map<String, List<String>> headers, String body) {
    }

    /** A phase handler that threw, or a PDK call Kong would have refused (which kills the handler in Kong). */
    public record Failure(Phase phase, Throwable error) {
    }

    /**
     * The request Kong would send upstream as plugins left it.
     *
     * @param headers     the headers plugins set, by case-insensitive name; an empty list means cleared
     * @param rawQuery    the query plugins set; empty when the client's goes upstream unchanged
     * @param body        the body plugins set; empty when the client's goes upstream unchanged
     * @param targetHost  the host {@code kong.service.set_target} chose, bypassing the service's host
     * @param tlsVerify   what {@code kong.service.set_tls_verify} chose, if it was called
     */
    public record Upstream(String scheme, String host, int port, String method, String path, Optional<String> rawQuery,
                           Map<String, List<String>> headers, Optional<byte[]> body, Optional<String> targetHost,
                           int targetPort, boolean buffering, int retries, int connectTimeoutMs, int writeTimeoutMs,
                           int readTimeoutMs, Optional<Boolean> tlsVerify) {
    }

    /** A line a plugin wrote to Kong's error log, at Kong's level name ({@code err}, {@code info}, ...). */
    public record LogLine(String level, String message) {
    }

    private final Optional<Exit> exit;
    private final Upstream upstream;
    private final Map<String, List<String>> responseHeaders;
    private final List<LogLine> logs;
    private final KongRequest finished;
    private final Map<String, Object> ctxShared;
    private final List<String> calls;
    private final List<Failure> failures;
    private final List<Phase> phasesRun;

    TestRun(KongRequest request, List<String> calls, List<Failure> failures, List<Phase> phasesRun) {
        KongRequest.Exit exit = request.exit;
        this.exit = exit == null ? Optional.empty()
                : Optional.of(new Exit(exit.status(), copy(exit.headers()), new String(exit.body(), StandardCharsets.UTF_8)));
        KongRequest.Upstream up = request.upstream;
        this.upstream = new Upstream(up.scheme, up.host, up.port, up.method, WireText.text(up.path), Optional.ofNullable(WireText.text(up.rawQuery)),
                copy(up.headers), Optional.ofNullable(up.body).map(byte[]::clone), Optional.ofNullable(up.targetHost),
                up.targetPort, up.buffering, up.retries, up.connectTimeoutMs, up.writeTimeoutMs, up.readTimeoutMs,
                Optional.ofNullable(up.tlsVerify));
        this.responseHeaders = copy(request.responseHeaders);
        this.logs = request.logLines.stream().map(line -> new LogLine(line.level(), line.message())).toList();
        this.finished = request;
        this.ctxShared = Collections.unmodifiableMap(new LinkedHashMap<>(request.ctxShared));
        this.calls = List.copyOf(calls);
        this.failures = List.copyOf(failures);
        this.phasesRun = List.copyOf(phasesRun);
    }

    /** Header names are case-insensitive, as in HTTP and in Kong's PDK: {@code get("WWW-Authenticate")} finds {@code www-authenticate}. */
    private static Map<String, List<String>> copy(Map<String, List<String>> headers) {
        Map<String, List<String>> copy = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.forEach((name, values) -> copy.put(name, WireText.text(values)));
        return Collections.unmodifiableMap(copy);
    }

    public Optional<Exit> exit() {
        return exit;
    }

    public Upstream upstream() {
        return upstream;
    }

    /** Headers plugins set on the response to the client, by case-insensitive name. */
    public Map<String, List<String>> responseHeaders() {
        return responseHeaders;
    }

    public List<LogLine> logs() {
        return logs;
    }

    /** What {@code kong.log.serialize()} gives after this run, serialize values included. */
    public Map<String, Object> serialized() {
        return Collections.unmodifiableMap(LogSerializer.serialize(finished));
    }

    /** {@code kong.ctx.shared} as plugins left it (values Kong could carry: strings, numbers, booleans, tables). */
    public Map<String, Object> ctxShared() {
        return ctxShared;
    }

    /** Every PDK call in order, as {@code kong.x.y[args]}. */
    public List<String> pdkCalls() {
        return calls;
    }

    public List<Failure> failures() {
        return failures;
    }

    public List<Phase> phasesRun() {
        return phasesRun;
    }
}
