package io.kongjava.plugins.aiproxyadvanced;

import io.kongjava.plugins.aiproxyadvanced.AdvancedConfig.Algorithm;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;

/**
 * Picks the target for each attempt of a request, by one of Kong's algorithms (all but semantic), and breaks the circuit of
 * a target that keeps failing. Knows nothing of HTTP: it sees target indexes, outcomes, latencies and usage.
 *
 * <p>Circuit breaking (when {@code max_fails > 0}): {@code max_fails} failures in a row open a target's circuit for
 * {@code fail_timeout} ms, during which it is skipped. After that it is half-open: one request may try it; a success
 * closes the circuit, a failure opens it again for another {@code fail_timeout}. When every target is open, the one
 * whose circuit reopens first is tried anyway rather than failing the request without an attempt.
 */
final class TargetBalancer {

    /** What the balancer knows of one target. Guarded by the balancer's lock. */
    private static final class State {
        final int weight;
        int inFlight;               // least-connections
        int currentWeight;          // smooth weighted round-robin
        int consecutiveFailures;
        long openUntilNanos;        // circuit open while now < openUntil
        boolean halfOpenTrialTaken;
        boolean wasOpened;
        double latencyEwma = -1;    // ms (e2e) or ms per output token (tpot); -1: never measured
        long latencyTouchedNanos;   // when latencyEwma was last fed
        double usage;               // tokens or cost served, for lowest-usage

        State(int weight) {
            this.weight = weight;
        }
    }

    private final State[] targets;
    private final Algorithm algorithm;
    private final int maxFails;
    private final long failTimeoutNanos;
    private final LongSupplier nanoTime;
    /** The consistent-hashing ring: sorted point positions and the target owning each point. */
    private int[] ringPositions = new int[0];
    private int[] ring = new int[0];

    TargetBalancer(List<AdvancedConfig.Target> configured, AdvancedConfig.Balancer balancer, LongSupplier nanoTime) {
        this.targets = configured.stream().map(t -> new State(t.weight())).toArray(State[]::new);
        this.algorithm = balancer.algorithm();
        this.maxFails = balancer.maxFails();
        this.failTimeoutNanos = balancer.failTimeout() * 1_000_000L;
        this.nanoTime = nanoTime;
        if (algorithm == Algorithm.CONSISTENT_HASHING) {
            buildRing(configured, balancer.slots());
        }
    }

    int size() {
        return targets.length;
    }

    /**
     * The target for the next attempt, never one of {@code tried}; -1 when every target was tried.
     *
     * @param hashKey the value of {@code hash_on_header} for consistent hashing; null falls back to round-robin
     */
    synchronized int next(Set<Integer> tried, String hashKey) {
        long now = nanoTime.getAsLong();
        List<Integer> candidates = new ArrayList<>();
        for (int i = 0; i < targets.length; i++) {
            if (!tried.contains(i) && admits(targets[i], now)) {
                candidates.add(i);
            }
        }
        if (candidates.isEmpty()) {
            // Every untried target's circuit is open: rather than refuse unseen, try the one that reopens first.
            int soonest = -1;
            for (int i = 0; i < targets.length; i++) {
                if (!tried.contains(i) && (soonest < 0 || targets[i].openUntilNanos < targets[soonest].openUntilNanos)) {
                    soonest = i;
                }
            }
            return soonest;
        }
        int chosen = switch (algorithm) {
            case ROUND_ROBIN -> roundRobin(candidates);
            case PRIORITY -> roundRobin(highestWeight(candidates));
            case LEAST_CONNECTIONS -> leastConnections(candidates);
            // Refused at StartInstance; should it reach here, balance evenly rather than fail the request.
            case SEMANTIC -> roundRobin(candidates);
            case LOWEST_LATENCY -> lowest(candidates, true);
            case LOWEST_USAGE -> lowest(candidates, false);
            case CONSISTENT_HASHING -> hashKey == null ? roundRobin(candidates) : onRing(hashKey, candidates);
        };
        State state = targets[chosen];
        if (state.wasOpened && now - state.openUntilNanos >= 0) {
            state.halfOpenTrialTaken = true;
        }
        return chosen;
    }

