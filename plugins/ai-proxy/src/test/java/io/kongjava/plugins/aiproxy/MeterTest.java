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
        meter.usage(JSON.readTree("{\"output_tokens\":85}"));

        assertThat(meter.promptTokens()).isEqualTo(2112);
        assertThat(meter.completionTokens()).isEqualTo(85);
    }

    @Test
    void completionIsEstimatedOnlyWhenTheProviderSentNoUsage() {
        Meter meter = new Meter(System.nanoTime(), 1000);
        meter.token("twelve chars");

        assertThat(meter.completionTokens()).isEqualTo(3);
    }

    @Test
    void costFollowsKongsRuleAndPricesTheCacheSeparatelyWhenConfigured() throws Exception {
        Meter meter = new Meter(System.nanoTime(), 0);
        meter.usage(JSON.readTree("{\"input_tokens\":1000,\"cache_creation_input_tokens\":2000,\"cache_read_input_tokens\":10000,\"output_tokens\":500}"));
        AiProxyConfig.Options both = options(Map.of("input_cost", 3.0, "output_cost", 15.0));
        AiProxyConfig.Options withCache = options(Map.of("input_cost", 3.0, "output_cost", 15.0, "cache_read_cost", 0.3, "cache_write_cost", 3.75));
        AiProxyConfig.Options inputOnly = options(Map.of("input_cost", 3.0));

        assertThat(Analytics.cost(both, meter, 500)).isCloseTo((13000 * 3.0 + 500 * 15.0) / 1e6, within(1e-12));
        assertThat(Analytics.cost(withCache, meter, 500)).isCloseTo((1000 * 3.0 + 2000 * 3.75 + 10000 * 0.3 + 500 * 15.0) / 1e6, within(1e-12));
        assertThat(Analytics.cost(inputOnly, meter, 500)).isZero();
    }

    private static AiProxyConfig.Options options(Map<String, Object> options) throws Exception {
        return ConfigBinder.bind(AiProxyConfig.Options.class, options);
    }
}
