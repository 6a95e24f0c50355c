package io.kongjava.testing.clouds;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Checks an AWS Signature Version 4 as AWS does, written from AWS's published description of SigV4 and nothing
 * else (no SDK class), so that a test can tell whether the code under test signs correctly: the canonical request
 * (method, path with each segment encoded again, sorted query, the signed headers' trimmed values, the payload's
 * SHA-256), the string to sign, the derived signing key, the scope and the clock skew.
 */
public final class SigV4Verifier {

    private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    static final Duration MAX_SKEW = Duration.ofMinutes(15);

    private final String accessKeyId;
    private final String secretAccessKey;
    private final String region;
    private final String service;

    public SigV4Verifier(String accessKeyId, String secretAccessKey, String region, String service) {
        this.accessKeyId = accessKeyId;
        this.secretAccessKey = secretAccessKey;
        this.region = region;
        this.service = service;
    }

    /**
     * Empty when the request is signed correctly, else why not (worded like AWS's own errors).
     *
     * @param headers the request's headers, names in any case
     * @param rawUri  the request target as sent (path and query, still percent-encoded)
     */
    public Optional<String> problem(String method, URI rawUri, Map<String, List<String>> headers, byte[] payload, Instant now) {
        Map<String, List<String>> lower = new TreeMap<>();
        headers.forEach((name, values) -> lower.computeIfAbsent(name.toLowerCase(Locale.ROOT), k -> new ArrayList<>()).addAll(values));
        String authorization = first(lower, "authorization");
        if (authorization == null || !authorization.startsWith("AWS4-HMAC-SHA256 ")) {
            return Optional.of("Missing Authentication Token");
        }
        Map<String, String> parts = new TreeMap<>();
        for (String part : authorization.substring("AWS4-HMAC-SHA256 ".length()).split(",")) {
            int eq = part.indexOf('=');
            if (eq > 0) {
                parts.put(part.substring(0, eq).strip(), part.substring(eq + 1).strip());
            }
        }
        String credential = parts.get("Credential");
        String signedHeaders = parts.get("SignedHeaders");
        String signature = parts.get("Signature");
        if (credential == null || signedHeaders == null || signature == null) {
            return Optional.of("Authorization header requires Credential, SignedHeaders and Signature");
        }
        String amzDate = first(lower, "x-amz-date");
        if (amzDate == null) {
            return Optional.of("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header");
        }
        Instant signedAt;
        try {
            signedAt = Instant.from(AMZ_DATE.parse(amzDate));
        } catch (DateTimeParseException e) {
            return Optional.of("invalid X-Amz-Date " + amzDate);
        }
        if (Duration.between(signedAt, now).abs().compareTo(MAX_SKEW) > 0) {
            return Optional.of("Signature expired: " + amzDate + " is not within 15 minutes of the server's time");
        }
        String date = amzDate.substring(0, 8);
        String scope = date + "/" + region + "/" + service + "/aws4_request";
        if (!credential.equals(accessKeyId + "/" + scope)) {
            return Optional.of("Credential should be scoped to " + accessKeyId + "/" + scope + ", was " + credential);
        }
        List<String> signed = List.of(signedHeaders.split(";"));
        if (!signed.contains("host") || !signed.contains("x-amz-date")) {
            return Optional.of("SignedHeaders must include host and x-amz-date");
        }
        String payloadHash = hex(sha256(payload));
        String declaredHash = first(lower, "x-amz-content-sha256");
        if (declaredHash != null && !declaredHash.equals(payloadHash) && !declaredHash.equals("UNSIGNED-PAYLOAD")) {
            return Optional.of("The provided 'x-amz-content-sha256' header does not match what was computed.");
        }
        StringBuilder canonical = new StringBuilder();
        canonical.append(method).append('\n');
        canonical.append(canonicalPath(rawUri.getRawPath())).append('\n');
        canonical.append(canonicalQuery(rawUri.getRawQuery())).append('\n');
        for (String name : signed) {
            List<String> values = lower.get(name);
            if (values == null) {
                return Optional.of("signed header " + name + " is missing from the request");
            }
            canonical.append(name).append(':').append(String.join(",", values.stream().map(v -> v.strip().replaceAll(" +", " ")).toList())).append('\n');
        }
        canonical.append('\n').append(signedHeaders).append('\n').append(declaredHash != null ? declaredHash : payloadHash);
        String stringToSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex(sha256(canonical.toString().getBytes(StandardCharsets.UTF_8)));
        byte[] key = hmac(("AWS4" + secretAccessKey).getBytes(StandardCharsets.UTF_8), date);
        key = hmac(key, region);
        key = hmac(key, service);
        key = hmac(key, "aws4_request");
        String expected = hex(hmac(key, stringToSign));
        if (!MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII), signature.getBytes(StandardCharsets.US_ASCII))) {
            return Optional.of("The request signature we calculated does not match the signature you provided. "
                    + "Check your AWS Secret Access Key and signing method.");
        }
        return Optional.empty();
    }

    /** Every service but S3 encodes each path segment once more when it builds the canonical request. */
    static String canonicalPath(String rawPath) {
        if (rawPath == null || rawPath.isEmpty()) {
            return "/";
        }
        List<String> segments = new ArrayList<>();
        for (String segment : rawPath.split("/", -1)) {
            segments.add(encode(segment));
        }
        return String.join("/", segments);
    }

    static String canonicalQuery(String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return "";
        }
        TreeMap<String, List<String>> sorted = new TreeMap<>();
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : pair.substring(eq + 1);
            sorted.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        }
        List<String> out = new ArrayList<>();
        sorted.forEach((name, values) -> values.stream().sorted().forEach(value -> out.add(name + "=" + value)));
        return String.join("&", out);
    }

    /** RFC 3986 percent-encoding of everything but the unreserved characters. */
    static String encode(String text) {
        StringBuilder out = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~') {
                out.append(c);
            } else {
                out.append('%').append(String.format("%02X", b & 0xff));
            }
        }
        return out.toString();
    }

    private static String first(Map<String, List<String>> headers, String name) {
        List<String> values = headers.get(name);
        return values == null || values.isEmpty() ? null : values.getFirst();
    }

    static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