    private boolean admits(State state, long now) {
        if (maxFails == 0 || !state.wasOpened) {
            return true;
        }
        if (now - state.openUntilNanos < 0) {
            return false;
        }
        return !state.halfOpenTrialTaken;
    }

    /** The attempt on {@code target} succeeded (the provider answered and the answer was delivered). */
    synchronized void succeeded(int target) {
        State state = targets[target];
        state.consecutiveFailures = 0;
        state.wasOpened = false;
        state.halfOpenTrialTaken = false;
    }

    /**
     * The attempt on {@code target} ended without a verdict on its health (the client went away, or the provider's
     * answer was the client's error, a 400): a half-open circuit's trial is given back, so the next request tries it
     * again. Without this one such request kept the target out of rotation for good.
     */
    synchronized void settled(int target) {
        targets[target].halfOpenTrialTaken = false;
    }

    /** The attempt on {@code target} failed in a way the failover criteria count. */
    synchronized void failed(int target) {
        State state = targets[target];
        state.consecutiveFailures++;
        if (maxFails == 0) {
            return;
        }
        if (state.wasOpened || state.consecutiveFailures >= maxFails) {
            state.wasOpened = true;
            state.halfOpenTrialTaken = false;
            state.openUntilNanos = nanoTime.getAsLong() + failTimeoutNanos;
        }
    }

    /** Whether the target's circuit is open now (for logs and tests). */
    synchronized boolean open(int target) {
        State state = targets[target];
        return maxFails > 0 && state.wasOpened && nanoTime.getAsLong() - state.openUntilNanos < 0;
    }

    /** Kong's latency balancer's decay time: a sample's weight falls by e every 10 s. */
    static final double LATENCY_DECAY_NANOS = 10e9;

    /**
     * Feeds lowest-latency: a measured latency (ms, or ms per token for tpot), averaged as Kong's latency balancer does
     * (runloop/balancer/latency.lua): the older the average, the less it weighs against the new sample.
     */
    synchronized void latency(int target, double value) {
        State state = targets[target];
        long now = nanoTime.getAsLong();
        state.latencyEwma = state.latencyEwma < 0 ? value : decayed(state, value, now);
        state.latencyTouchedNanos = now;
    }

    /**
     * A failed attempt that took {@code millis}, for lowest-latency: it puts the target behind every other for now (twice
     * the slowest known score), so that a target failing fast (a quick 429) is not the favourite; the
     * decay brings it back to be tried.
     */
    synchronized void latencyOfFailure(int target, double millis) {
        long now = nanoTime.getAsLong();
        double slowest = 0;
        for (State state : targets) {
            if (state.latencyEwma >= 0) {
                slowest = Math.max(slowest, decayed(state, 0, now));
            }
        }
        State state = targets[target];
        // twice the slowest score, in the scores' own unit (ms per token for tpot); the attempt's time only when none is known
        state.latencyEwma = slowest > 0 ? 2 * slowest : millis;
        state.latencyTouchedNanos = now;
    }

    /** The average as of {@code now}, moved towards {@code sample} by the time since it was last fed. */
    private static double decayed(State state, double sample, long now) {
        double weight = Math.exp(-Math.max(0, now - state.latencyTouchedNanos) / LATENCY_DECAY_NANOS);
        return state.latencyEwma * weight + sample * (1 - weight);
    }

    /** Feeds lowest-usage: tokens (or cost) the target served. */
    synchronized void usage(int target, double amount) {
        targets[target].usage += amount;
    }

    private int roundRobin(List<Integer> candidates) {
        // nginx's smooth weighted round-robin: even spread, exact proportions over each cycle of total weight.
        int total = 0;
        int best = -1;
        for (int i : candidates) {
            State state = targets[i];
            state.currentWeight += state.weight;
            total += state.weight;
            if (best < 0 || state.currentWeight > targets[best].currentWeight) {
                best = i;
            }
        }
        targets[best].currentWeight -= total;
        return best;
    }

    /** Kong's priority groups are the targets' weights: the highest weight's group is served first. */
    private List<Integer> highestWeight(List<Integer> candidates) {
        int top = candidates.stream().mapToInt(i -> targets[i].weight).max().orElseThrow();
        return candidates.stream().filter(i -> targets[i].weight == top).toList();
    }

