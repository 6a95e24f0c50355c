package io.kongjava.plugins.aiproxyadvanced;

import java.net.URI;
import java.util.List;
import java.util.Map;

/** One HTTP request to a provider, signed or authorised, ready to send. */
record UpstreamCall(URI url, List<Map.Entry<String, String>> headers, byte[] body) {
}
