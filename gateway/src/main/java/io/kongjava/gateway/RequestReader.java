package io.kongjava.gateway;

import com.sun.net.httpserver.HttpExchange;
import io.kongjava.emulation.KongRequest;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/** The client's request as Kong sees it: nginx's limits on the head, then the head and body into a {@link KongRequest}. */
final class RequestReader {

    private static final Pattern PORT_SUFFIX = Pattern.compile(":\\d+$");

    private final Gateway.HeaderLimits headerLimits;
    private final long maxBodySize;

    RequestReader(Gateway.HeaderLimits headerLimits, long maxBodySize) {
        this.headerLimits = headerLimits;
        this.maxBodySize = maxBodySize;
    }

    long maxBodySize() {
        return maxBodySize;
    }

    /** 414 or 400 when the request head exceeds {@link Gateway.HeaderLimits} as nginx counts it, else 0. */
    int headTooLarge(HttpExchange exchange) {
        int requestLine = exchange.getRequestMethod().length() + exchange.getRequestURI().toString().length()
                + exchange.getProtocol().length() + 4;
        if (requestLine > headerLimits.bufferSize()) {
            return 414;
        }
        long total = requestLine;
        for (Map.Entry<String, List<String>> header : exchange.getRequestHeaders().entrySet()) {
            for (String value : header.getValue()) {
                int line = header.getKey().length() + 2 + value.length() + 2;
                if (line > headerLimits.bufferSize()) {
                    return 400;
                }
                total += line;
            }
        }
        return total > headerLimits.total() ? 400 : 0;
    }

    /** The head and up to one byte more than the body limit, so that a larger body can be refused. */
    void read(HttpExchange exchange, KongRequest state) throws IOException {
        readHead(exchange, state);
        try (InputStream in = exchange.getRequestBody()) {
            state.body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBodySize + 1));
        }
        state.requestSize = state.body.length + state.pathWithQuery().length() + 16;
    }

    void readHead(HttpExchange exchange, KongRequest state) {
        state.method = exchange.getRequestMethod().toUpperCase(Locale.ROOT);
        String rawPath = exchange.getRequestURI().getRawPath();
        state.path = rawPath == null || rawPath.isEmpty() ? "/" : rawPath;
        state.rawQuery = exchange.getRequestURI().getRawQuery() == null ? "" : exchange.getRequestURI().getRawQuery();
        exchange.getRequestHeaders().forEach((name, values) -> state.headers.put(name.toLowerCase(Locale.ROOT), new ArrayList<>(values)));
        String host = state.header("host");
        state.host = host == null ? exchange.getLocalAddress().getHostString() : PORT_SUFFIX.matcher(host).replaceFirst("");
        state.port = exchange.getLocalAddress().getPort();
        state.clientIp = exchange.getRemoteAddress().getAddress().getHostAddress();
        state.clientPort = exchange.getRemoteAddress().getPort();
        state.requestId = newRequestId();
    }

    /**
     * 32 hex digits, as Kong's request ids. Not a secret, so not from SecureRandom, whose shared lock
     * every request would take.
     */
    static String newRequestId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return HexFormat.of().toHexDigits(random.nextLong()) + HexFormat.of().toHexDigits(random.nextLong());
    }
}
