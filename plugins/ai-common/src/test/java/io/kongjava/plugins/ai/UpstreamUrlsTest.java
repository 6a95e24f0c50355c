package io.kongjava.plugins.ai;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class UpstreamUrlsTest {

    @Test
    void anAbsoluteHttpOrHttpsUrlWithAHostIsFine() {
        assertThat(UpstreamUrls.problem("https://api.anthropic.com")).isEmpty();
        assertThat(UpstreamUrls.problem("http://127.0.0.1:8080/v1/messages")).isEmpty();
    }

    @Test
    void everyProblemIsSaidInKongsWords() {
        assertThat(UpstreamUrls.problem("api.anthropic.com/v1")).hasValue("missing scheme in url");
        assertThat(UpstreamUrls.problem("ftp://example.com")).hasValue("unsupported scheme 'ftp' in url; use http or https");
        assertThat(UpstreamUrls.problem("http:///v1")).hasValue("missing host in url");
        assertThat(UpstreamUrls.problem("http://exa mple.com")).hasValueSatisfying(p -> assertThat(p).startsWith("could not parse url. "));
    }
}
