package io.kongjava.server;

import io.kongjava.kongclient.PdkHandler;
import io.kongjava.catalogue.PdkFunction;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** Kong's answers to PDK calls for one request, as Kong encodes them, recording every call. */
final class FakeKong implements PdkHandler {

    final List<String> calls = new CopyOnWriteArrayList<>();
    private final Map<String, List<String>> requestHeaders;

    FakeKong(Map<String, List<String>> requestHeaders) {
        this.requestHeaders = requestHeaders;
    }

    @Override
    public PdkAnswer answer(String method, List<Object> args) {
        calls.add(method + args);
        if (PdkFunction.isTerminal(method)) {
            return new PdkAnswer.Terminal();
        }
        return PdkAnswer.value(switch (method) {
            case "kong.request.get_headers" -> requestHeaders.isEmpty() ? Map.of() : requestHeaders;
            case "kong.request.get_header" -> {
                List<String> values = requestHeaders.get(String.valueOf(args.getFirst()).toLowerCase());
                yield values == null ? null : values.getFirst();
            }
            case "kong.request.get_method" -> "GET";
            case "kong.log.serialize" -> "{\"request\":{\"id\":\"r1\"}}";
            default -> null;
        });
    }
}
