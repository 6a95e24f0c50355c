package io.kongjava.testing.clouds;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The verifier against AWS's own SigV4 test suite example ("get-vanilla"), so it is checked apart from any SDK. */
class SigV4VerifierTest {

    static final SigV4Verifier AWS_EXAMPLE = new SigV4Verifier("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1", "service");
    static final Instant SIGNED_AT = Instant.parse("2015-08-30T12:36:00Z");
    static final String SIGNATURE = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

    static Map<String, List<String>> headers(String signature) {
        return Map.of(
                "Host", List.of("example.amazonaws.com"),
                "X-Amz-Date", List.of("20150830T123600Z"),
                "Authorization", List.of("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                        + "SignedHeaders=host;x-amz-date, Signature=" + signature));
    }

    @Test
    void awsPublishedExampleIsAccepted() {
        assertThat(AWS_EXAMPLE.problem("GET", URI.create("/"), headers(SIGNATURE), new byte[0], SIGNED_AT)).isEmpty();
    }

    @Test
    void anyChangeIsRefused() {
        String wrong = SIGNATURE.substring(0, 63) + "0";
        assertThat(AWS_EXAMPLE.problem("GET", URI.create("/"), headers(wrong), new byte[0], SIGNED_AT)).hasValueSatisfying(p -> assertThat(p).contains("signature"));
        assertThat(AWS_EXAMPLE.problem("POST", URI.create("/"), headers(SIGNATURE), new byte[0], SIGNED_AT)).isPresent();
        assertThat(AWS_EXAMPLE.problem("GET", URI.create("/x"), headers(SIGNATURE), new byte[0], SIGNED_AT)).isPresent();
        assertThat(AWS_EXAMPLE.problem("GET", URI.create("/"), headers(SIGNATURE), new byte[0], SIGNED_AT.plusSeconds(16 * 60)))
                .hasValueSatisfying(p -> assertThat(p).contains("expired"));
        SigV4Verifier otherRegion = new SigV4Verifier("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "eu-west-1", "service");
        assertThat(otherRegion.problem("GET", URI.create("/"), headers(SIGNATURE), new byte[0], SIGNED_AT)).hasValueSatisfying(p -> assertThat(p).contains("scoped"));
    }

    @Test
    void pathSegmentsAreEncodedOnceMoreAsEveryServiceButS3Expects() {
        assertThat(SigV4Verifier.canonicalPath("/model/us.anthropic.claude-v1%3A0/invoke")).isEqualTo("/model/us.anthropic.claude-v1%253A0/invoke");
        assertThat(SigV4Verifier.canonicalQuery("b=2&a=1&a=0")).isEqualTo("a=0&a=1&b=2");
    }
}
