package io.kongjava.pdk.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class LuaPatternTest {

    private static boolean matches(String lua, String text) {
        Pattern p = LuaPattern.toRegex(lua).orElseThrow();
        return p.matcher(text).find();
    }

    @Test
    void classesAnchorsAndQuantifiers() {
        assertThat(matches("^%d+$", "123")).isTrue();
        assertThat(matches("^%d+$", "12a")).isFalse();
        assertThat(matches("^[%w.-]+$", "api.example-1.com")).isTrue();
        assertThat(matches("^[%w.-]+$", "a b")).isFalse();
        assertThat(matches("%s", "nospace")).isFalse();
        assertThat(matches("^%a-%d", "abc1")).isTrue();
        assertThat(matches("^https?://", "http://x")).isTrue();
        assertThat(matches("%.json$", "a.json")).isTrue();
        assertThat(matches("%.json$", "ajson")).isFalse();
        assertThat(matches("^[^%s]+$", "abc")).isTrue();
        assertThat(matches("^%S+$", "a b")).isFalse();
        assertThat(matches("^a-b$", "a-b")).isFalse();
        assertThat(matches("^a-b$", "aab")).isTrue();
        assertThat(matches("^-", "-x")).isTrue();
    }

    @Test
    void unsupportedConstructsAreNotGuessed() {
        assertThat(LuaPattern.toRegex("%b()")).isEmpty();
        assertThat(LuaPattern.toRegex("%f[%w]")).isEmpty();
        assertThat(LuaPattern.toRegex("[%S]")).isEmpty();
        assertThat(LuaPattern.toRegex("[abc")).isEmpty();
    }
}
