package io.kongjava.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code HarnessBench --rounds N}: each figure as its median and range, and who was faster at p99 round by round. */
class HarnessBenchSummaryTest {

    private static HarnessBench.Row row(String server, String phase, double handleEventP99, double stepP99, double cpu) {
        HarnessBench.Scenario scenario = new HarnessBench.Scenario(server, server + "-" + phase, phase, List.of(), Path.of("s.sock"), "", "{}", false);
        return new HarnessBench.Row(scenario, 3000, 0, 2000, 20, 40, new HarnessBench.Timing(3000, 2, handleEventP99),
                new HarnessBench.Timing(9000, 1, stepP99), 3000, 0, 0, cpu, 100, Map.of(), 1, 2, 1);
    }

    @Test
    void roundsAreSummarizedAsMediansAndRangesWithTheP99WinsCounted() throws Exception {
        List<HarnessBench.Row> rows = new ArrayList<>();
        rows.addAll(List.of(row("java", "access", 95.16, 9.0, 380), row("js", "access", 6.21, 7.0, 143)));
        rows.addAll(List.of(row("java", "access", 13.71, 8.57, 297), row("js", "access", 6.37, 5.97, 140)));
        rows.addAll(List.of(row("java", "access", 5.0, 4.0, 323), row("js", "access", 9.93, 8.33, 183)));

        String output = BenchSmokeIT.run(() -> HarnessBench.summarize(rows, 3));

        assertThat(output).contains("over 3 rounds (median, min-max):")
                .containsPattern("access +java HandleEvent p99 13\\.71 \\(5\\.00-95\\.16\\) +Step p99 8\\.57 \\(4\\.00-9\\.00\\) +CPU us/ev 323\\.00 \\(297\\.00-380\\.00\\)")
                .contains("access java's p99 at or under js's in the same round: HandleEvent 1 of 3, Step 1 of 3")
                .doesNotContain("log ");
    }
}
