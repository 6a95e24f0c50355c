package io.kongjava.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.kongjava.gateway.TargetHealth.State;
import io.kongjava.gateway.TargetHealth.Thresholds;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** How reports move a target's health, as lua-resty-healthcheck moves it for Kong. */
class TargetHealthTest {

    final TargetHealth health = new TargetHealth(1);

    @Test
    void eachKindOfFailureCountsAgainstItsOwnThresholdAndSuccessesBringTheTargetBack() {
        Thresholds checks = new Thresholds(Set.of(200), 2, Set.of(500), 3, 2, 2);

        health.httpStatus(0, 500, checks);
        assertThat(health.state(0)).as("one failure: still taking traffic").isEqualTo(State.MOSTLY_HEALTHY);
        health.tcpFailure(0, checks);
        assertThat(health.state(0)).as("1 of 3 TCP failures, 1 of 2 HTTP failures").isEqualTo(State.MOSTLY_HEALTHY);
        health.httpStatus(0, 500, checks);
        assertThat(health.state(0)).isEqualTo(State.UNHEALTHY);
        assertThat(health.takesTraffic(0)).isFalse();

        health.httpStatus(0, 200, checks);
        assertThat(health.state(0)).as("1 of 2 successes").isEqualTo(State.MOSTLY_UNHEALTHY);
        assertThat(health.takesTraffic(0)).isFalse();
        health.httpStatus(0, 200, checks);
        assertThat(health.state(0)).isEqualTo(State.HEALTHY);
    }

    @Test
    void aSuccessClearsTheFailuresCountedSoFar() {
        Thresholds checks = new Thresholds(Set.of(200), 5, Set.of(500), 0, 2, 0);

        health.timeout(0, checks);
        health.httpStatus(0, 200, checks);
        health.timeout(0, checks);
        assertThat(health.state(0)).as("the first timeout was cleared").isEqualTo(State.MOSTLY_HEALTHY);
        health.timeout(0, checks);
        assertThat(health.state(0)).isEqualTo(State.UNHEALTHY);
    }

    @Test
    void withSuccessesAtZeroFailuresAddUpAcrossSuccesses() {
        Thresholds kongsPassiveDefaultsWithABreaker = new Thresholds(Thresholds.PASSIVE.healthyStatuses(), 0,
                Thresholds.PASSIVE.unhealthyStatuses(), 0, 0, 3);

        for (int status : new int[] {500, 200, 503, 201, 200, 429}) {
            health.httpStatus(0, status, kongsPassiveDefaultsWithABreaker);
        }
        assertThat(health.state(0)).isEqualTo(State.UNHEALTHY);
    }

    @Test
    void aStatusInNeitherListIsIgnoredAndAMissingStatusIsAFailure() {
        Thresholds checks = new Thresholds(Set.of(200), 1, Set.of(500), 0, 0, 1);

        health.httpStatus(0, 404, checks);
        assertThat(health.state(0)).isEqualTo(State.HEALTHY);
        health.httpStatus(0, 0, checks);
        assertThat(health.state(0)).isEqualTo(State.UNHEALTHY);
    }

    @Test
    void kongsDefaultsCountNothing() {
        for (int i = 0; i < 10; i++) {
            health.httpStatus(0, 500, Thresholds.PASSIVE);
            health.tcpFailure(0, Thresholds.PASSIVE);
            health.timeout(0, Thresholds.ACTIVE);
        }
        assertThat(health.state(0)).isEqualTo(State.HEALTHY);
    }
}
