package io.kongjava.catalogue;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Kong's error pages: the format an Accept header asks for, and each template. */
class KongErrorPagesTest {

    @Test
    void theHighestQualityWinsAndJsonIsTheDefault() {
        assertThat(KongErrorPages.contentType(null)).isEqualTo(KongErrorPages.JSON);
        assertThat(KongErrorPages.contentType("*/*")).isEqualTo(KongErrorPages.JSON);
        assertThat(KongErrorPages.contentType("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"))
                .isEqualTo(KongErrorPages.HTML);
        assertThat(KongErrorPages.contentType("application/json;q=0.5, application/xml")).isEqualTo(KongErrorPages.XML);
        assertThat(KongErrorPages.contentType("text/*")).isEqualTo(KongErrorPages.PLAIN);
        assertThat(KongErrorPages.contentType("image/png")).isEqualTo(KongErrorPages.JSON);
    }

    @Test
    void eachFormatCarriesTheMessageAndTheRequestId() {
        assertThat(page(KongErrorPages.JSON, "no Route matched with those values"))
                .isEqualTo("{\n  \"message\":\"no Route matched with those values\",\n  \"request_id\":\"rid\"\n}");
        assertThat(page(KongErrorPages.PLAIN, "Not found")).isEqualTo("Not found\nrequest_id: rid\n");
        assertThat(page(KongErrorPages.HTML, "a <b> & c")).contains("<p>a &lt;b&gt; &amp; c.</p>").contains("<p>request_id: rid</p>");
        assertThat(page(KongErrorPages.XML, "Not found")).contains("<message>Not found</message>").contains("<requestid>rid</requestid>");
        assertThat(page(KongErrorPages.JSON, "say \"hi\"\n")).contains("\"message\":\"say \\\"hi\\\"\\n\"");
    }

    private static String page(String type, String message) {
        return new String(KongErrorPages.body(type, message, "rid"), StandardCharsets.UTF_8);
    }
}
