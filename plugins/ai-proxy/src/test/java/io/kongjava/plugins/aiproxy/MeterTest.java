package io.kongjava.plugins.aiproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kongjava.pdk.schema.ConfigBinder;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MeterTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void streamedCountsReplaceEachOtherInsteadOfAddingUp() throws Exception {
        Meter meter = new Meter(System.nanoTime(), 0);
        meter.usage(JSON.readTree("{\"input_tokens\":12,\"cache_creation_input_tokens\":100,\"cache_read_input_tokens\":2000,\"output_tokens\":1}"));
        meter.finalUsage(JSON.readTree("{\"output_tokens\":85}"));

        assertThat(meter.promptTokens()).isEqualTo(2112);
        assertThat(meter.completionTokens()).isEqualTo(85);
    }

    @Test
    void aStreamCutBeforeItsFinalCountIsCountedByWhatItGeneratedNotByMessageStartsOne() throws Exception {
        Meter meter = new Meter(System.nanoTime(), 0);
        meter.usage(JSON.readTree("{\"input_tokens\":12,\"output_tokens\":1}"));
        meter.token("Here is a fairly long answer that was cut");
        assertThat(meter.completionTokens()).isEqualTo(11);

        meter.finalUsage(JSON.readTree("{\"output_tokens\":9}"));
        assertThat(meter.completionTokens()).as("the provider's own final count wins").isEqualTo(9);
    }

    @Test
    void completionIsEstimatedOnlyWhenTheProviderSentNoUsage() {
        Meter meter = new Meter(System.nanoTime(), 1000);
        meter.token("twelve chars");

        assertThat(meter.completionTokens()).isEqualTo(3);
    }

    @Test
    void aWholeAnswerWithoutUsageIsCountedAsZeroAsKongDoesNotEstimated() {
        Meter meter = new Meter(System.nanoTime(), 1000);
        meter.token("twelve chars");
        meter.wholeAnswerUsage(null);

        assertThat(meter.completionTokens()).as("Kong estimates only at a stream's end").isZero();
    }

    @Test
    void costPricesAnthropicsCacheTiersApartWheneverAPriceIsConfigured() throws Exception {
        Meter meter = new Meter(System.nanoTime(), 0);
        meter.usage(JSON.readTree("""
                {"input_tokens":1000,"cache_creation_input_tokens":2000,"cache_read_input_tokens":10000,"output_tokens":500,
                 "cache_creation":{"ephemeral_5m_input_tokens":1500,"ephemeral_1h_input_tokens":500}}"""));
        AiProxyConfig.Options opus55 = options(Map.of("input_cost", 4.0, "output_cost", 20.0, "cache_write_cost", 5.0,
                "cache_write_1h_cost", 9.0, "cache_read_cost", 0.2));
        AiProxyConfig.Options inputAndOutput = options(Map.of("input_cost", 4.0, "output_cost", 20.0));
        AiProxyConfig.Options inputOnly = options(Map.of("input_cost", 4.0));
        AiProxyConfig.Options none = options(Map.of());

        assertThat(Analytics.cost(opus55, meter, 500))
                .isCloseTo((1000 * 4.0 + 1500 * 5.0 + 500 * 9.0 + 10000 * 0.2 + 500 * 20.0) / 1e6, within(1e-12));
        assertThat(Analytics.cost(inputAndOutput, meter, 500)).as("Anthropic's multipliers of input_cost")
                .isCloseTo((1000 * 4.0 + 1500 * 4.0 * 1.25 + 500 * 4.0 * 2 + 10000 * 4.0 * 0.1 + 500 * 20.0) / 1e6, within(1e-12));
        assertThat(Analytics.cost(inputOnly, meter, 500)).isCloseTo((1000 * 4.0 + 1500 * 5.0 + 500 * 8.0 + 10000 * 0.4) / 1e6, within(1e-12));
        assertThat(Analytics.cost(none, meter, 500)).isZero();
    }

    @Test
    void aCountIsNotUsage() {
        Meter meter = new Meter(System.nanoTime(), 0);
        meter.counted(42);

        assertThat(meter.countedTokens()).isEqualTo(42);
        assertThat(meter.promptTokens()).isZero();
        assertThat(meter.timeToFirstTokenMillis()).isEqualTo(-1);
    }

    private static AiProxyConfig.Options options(Map<String, Object> options) throws Exception {
        Map<String, Object> withVersion = new java.util.HashMap<>(options);
        withVersion.putIfAbsent("anthropic_version", "2023-06-01"); // required
        return ConfigBinder.bind(AiProxyConfig.Options.class, withVersion);
    }
}
