package io.kongjava.plugins.ai;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Optional;

/** Checks a configured {@code model.options.upstream_url}, with Kong's wording for what is wrong. */
public final class UpstreamUrls {

    private UpstreamUrls() {
    }

    /** What is wrong with {@code url} as an upstream (an absolute http or https URL with a host), if anything. */
    public static Optional<String> problem(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            // the reason and where, not the URL itself: a key in its query would end up in Kong's error log
            return Optional.of("could not parse url. " + e.getReason() + " at index " + e.getIndex());
        }
        if (uri.getScheme() == null) {
            return Optional.of("missing scheme in url");
        }
        if (!uri.getScheme().equals("http") && !uri.getScheme().equals("https")) {
            return Optional.of("unsupported scheme '" + uri.getScheme() + "' in url; use http or https");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            return Optional.of("missing host in url");
        }
        return Optional.empty();
    }
}
