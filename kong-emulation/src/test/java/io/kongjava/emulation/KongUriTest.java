package io.kongjava.emulation;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Kong's path normalization and escaping, with the examples of Kong's own docs and tests of kong/tools/uri.lua. */
class KongUriTest {

    @Test
    void pathsThatNeedNoNormalizationStayAsTheyAre() {
        assertThat(KongUri.normalize("", true)).isEmpty();
        assertThat(KongUri.normalize("/", true)).isEqualTo("/");
        assertThat(KongUri.normalize("/a/b/c/", true)).isEqualTo("/a/b/c/");
    }

    @Test
    void reservedCharactersStayEncodedAndAreUpperCased() {
        assertThat(KongUri.normalize("/a%2fb%2Fc/", true)).isEqualTo("/a%2Fb%2Fc/");
        assertThat(KongUri.normalize("/%25%3f%23", true)).isEqualTo("/%25%3F%23");
    }

    @Test
    void unreservedAndOtherBytesAreDecoded() {
        assertThat(KongUri.normalize("/%61%62%63", true)).isEqualTo("/abc");
        assertThat(KongUri.normalize("/a%20b", true)).isEqualTo("/a b");
        // one char per byte: %C3%B8 is the two bytes of UTF-8's "ø"
        assertThat(KongUri.normalize("/%C3%B8", true)).isEqualTo("/\u00c3\u00b8");
        assertThat(KongUri.normalize("/100%", true)).isEqualTo("/100%");
        assertThat(KongUri.normalize("/%zz", true)).isEqualTo("/%zz");
    }

    @Test
    void dotSegmentsAreResolvedAndNeverClimbAboveTheRoot() {
        assertThat(KongUri.normalize("/public/../admin", true)).isEqualTo("/admin");
        assertThat(KongUri.normalize("/a/./b/", true)).isEqualTo("/a/b/");
        assertThat(KongUri.normalize("/a/b/..", true)).isEqualTo("/a/");
        assertThat(KongUri.normalize("/../../etc/passwd", true)).isEqualTo("/etc/passwd");
        assertThat(KongUri.normalize("/s/%2e%2e/n", true)).isEqualTo("/n"); // /%2e./ is /../
        assertThat(KongUri.normalize("/a/.hidden/..b", true)).isEqualTo("/a/.hidden/..b");
    }

    @Test
    void slashRunsAreMergedWhenAsked() {
        assertThat(KongUri.normalize("/a//b///c", true)).isEqualTo("/a/b/c");
        assertThat(KongUri.normalize("/a//b", false)).isEqualTo("/a//b");
    }

    @Test
    void kongsDocumentedExampleOfGetPath() {
        assertThat(KongUri.normalize("/t/Abc%20123%C3%B8%2f/parent/..//test/./", true))
                .isEqualTo("/t/Abc 123\u00c3\u00b8%2F/test/");
    }

    @Test
    void escapeEncodesWhatARequestLineCannotCarryAndKeepsTheRest() {
        assertThat(KongUri.escape("/a-b_c.d~e/f:g@h!$&'()*+,;=[]%2F")).isEqualTo("/a-b_c.d~e/f:g@h!$&'()*+,;=[]%2F");
        assertThat(KongUri.escape("/t/Abc 123\u00c3\u00b8%2F/test/")).isEqualTo("/t/Abc%20123%C3%B8%2F/test/");
        assertThat(KongUri.escape("/\"<>\\^`{|}")).isEqualTo("/%22%3C%3E%5C%5E%60%7B%7C%7D");
        assertThat(KongUri.escape("/\u00e9")).isEqualTo("/%E9");
    }
}
