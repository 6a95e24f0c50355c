package io.kongjava.plugins.ai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class AnthropicUsageTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void laterCountsReplaceEarlierOnesAndPromptTokensIncludeTheCache() throws Exception {
        AnthropicUsage usage = new AnthropicUsage();
        usage.read(JSON.readTree("{\"input_tokens\":12,\"cache_creation_input_tokens\":100,\"cache_read_input_tokens\":2000,\"output_tokens\":1}"));
        usage.read(JSON.readTree("{\"output_tokens\":85}"));
        usage.read(JSON.readTree("{\"output_tokens\":90}"));

        assertThat(usage.promptTokens()).isEqualTo(2112);
        assertThat(usage.inputTokens()).isEqualTo(12);
        assertThat(usage.outputTokens()).isEqualTo(90);
        assertThat(usage.seen()).isTrue();
    }

    @Test
    void oneHourWritesAreNeverMoreThanAllWrites() throws Exception {
        AnthropicUsage usage = new AnthropicUsage();
        usage.read(JSON.readTree("{\"cache_creation_input_tokens\":300,\"cache_creation\":{\"ephemeral_1h_input_tokens\":200}}"));
        assertThat(usage.cacheCreation1hTokens()).isEqualTo(200);

        usage.read(JSON.readTree("{\"cache_creation_input_tokens\":50}"));
        assertThat(usage.cacheCreation1hTokens()).isEqualTo(50);
    }

    @Test
    void anythingButAnObjectAndNonNumericCountsAreIgnored() throws Exception {
        AnthropicUsage usage = new AnthropicUsage();
        usage.read(null);
        usage.read(JSON.readTree("[1,2]"));
        assertThat(usage.seen()).isFalse();

        usage.read(JSON.readTree("{\"input_tokens\":7}"));
        usage.read(JSON.readTree("{\"input_tokens\":\"many\"}"));
        assertThat(usage.seen()).isTrue();
        assertThat(usage.inputTokens()).isEqualTo(7);
    }

    @Test
    void countsThatAreNoWholeNumberInRangeAreIgnoredNotWrappedAround() throws Exception {
        AnthropicUsage usage = new AnthropicUsage();
        usage.read(new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                "{\"input_tokens\":12,\"output_tokens\":3,\"cache_read_input_tokens\":5}"));
        usage.read(new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                "{\"input_tokens\":\"NaN\",\"output_tokens\":-7,\"cache_creation_input_tokens\":1e300,"
                        + "\"cache_read_input_tokens\":99999999999999999999999999}"));
        assertThat(usage.inputTokens()).isEqualTo(12);
        assertThat(usage.outputTokens()).isEqualTo(3);
        assertThat(usage.cacheCreationTokens()).isZero();
        assertThat(usage.cacheReadTokens()).isEqualTo(5);
        usage.read(new com.fasterxml.jackson.databind.ObjectMapper().readTree("{\"output_tokens\":1000000000001}"));
        assertThat(usage.outputTokens()).isEqualTo(3);
    }
}
