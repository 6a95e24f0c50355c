package io.kongjava.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Lines and bytes of an HTTP/1.1 connection, whatever the buffer size cuts them into. */
class HttpInputTest {

    private static HttpInput input(String text, int bufferSize) {
        return new HttpInput(new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1)), bufferSize);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 7, 16, 1024})
    void linesEndAtLfWithTheirCrDroppedAndTheBodyFollowsThem(int bufferSize) throws Exception {
        HttpInput in = input("POST / HTTP/1.1\r\nHost: x\nContent-Length: 5\r\n\r\nhello", bufferSize);

        assertThat(in.readLine(100)).isEqualTo("POST / HTTP/1.1");
        assertThat(in.readLine(100)).isEqualTo("Host: x");
        assertThat(in.readLine(100)).isEqualTo("Content-Length: 5");
        assertThat(in.readLine(100)).isEmpty();
        assertThat(new String(in.readNBytes(5), StandardCharsets.ISO_8859_1)).isEqualTo("hello");
        assertThat(in.read()).isEqualTo(-1);
        assertThat(in.readLine(100)).as("the end of the stream").isNull();
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 4, 64})
    void aLineOverTheLimitIsRefusedWhereverTheBufferEnds(int bufferSize) throws Exception {
        assertThat(input("12345\r\n", bufferSize).readLine(5)).isEqualTo("12345");
        assertThatThrownBy(() -> input("123456\r\n", bufferSize).readLine(5)).isInstanceOf(HttpInput.LineTooLong.class);
    }

    @Test
    void aLastLineWithoutLfIsReturnedAsItIs() throws Exception {
        HttpInput in = input("0\r\n\r\ntrailing", 4);
        assertThat(in.readLine(10)).isEqualTo("0");
        assertThat(in.readLine(10)).isEmpty();
        assertThat(in.readLine(10)).isEqualTo("trailing");
        assertThat(in.readLine(10)).isNull();
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 5, 1024})
    void aCrInsideALineIsRefusedNotDroppedWhereverTheBufferEnds(int bufferSize) {
        // dropping it would read "X-A: ab", where a reader that takes CR as a line end sees a header "b"
        assertThatThrownBy(() -> input("X-A: a\rb\r\n", bufferSize).readLine(100))
                .isInstanceOf(HttpInput.BareCarriageReturn.class);
        assertThatThrownBy(() -> input("X-A: a\r\r\n", bufferSize).readLine(100))
                .isInstanceOf(HttpInput.BareCarriageReturn.class);
        assertThatThrownBy(() -> input("trailing\r", bufferSize).readLine(100))
                .as("a CR the stream ends on is no line end")
                .isInstanceOf(HttpInput.BareCarriageReturn.class);
    }
}
