package io.kongjava.plugins.aiproxyadvanced;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Anthropic's own API: the Messages API as the client speaks it, with the target's model and credentials. */
final class AnthropicProvider implements Provider {

    static final String DEFAULT_URL = "https://api.anthropic.com";
    static final String DEFAULT_VERSION = "2023-06-01";

    private final AdvancedConfig.Target target;

    AnthropicProvider(AdvancedConfig.Target target) {
        this.target = target;
    }

    @Override
    public String name() {
        return "anthropic";
    }

    @Override
    public UpstreamCall call(ClientRequest request, String model) {
        AdvancedConfig.Options options = target.options();
        String path = request.operation() == ClientRequest.Operation.MESSAGES ? "/v1/messages" : "/v1/messages/count_tokens";
        String base = Provider.origin(options.upstreamUrl().orElse(DEFAULT_URL));
        int messages = base.indexOf("/v1/messages");
        if (messages >= 0) {
            base = base.substring(0, messages);
        }
        String query = request.rawQuery() == null || request.rawQuery().isEmpty() ? "" : "?" + request.rawQuery();
        ObjectNode body = request.bodyCopy();
        body.put("model", model);
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        headers.add(Map.entry("content-type", "application/json"));
        headers.add(Map.entry("anthropic-version", options.anthropicVersion().orElse(DEFAULT_VERSION)));
        if (request.anthropicBeta() != null) {
            headers.add(Map.entry("anthropic-beta", request.anthropicBeta()));
        }
        target.auth().ifPresent(auth -> auth.headerName().ifPresent(name -> headers.add(Map.entry(name.toLowerCase(java.util.Locale.ROOT),
                auth.headerValue().orElse("")))));
        return new UpstreamCall(URI.create(base + path + query), headers, body.toString().getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public EventDecoder streamDecoder() {
        return new SseEvents();
    }
}
