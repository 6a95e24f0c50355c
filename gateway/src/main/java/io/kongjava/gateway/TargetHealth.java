package io.kongjava.gateway;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The health of an Upstream's targets as Kong keeps it (lua-resty-healthcheck 3.1, which Kong 3.x pins): one state
 * per target, moved by what proxied requests (passive checks) and probes (active checks) report.
 * <ul>
 *   <li>A success counts only while the target is not fully healthy, a failure only while it is not fully
 *       unhealthy. A success clears the failure counts; a failure clears the success count.</li>
 *   <li>A count reaching its threshold makes the target healthy (successes) or unhealthy (TCP failures, timeouts,
 *       HTTP failures, each against its own threshold); short of it, the first opposite report makes it "mostly"
 *       what it was, which still decides whether it takes traffic.</li>
 *   <li>A threshold of 0 turns that report off altogether: it neither counts nor clears. So with Kong's defaults
 *       (passive {@code healthy.successes: 0}) failures add up across successes until they trip.</li>
 *   <li>An HTTP status counts as a success when it is in the healthy list, as a failure when it is in the
 *       unhealthy list (or is not a status at all), and not at all otherwise.</li>
 * </ul>
 */
final class TargetHealth {

    /**
     * The statuses and thresholds of one kind of check ({@code healthchecks.active} or {@code .passive} of kong.yaml,
     * without the active probe's own settings).
     */
    record Thresholds(Set<Integer> healthyStatuses, int successes, Set<Integer> unhealthyStatuses, int tcpFailures, int timeouts,
                      int httpFailures) {

        /** Kong's defaults for passive checks: nothing is counted. */
        static final Thresholds PASSIVE = new Thresholds(
                Set.of(200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308), 0,
                Set.of(429, 500, 503), 0, 0, 0);
        /** Kong's defaults for active checks: nothing is counted. */
        static final Thresholds ACTIVE = new Thresholds(Set.of(200, 302), 0, Set.of(429, 404, 500, 501, 502, 503, 504, 505), 0, 0, 0);

        boolean countsAnything() {
            return successes > 0 || tcpFailures > 0 || timeouts > 0 || httpFailures > 0;
        }
    }

    enum State {
        HEALTHY, MOSTLY_HEALTHY, MOSTLY_UNHEALTHY, UNHEALTHY;

        boolean takesTraffic() {
            return this == HEALTHY || this == MOSTLY_HEALTHY;
        }
    }

    private enum Counter { SUCCESS, TCP, HTTP, TIMEOUT }

    private final State[] states;
    private final int[][] counts;

    TargetHealth(int targets) {
        this.states = new State[targets];
        this.counts = new int[targets][Counter.values().length];
        java.util.Arrays.fill(states, State.HEALTHY);
    }

    synchronized boolean takesTraffic(int target) {
        return states[target].takesTraffic();
    }

    synchronized State state(int target) {
        return states[target];
    }

    /** The targets an active check of this mode probes: the healthy and mostly healthy ones, or the others. */
    synchronized List<Integer> inMode(boolean healthy) {
        List<Integer> found = new ArrayList<>();
        for (int i = 0; i < states.length; i++) {
            if (states[i].takesTraffic() == healthy) {
                found.add(i);
            }
        }
        return found;
    }

    synchronized void httpStatus(int target, int status, Thresholds thresholds) {
        if (thresholds.healthyStatuses().contains(status)) {
            count(target, true, thresholds.successes(), Counter.SUCCESS);
        } else if (thresholds.unhealthyStatuses().contains(status) || status == 0) {
            count(target, false, thresholds.httpFailures(), Counter.HTTP);
        }
    }

    /** A probe of type tcp connected. */
    synchronized void success(int target, Thresholds thresholds) {
        count(target, true, thresholds.successes(), Counter.SUCCESS);
    }

    synchronized void tcpFailure(int target, Thresholds thresholds) {
        count(target, false, thresholds.tcpFailures(), Counter.TCP);
    }

    synchronized void timeout(int target, Thresholds thresholds) {
        count(target, false, thresholds.timeouts(), Counter.TIMEOUT);
    }

    private void count(int target, boolean success, int limit, Counter counter) {
        if (limit == 0) {
            return;
        }
        State current = states[target];
        if (current == (success ? State.HEALTHY : State.UNHEALTHY)) {
            return;
        }
        int[] c = counts[target];
        c[counter.ordinal()]++;
        if (success) {
            c[Counter.TCP.ordinal()] = 0;
            c[Counter.HTTP.ordinal()] = 0;
            c[Counter.TIMEOUT.ordinal()] = 0;
        } else {
            c[Counter.SUCCESS.ordinal()] = 0;
        }
        boolean failures = c[Counter.TCP.ordinal()] + c[Counter.HTTP.ordinal()] + c[Counter.TIMEOUT.ordinal()] > 0;
        if (c[counter.ordinal()] >= limit) {
            states[target] = success ? State.HEALTHY : State.UNHEALTHY;
        } else if (current == State.HEALTHY && failures) {
            states[target] = State.MOSTLY_HEALTHY;
        } else if (current == State.UNHEALTHY && c[Counter.SUCCESS.ordinal()] > 0) {
            states[target] = State.MOSTLY_UNHEALTHY;
        }
    }
}