    /** The target with the most spare capacity: fewest attempts in flight per unit of weight; ties by weighted round-robin. */
    private int leastConnections(List<Integer> candidates) {
        double best = Double.MAX_VALUE;
        List<Integer> tied = new ArrayList<>();
        for (int i : candidates) {
            double load = (targets[i].inFlight + 1.0) / targets[i].weight;
            if (load < best - 1e-12) {
                best = load;
                tied.clear();
                tied.add(i);
            } else if (Math.abs(load - best) <= 1e-12) {
                tied.add(i);
            }
        }
        return tied.size() == 1 ? tied.getFirst() : roundRobin(tied);
    }

    /** An attempt on {@code target} has begun (for least-connections). */
    synchronized void started(int target) {
        targets[target].inFlight++;
    }

    /** An attempt on {@code target} has ended, however it went. */
    synchronized void finished(int target) {
        targets[target].inFlight = Math.max(0, targets[target].inFlight - 1);
    }

    /** Attempts in flight on {@code target} (for tests). */
    synchronized int inFlight(int target) {
        return targets[target].inFlight;
    }

    /** Lowest latency or lowest usage per unit of weight; unmeasured targets first, ties by weighted chance. */
    private int lowest(List<Integer> candidates, boolean byLatency) {
        long now = nanoTime.getAsLong();
        double best = Double.MAX_VALUE;
        List<Integer> tied = new ArrayList<>();
        for (int i : candidates) {
            State state = targets[i];
            // as Kong's latency balancer scores: the average decayed towards 0 since last fed, so an idle target is tried again
            double score = byLatency ? (state.latencyEwma < 0 ? -1 : decayed(state, 0, now) / state.weight) : state.usage / state.weight;
            if (score < best - 1e-9) {
                best = score;
                tied.clear();
                tied.add(i);
            } else if (Math.abs(score - best) <= 1e-9) {
                tied.add(i);
            }
        }
        if (tied.size() == 1) {
            return tied.getFirst();
        }
        int total = tied.stream().mapToInt(i -> targets[i].weight).sum();
        int draw = ThreadLocalRandom.current().nextInt(total);
        for (int i : tied) {
            draw -= targets[i].weight;
            if (draw < 0) {
                return i;
            }
        }
        return tied.getLast();
    }

    /** The first candidate at or after the key's point on the ring, so a key keeps its target while it is up. */
    private int onRing(String key, List<Integer> candidates) {
        int hash = hash(key);
        int at = Arrays.binarySearch(ringPositions, hash);
        int start = at >= 0 ? at : -at - 1;
        for (int step = 0; step < ring.length; step++) {
            int target = ring[(start + step) % ring.length];
            if (candidates.contains(target)) {
                return target;
            }
        }
        return candidates.getFirst();
    }

    /**
     * Each target owns {@code slots} points of the ring in proportion to its weight, placed by hashing
     * "provider/model#index:point", so a target that goes away moves only the keys of its own points.
     */
    private void buildRing(List<AdvancedConfig.Target> configured, int slots) {
        long totalWeight = configured.stream().mapToInt(AdvancedConfig.Target::weight).sum();
        List<long[]> points = new ArrayList<>();
        for (int t = 0; t < configured.size(); t++) {
            AdvancedConfig.Target target = configured.get(t);
            long share = Math.max(1, slots * target.weight() / totalWeight);
            for (int p = 0; p < share; p++) {
                points.add(new long[] {hash(target.model().provider() + "/" + target.model().name() + "#" + t + ":" + p), t});
            }
        }
        points.sort((a, b) -> Long.compare(a[0], b[0]));
        ringPositions = new int[points.size()];
        ring = new int[points.size()];
        for (int i = 0; i < points.size(); i++) {
            ringPositions[i] = (int) points.get(i)[0];
            ring[i] = (int) points.get(i)[1];
        }
    }

    /** FNV-1a with a murmur3 finish: stable across JVMs and restarts, and well spread for similar keys. */
    static int hash(String key) {
        int h = 0x811c9dc5;
        for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x01000193;
        }
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return h;
    }
}
