package io.kongjava.plugins.ai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class PricesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static AnthropicUsage usage() throws Exception {
        AnthropicUsage usage = new AnthropicUsage();
        usage.read(JSON.readTree("{\"input_tokens\":1000,\"cache_creation_input_tokens\":2000,"
                + "\"cache_creation\":{\"ephemeral_1h_input_tokens\":500},\"cache_read_input_tokens\":10000,\"output_tokens\":400}"));
        return usage;
    }

    @Test
    void everyCacheTierHasItsOwnPrice() throws Exception {
        Prices prices = new Prices(OptionalDouble.of(5), OptionalDouble.of(25), OptionalDouble.of(0.5),
                OptionalDouble.of(6.25), OptionalDouble.of(10));

        assertThat(prices.cost(usage(), 500))
                .isCloseTo((1000 * 5.0 + 1500 * 6.25 + 500 * 10.0 + 10000 * 0.5 + 500 * 25.0) / 1e6, within(1e-12));
    }

    @Test
    void unsetCachePricesAreAnthropicsMultiplesOfTheInputPrice() throws Exception {
        Prices prices = new Prices(OptionalDouble.of(4), OptionalDouble.empty(), OptionalDouble.empty(),
                OptionalDouble.empty(), OptionalDouble.empty());

        assertThat(prices.cost(usage(), 500))
                .isCloseTo((1000 * 4.0 + 1500 * 5.0 + 500 * 8.0 + 10000 * 0.4) / 1e6, within(1e-12));
    }

    @Test
    void noPricesCostNothing() throws Exception {
        Prices none = new Prices(OptionalDouble.empty(), OptionalDouble.empty(), OptionalDouble.empty(),
                OptionalDouble.empty(), OptionalDouble.empty());

        assertThat(none.cost(usage(), 500)).isZero();
    }
}
