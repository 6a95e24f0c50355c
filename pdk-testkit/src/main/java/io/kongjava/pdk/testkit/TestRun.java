package io.kongjava.pdk.testkit;

import io.kongjava.emulation.KongRequest;
import io.kongjava.emulation.LogSerializer;
import io.kongjava.pdk.Phase;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What a plugin asked Kong to do while the test kit ran its phases. */
public final class TestRun {

    /** The response a plugin ended the request with ({@code kong.response.exit} or {@code error}). */
    public record Exit(int status, Map<String, List<String>> headers, String body) {
    }

    /** A phase handler that threw, or a PDK call Kong would have refused (which kills the handler in Kong). */
    public record Failure(Phase phase, Throwable error) {
    }

    private final KongRequest request;
    private final List<String> calls;
    private final List<Failure> failures;
    private final List<Phase> phasesRun;

    TestRun(KongRequest request, List<String> calls, List<Failure> failures, List<Phase> phasesRun) {
        this.request = request;
        this.calls = List.copyOf(calls);
        this.failures = List.copyOf(failures);
        this.phasesRun = List.copyOf(phasesRun);
    }

    public Optional<Exit> exit() {
        KongRequest.Exit exit = request.exit;
        return exit == null ? Optional.empty()
                : Optional.of(new Exit(exit.status(), exit.headers(), new String(exit.body(), StandardCharsets.UTF_8)));
    }

    /** The upstream request as plugins left it: target, path, headers set (an empty list = cleared), body. */
    public KongRequest.Upstream upstream() {
        return request.upstream;
    }

    /** Headers plugins set on the response to the client. */
    public Map<String, List<String>> responseHeaders() {
        return request.responseHeaders;
    }

    public List<KongRequest.LogLine> logs() {
        return request.logLines;
    }

    /** What {@code kong.log.serialize()} gives after this run, serialize values included. */
    public Map<String, Object> serialized() {
        return LogSerializer.serialize(request);
    }

    public Map<String, Object> ctxShared() {
        return request.ctxShared;
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

    /** The request state, for assertions this class does not cover. */
    public KongRequest kongRequest() {
        return request;
    }
}
