package io.kongjava.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Request targets nginx passes through reach the handler; the ones nginx refuses do not. */
class RequestTargetTest {

    @Test
    void aTargetUriTakesStaysAsTheClientSentIt() {
        assertThat(RequestTarget.parse("/v1/messages?beta=true&x=%20").toString()).isEqualTo("/v1/messages?beta=true&x=%20");
        assertThat(RequestTarget.parse("//admin/x").toString()).isEqualTo("//admin/x");
    }

    @Test
    void charactersNginxPassesAndUriRefusesArePercentEncoded() {
        assertThat(RequestTarget.parse("/search?q=a|b^c\"d{e}f\\g`h<i>").getRawQuery())
                .isEqualTo("q=a%7Cb%5Ec%22d%7Be%7Df%5Cg%60h%3Ci%3E");
        assertThat(RequestTarget.parse("/a|b/c?x=1").getRawPath()).isEqualTo("/a%7Cb/c");
        assertThat(RequestTarget.parse("/caf\u00e2\u0082\u00ac").getRawPath())
                .as("raw UTF-8 bytes, read as ISO-8859-1, some of them C1 controls")
                .isEqualTo("/caf%E2%82%AC");
        assertThat(RequestTarget.parse("/a|b?q=%41").getRawQuery()).as("a valid escape is kept").isEqualTo("q=%41");
    }

    @Test
    void aPercentThatStartsNoEscapeIsLiteralInTheQueryAndRefusedInThePath() {
        assertThat(RequestTarget.parse("/x?discount=50%zz&y=%").getRawQuery()).isEqualTo("discount=50%25zz&y=%25");
        assertThat(RequestTarget.parse("/x%zz")).as("nginx: client sent invalid request").isNull();
        assertThat(RequestTarget.parse("/x%4")).isNull();
        assertThat(RequestTarget.parse("/q%00x")).as("a NUL in the path, which nginx decodes").isNull();
        assertThat(RequestTarget.parse("/q?x=%00").getRawQuery()).as("the query is not decoded").isEqualTo("x=%00");
    }

    @Test
    void aPathThatClimbsAboveTheRootIsRefusedAsNginxDoesAndOneThatStaysBelowItIsKept() {
        assertThat(RequestTarget.parse("/../../etc/passwd")).isNull();
        assertThat(RequestTarget.parse("/a/../../b")).isNull();
        assertThat(RequestTarget.parse("/%2e%2E/x")).isNull();
        assertThat(RequestTarget.parse("/..")).isNull();
        assertThat(RequestTarget.parse("/ws/..%2f..%2fetc%2fpasswd")).as("a decoded slash counts, as nginx decodes it").isNull();
        assertThat(RequestTarget.parse("//..")).as("slashes merged").isNull();
        assertThat(RequestTarget.parse("//../ws")).isNull();
        assertThat(RequestTarget.parse("/a/../b").getRawPath()).isEqualTo("/a/../b");
        assertThat(RequestTarget.parse("/a/./b/..").getRawPath()).isEqualTo("/a/./b/..");
        assertThat(RequestTarget.parse("/..a/b...").getRawPath()).isEqualTo("/..a/b...");
    }
}
