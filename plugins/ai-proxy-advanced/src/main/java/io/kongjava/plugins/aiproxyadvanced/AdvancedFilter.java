package io.kongjava.plugins.aiproxyadvanced;

import io.kongjava.pdk.filter.CallsUpstream;
import io.kongjava.pdk.filter.HttpFields;
import io.kongjava.pdk.filter.ResponseFilter;
import io.kongjava.pdk.filter.StreamEnd;
import io.kongjava.pdk.filter.UpstreamAnswer;
import io.kongjava.pdk.filter.UpstreamRequest;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One accepted request in the server's relay: instead of the relay's single call to the route's Service, the
 * balancer's targets are tried here, with failover before the client's first byte, and the serving provider's answer
 * is written to the relay as Anthropic's (through any other filter of the route, then to the client). The request's
 * {@code ai} block is completed however the exchange ends.
 */
final class AdvancedFilter implements ResponseFilter, CallsUpstream {

    private static final System.Logger LOG = System.getLogger(AdvancedFilter.class.getName());

    private final String requestId;
    private final String pluginId;
    private final AdvancedConfig config;
    private final AdvancedProxyPlugin.Accepted accepted;
    private final Attempts attempts;
    private final String hashKey;
    private final long startNanos;
    private final CompletableFuture<Map<String, Object>> logBlock;

    private volatile Attempts.Result served;
    private final boolean keepPayload;
    private final io.kongjava.plugins.ai.ExchangeMeter sentToClient = new io.kongjava.plugins.ai.ExchangeMeter(0, UsageMeter.PAYLOAD_LIMIT) {
    };

    /** The request body's share of the server's body budget, given back when the exchange ends. */
    private final io.kongjava.plugins.ai.BodyBudget.Reservation bodyReservation;

    AdvancedFilter(String requestId, String pluginId, AdvancedConfig config, AdvancedProxyPlugin.Accepted accepted, Attempts attempts,
                   String hashKey, long startNanos, CompletableFuture<Map<String, Object>> logBlock) {
        this(requestId, pluginId, config, accepted, attempts, hashKey, startNanos, logBlock, io.kongjava.plugins.ai.BodyBudget.shared().none());
    }

    AdvancedFilter(String requestId, String pluginId, AdvancedConfig config, AdvancedProxyPlugin.Accepted accepted, Attempts attempts,
                   String hashKey, long startNanos, CompletableFuture<Map<String, Object>> logBlock,
                   io.kongjava.plugins.ai.BodyBudget.Reservation bodyReservation) {
        this.bodyReservation = bodyReservation;
        this.keepPayload = config.targets().stream().anyMatch(target -> target.logging().logPayloads());
        this.requestId = requestId;
        this.pluginId = pluginId;
        this.config = config;
        this.accepted = accepted;
        this.attempts = attempts;
        this.hashKey = hashKey;
        this.startNanos = startNanos;
        this.logBlock = logBlock;
    }

    /**
     * The request the access phase checked is the one sent: the relay's copy of it (the Service's URL, the client's
     * headers, which may carry the client's own credentials) is not used.
     */
    @Override
    public void callUpstream(UpstreamRequest request, UpstreamAnswer answer) throws IOException {
        Attempts.Result result = null;
        try {
            result = attempts.serve(accepted.request(), accepted.eligible(), hashKey, new RelaySink(answer), startNanos);
        } finally {
            served = result;
            if (result == null) {
                logBlock.complete(null);
            } else {
                LOG.log(Level.INFO, "java-ai-proxy-advanced: request " + requestId + " " + result.outcome() + " after "
                        + result.tried().stream().map(t -> t.target().label() + "=" + t.outcome()).toList());
            }
        }
        if (result.brokenOff()) {
            throw new IOException("the stream of " + result.last().target().label() + " broke off after the client had part of it");
        }
    }

    /**
     * Called last in every case; when the targets were never called, nothing was measured: Kong never came to the
     * relay (the {@code ai_pending} fallback says {@code abandoned}), or the client got Kong's 500 first (the relay
     * could not take the request, or another filter failed).
     */
    @Override
    public void onClose(StreamEnd end) {
        bodyReservation.close();
        Attempts.Result result = served;
        if (result != null) {
            // completed only now: the last bytes a filter held back (a redactor's) pass through onChunk after callUpstream
            logBlock.complete(LogBlock.of(pluginId, config, accepted.request(), accepted.clientModel(), result, sentToClient.payload()));
            return;
        }
        boolean refused = end instanceof StreamEnd.NotAttached || end instanceof StreamEnd.FilterFailed;
        logBlock.complete(refused ? LogBlock.unsent(pluginId, config, "internal_error") : null);
    }

    /**
     * The answer as the client gets it, for {@code log_payloads}: what this filter passes on has been through the route's
     * filters before it (java-ai-sanitizer, at a higher priority, redacts it first), not the provider's own bytes.
     */
    @Override
    public byte[] onChunk(byte[] chunk) {
        if (keepPayload) {
            sentToClient.payload(chunk);
        }
        return chunk;
    }

    /** The failover logic's client is the relay: what is written here is the upstream's answer for the route's filters. */
    private record RelaySink(UpstreamAnswer answer) implements ClientSink {

        @Override
        public void send(int status, List<Map.Entry<String, String>> headers, byte[] body) throws IOException {
            answer.head(status, fields(headers));
            if (body.length > 0) {
                answer.body(body);
            }
        }

        @Override
        public void beginStream(List<Map.Entry<String, String>> headers) throws IOException {
            answer.head(200, fields(headers));
        }

        @Override
        public void write(byte[] bytes) throws IOException {
            answer.body(bytes);
        }

        @Override
        public void end() {
            // the relay ends the body when callUpstream returns
        }

        private static HttpFields fields(List<Map.Entry<String, String>> headers) {
            HttpFields fields = new HttpFields();
            headers.forEach(header -> fields.add(header.getKey(), header.getValue()));
            return fields;
        }
    }
}
