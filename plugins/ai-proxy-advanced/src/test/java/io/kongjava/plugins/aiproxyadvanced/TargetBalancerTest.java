package io.kongjava.plugins.aiproxyadvanced;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.kongjava.plugins.aiproxyadvanced.AdvancedConfig.Algorithm;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TargetBalancerTest {

    private final AtomicLong clock = new AtomicLong(1_000_000_000L);

    static AdvancedConfig.Target target(String provider, String model, int weight) {
        return new AdvancedConfig.Target("llm/v1/chat", Optional.empty(), new AdvancedConfig.Model(provider, model, Optional.empty(), Optional.empty()),
                new AdvancedConfig.Logging(true, false), weight, Optional.empty(), Optional.empty());
    }

    private TargetBalancer balancer(Algorithm algorithm, int maxFails, List<AdvancedConfig.Target> targets) {
        AdvancedConfig.Balancer config = new AdvancedConfig.Balancer(algorithm, 5, AdvancedConfig.Balancer.DEFAULTS.failoverCriteria(),
                maxFails, 10_000, 60_000, 60_000, 60_000, "X-Kong-LLM-Request-ID", 10_000, "total-tokens", "tpot");
        return new TargetBalancer(targets, config, clock::get);
    }

    private static Map<Integer, Integer> spread(TargetBalancer balancer, int requests) {
        Map<Integer, Integer> counts = new HashMap<>();
        for (int i = 0; i < requests; i++) {
            counts.merge(balancer.next(Set.of(), null), 1, Integer::sum);
        }
        return counts;
    }

    @Test
    void roundRobinFollowsTheWeightsExactlyOverACycle() {
        TargetBalancer balancer = balancer(Algorithm.ROUND_ROBIN, 0,
                List.of(target("anthropic", "a", 70), target("bedrock", "b", 25), target("gemini", "c", 5)));
        assertThat(spread(balancer, 1000)).containsExactlyInAnyOrderEntriesOf(Map.of(0, 700, 1, 250, 2, 50));
    }

    @Test
    void roundRobinInterleavesRatherThanBursting() {
        TargetBalancer balancer = balancer(Algorithm.ROUND_ROBIN, 0, List.of(target("anthropic", "a", 1), target("bedrock", "b", 1)));
        assertThat(List.of(balancer.next(Set.of(), null), balancer.next(Set.of(), null), balancer.next(Set.of(), null),
                balancer.next(Set.of(), null))).containsExactly(0, 1, 0, 1);
    }

    @Test
    void failoverNeverRepeatsATriedTargetAndEndsWhenAllWereTried() {
        TargetBalancer balancer = balancer(Algorithm.ROUND_ROBIN, 0,
                List.of(target("anthropic", "a", 100), target("bedrock", "b", 100), target("gemini", "c", 100)));
        Set<Integer> tried = new HashSet<>();
        for (int attempt = 0; attempt < 3; attempt++) {
            int next = balancer.next(tried, null);
            assertThat(tried).doesNotContain(next);
            tried.add(next);
        }
        assertThat(balancer.next(tried, null)).isEqualTo(-1);
    }

    @Test
    void circuitOpensAfterMaxFailsThenLetsOneTrialThroughAfterFailTimeout() {
        TargetBalancer balancer = balancer(Algorithm.ROUND_ROBIN, 3, List.of(target("anthropic", "a", 100), target("bedrock", "b", 100)));
        balancer.failed(0);
        balancer.failed(0);
        assertThat(balancer.open(0)).isFalse();
        balancer.failed(0);
        assertThat(balancer.open(0)).isTrue();
        // Open: every request goes to the other target.
        assertThat(spread(balancer, 20)).containsExactlyEntriesOf(Map.of(1, 20));

        clock.addAndGet(10_000_000_000L);  // fail_timeout passed: half-open
        assertThat(balancer.open(0)).isFalse();
        Map<Integer, Integer> halfOpen = spread(balancer, 20);
        assertThat(halfOpen.get(0)).as("exactly one trial while half-open").isEqualTo(1);

        balancer.failed(0);  // the trial failed: open again at once, without max_fails more failures
        assertThat(balancer.open(0)).isTrue();
        clock.addAndGet(10_000_000_000L);
        int trial;
        do {
            trial = balancer.next(Set.of(), null);
        } while (trial != 0);
        balancer.succeeded(0);  // the trial succeeded: closed, normal share again
        assertThat(spread(balancer, 100)).containsExactlyInAnyOrderEntriesOf(Map.of(0, 50, 1, 50));
    }

    @Test
    void aHalfOpenTrialThatEndsWithoutAVerdictIsGivenBackNotKeptForever() {
        TargetBalancer balancer = balancer(Algorithm.PRIORITY, 1, List.of(target("anthropic", "a", 10), target("bedrock", "b", 1)));
        balancer.failed(0);
        clock.addAndGet(10_000_000_000L);  // half-open
        assertThat(balancer.next(Set.of(), null)).as("the trial").isEqualTo(0);
        balancer.settled(0);  // the provider answered 400 (the client's error), or the client left
        assertThat(balancer.next(Set.of(), null)).as("tried again by the next request").isEqualTo(0);
    }

    @Test
    void whenEveryCircuitIsOpenTheOneReopeningFirstIsTriedRatherThanNone() {
        TargetBalancer balancer = balancer(Algorithm.ROUND_ROBIN, 1, List.of(target("anthropic", "a", 100), target("bedrock", "b", 100)));
        balancer.failed(1);
        clock.addAndGet(1_000_000_000L);
        balancer.failed(0);
        assertThat(balancer.next(Set.of(), null)).isEqualTo(1);
        assertThat(balancer.next(Set.of(1), null)).isEqualTo(0);
    }

    @Test
    void circuitBreakingIsOffWithMaxFailsZero() {
        TargetBalancer balancer = balancer(Algorithm.ROUND_ROBIN, 0, List.of(target("anthropic", "a", 100), target("bedrock", "b", 100)));
        for (int i = 0; i < 50; i++) {
            balancer.failed(0);
        }
        assertThat(balancer.open(0)).isFalse();
        assertThat(spread(balancer, 10)).containsExactlyInAnyOrderEntriesOf(Map.of(0, 5, 1, 5));
    }

    @Test
    void consistentHashingKeepsEachKeyOnItsTargetAndSpreadsKeysByWeight() {
        List<AdvancedConfig.Target> targets = List.of(target("anthropic", "a", 300), target("bedrock", "b", 100));
        TargetBalancer first = balancer(Algorithm.CONSISTENT_HASHING, 0, targets);
        TargetBalancer restarted = balancer(Algorithm.CONSISTENT_HASHING, 0, targets);
        Map<Integer, Integer> counts = new HashMap<>();
        for (int key = 0; key < 4000; key++) {
            int chosen = first.next(Set.of(), "session-" + key);
            assertThat(first.next(Set.of(), "session-" + key)).isEqualTo(chosen);
            assertThat(restarted.next(Set.of(), "session-" + key)).as("stable across instances").isEqualTo(chosen);
            counts.merge(chosen, 1, Integer::sum);
        }
        assertThat(counts.get(0) / 4000.0).isCloseTo(0.75, within(0.06));
    }

    @Test
    void consistentHashingMovesOnlyTheKeysOfARemovedTarget() {
        List<AdvancedConfig.Target> three = List.of(target("anthropic", "a", 100), target("bedrock", "b", 100), target("gemini", "c", 100));
        TargetBalancer balancer = balancer(Algorithm.CONSISTENT_HASHING, 1, three);
        Map<String, Integer> before = new HashMap<>();
        for (int key = 0; key < 3000; key++) {
            before.put("k" + key, balancer.next(Set.of(), "k" + key));
        }
        balancer.failed(2);  // c's circuit opens: only c's keys may move
        for (Map.Entry<String, Integer> entry : before.entrySet()) {
            int now = balancer.next(Set.of(), entry.getKey());
            if (entry.getValue() != 2) {
                assertThat(now).as(entry.getKey()).isEqualTo(entry.getValue());
            } else {
                assertThat(now).isNotEqualTo(2);
            }
        }
    }

    @Test
    void priorityServesTheHighestWeightGroupAndFallsToTheNextOnlyWhenItIsExhausted() {
        // Kong's priority groups are weights: the two of weight 70 share the traffic, the one of weight 25 waits.
        TargetBalancer balancer = balancer(Algorithm.PRIORITY, 0,
                List.of(target("anthropic", "a", 70), target("bedrock", "b", 25), target("anthropic", "a2", 70)));
        assertThat(spread(balancer, 100)).containsExactlyInAnyOrderEntriesOf(Map.of(0, 50, 2, 50));
        assertThat(balancer.next(Set.of(0, 2), null)).isEqualTo(1);
    }

    @Test
    void leastConnectionsSendsTheNextRequestWhereTheFewestAreInFlightPerWeight() {
        TargetBalancer balancer = balancer(Algorithm.LEAST_CONNECTIONS, 0, List.of(target("anthropic", "a", 2), target("bedrock", "b", 1)));
        // a has twice b's capacity: with nothing in flight it is chosen; a second one in flight on a ties with none on b.
        int first = balancer.next(Set.of(), null);
        assertThat(first).isZero();
        balancer.started(first);
        balancer.started(0);
        assertThat(balancer.next(Set.of(), null)).isEqualTo(1);
        balancer.started(1);
        balancer.finished(0);
        balancer.finished(0);
        assertThat(balancer.inFlight(0)).isZero();
        assertThat(balancer.next(Set.of(), null)).isZero();
        balancer.finished(1);
        balancer.finished(1);  // more ends than starts never goes negative
        assertThat(balancer.inFlight(1)).isZero();
    }

    @Test
    void lowestLatencyPrefersTheFastestMeasuredTarget() {
        TargetBalancer balancer = balancer(Algorithm.LOWEST_LATENCY, 0, List.of(target("anthropic", "a", 100), target("bedrock", "b", 100)));
        balancer.latency(0, 40);
        balancer.latency(1, 12);
        assertThat(spread(balancer, 10)).containsExactlyEntriesOf(Map.of(1, 10));
        for (int i = 0; i < 10; i++) {
            clock.addAndGet(1_000_000_000L);
            balancer.latency(1, 200);  // b slows down: its average climbs past a's
        }
        assertThat(balancer.next(Set.of(), null)).isZero();
    }

    @Test
    void aTargetLeftAloneAfterOneSlowAnswerIsTriedAgainAsItsAverageFades() {
        TargetBalancer balancer = balancer(Algorithm.LOWEST_LATENCY, 0, List.of(target("anthropic", "a", 100), target("bedrock", "b", 100)));
        balancer.latency(0, 300); // one slow answer
        balancer.latency(1, 12);
        int secondsUntilATriedAgain = -1;
        for (int second = 1; second <= 120 && secondsUntilATriedAgain < 0; second++) {
            clock.addAndGet(1_000_000_000L);
            int chosen = balancer.next(Set.of(), null);
            if (chosen == 0) {
                secondsUntilATriedAgain = second;
            } else {
                balancer.latency(1, 12); // b keeps answering in 12 ms
            }
        }
        assertThat(secondsUntilATriedAgain).as("Kong's latency balancer decays an idle average (10 s)").isBetween(20, 60);
    }

    @Test
    void aTargetThatFailsFastIsNotTheFavourite() {
        TargetBalancer balancer = balancer(Algorithm.LOWEST_LATENCY, 0, List.of(target("anthropic", "a", 100), target("bedrock", "b", 100)));
        balancer.latency(0, 900);
        balancer.latency(1, 1000);
        balancer.latencyOfFailure(0, 3); // a answered 429 in 3 ms

        assertThat(balancer.next(Set.of(), null)).isEqualTo(1);
    }

    @Test
    void lowestLatencyTriesAnUnmeasuredTargetFirst() {
        TargetBalancer balancer = balancer(Algorithm.LOWEST_LATENCY, 0, List.of(target("anthropic", "a", 100), target("bedrock", "b", 100)));
        balancer.latency(0, 1);
        assertThat(balancer.next(Set.of(), null)).isEqualTo(1);
    }

    @Test
    void lowestUsageEvensOutTokensPerWeight() {
        TargetBalancer balancer = balancer(Algorithm.LOWEST_USAGE, 0, List.of(target("anthropic", "a", 200), target("bedrock", "b", 100)));
        Map<Integer, Long> tokens = new HashMap<>();
        for (int i = 0; i < 300; i++) {
            int chosen = balancer.next(Set.of(), null);
            balancer.usage(chosen, 1000);
            tokens.merge(chosen, 1000L, Long::sum);
        }
        assertThat(tokens.get(0) / (double) (tokens.get(0) + tokens.get(1))).isCloseTo(2 / 3.0, within(0.01));
    }
}
