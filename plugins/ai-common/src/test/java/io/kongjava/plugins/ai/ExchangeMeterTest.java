package io.kongjava.plugins.ai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class ExchangeMeterTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final class TestMeter extends ExchangeMeter {
        TestMeter(long startNanos, int payloadLimit) {
            super(startNanos, payloadLimit);
        }
    }

    @Test
    void emptyModelsAndStopReasonsKeepTheLastRealOne() {
        ExchangeMeter meter = new TestMeter(System.nanoTime(), 0);
        meter.responseModel("claude-sonnet-4-5");
        meter.responseModel("");
        meter.responseModel(null);
        meter.stopReason("end_turn");
        meter.stopReason(null);

        assertThat(meter.responseModel()).isEqualTo("claude-sonnet-4-5");
        assertThat(meter.stopReason()).isEqualTo("end_turn");
    }

    @Test
    void aCharacterSplitBetweenReadsIsKeptWhole() {
        ExchangeMeter meter = new TestMeter(System.nanoTime(), 1000);
        byte[] text = "data: {\"text\":\"Héllo 世界 👋\"}\n\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (byte b : text) {
            meter.payload(new byte[] {b}); // the worst network: every byte its own read
        }

        assertThat(meter.payload()).isEqualTo("data: {\"text\":\"Héllo 世界 👋\"}\n\n");
    }

    @Test
    void thePayloadIsCutAtTheLimit() {
        ExchangeMeter meter = new TestMeter(System.nanoTime(), 5);
        meter.payload("abc");
        meter.payload("defgh");
        meter.payload("ij");

        assertThat(meter.payload()).isEqualTo("abcde");
    }

    @Test
    void timingsCountFromTheStartAndOnlyTheFirstTokenAndEndCount() throws Exception {
        long start = System.nanoTime() - 2_000_000_000L;
        ExchangeMeter meter = new TestMeter(start, 0);
        assertThat(meter.timeToFirstTokenMillis()).isEqualTo(-1);

        meter.firstToken();
        long ttft = meter.timeToFirstTokenMillis();
        meter.end();
        long latency = meter.latencyMillis();
        Thread.sleep(20);
        meter.firstToken();
        meter.end();

        assertThat(ttft).isGreaterThanOrEqualTo(2000);
        assertThat(meter.timeToFirstTokenMillis()).isEqualTo(ttft);
        assertThat(meter.latencyMillis()).isEqualTo(latency).isGreaterThanOrEqualTo(ttft);
    }

    @Test
    void countsComeFromTheUsageObjectsAndCountTokensStandsApart() throws Exception {
        ExchangeMeter meter = new TestMeter(System.nanoTime(), 0);
        assertThat(meter.countedTokens()).isEqualTo(-1);
        assertThat(meter.usageSeen()).isFalse();

        meter.usage(JSON.readTree("{\"input_tokens\":10,\"cache_read_input_tokens\":5,\"output_tokens\":3}"));
        meter.counted(42);

        assertThat(meter.usageSeen()).isTrue();
        assertThat(meter.promptTokens()).isEqualTo(15);
        assertThat(meter.outputTokens()).isEqualTo(3);
        assertThat(meter.countedTokens()).isEqualTo(42);
    }
}
