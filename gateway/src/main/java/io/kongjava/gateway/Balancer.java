package io.kongjava.gateway;

import io.kongjava.emulation.KongRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32;

/**
 * An Upstream of kong.yaml and the choice of its target for each try, as Kong's balancer makes it. A Service whose
 * host is an Upstream's name is proxied to that Upstream's targets (a target of weight 0 takes no traffic):
 * <ul>
 *   <li>{@code round-robin} (Kong's default): targets in turn, each as often as its weight says (nginx's smooth
 *       weighted order; Kong's wheel of slots visits them in another order with the same shares).</li>
 *   <li>{@code least-connections}: the target with the fewest requests in flight for its weight.</li>
 *   <li>{@code consistent-hashing}: the same target for the same {@code hash_on} value (ip, header, cookie, path,
 *       query_arg, uri_capture; consumer is always absent here), falling back to {@code hash_fallback}, then to
 *       round-robin when neither has a value.</li>
 *   <li>{@code latency} (Kong 3.7+): the target with the lowest response time for its weight, each target's time an
 *       exponentially weighted average (10 s decay) of its requests' times that fades towards 0 while it is not
 *       used, so a slow target is tried again after a while.</li>
 * </ul>
 * A retry goes to a target not tried yet for the request while there is one. Health checks, passive (Kong's circuit
 * breaker, counted from proxied tries) and active ({@link ActiveHealthChecks}), move each target's
 * {@link TargetHealth}; a target that is not healthy takes no traffic.
 */
final class Balancer {

    record Target(String host, int port, int weight) {
    }

    /** {@code hashOn}: none, ip, header, cookie, path, query_arg, uri_capture or consumer; {@code hashKey}: its name. */
    record Hash(String on, String key) {
    }

    private final String name;
    private final String algorithm;
    private final Hash hashOn;
    private final Hash hashFallback;
    private final String hostHeader;
    private final List<Target> targets;
    private final int[] currentWeights;
    private final int[] inFlight;
    private final TargetHealth.Thresholds passive;
    private final ActiveHealthChecks.Probe activeProbe;
    private final TargetHealth health;
    private final double healthThreshold;
    /** {@code latency}: each target's average response time in seconds, and when it was last updated (0: never). */
    private final double[] ewma;
    private final long[] ewmaTouchedNanos;

    private static final double EWMA_DECAY_SECONDS = 10;

    Balancer(String name, String algorithm, Hash hashOn, Hash hashFallback, String hostHeader, List<Target> targets) {
        this(name, algorithm, hashOn, hashFallback, hostHeader, targets, TargetHealth.Thresholds.PASSIVE, ActiveHealthChecks.Probe.OFF);
    }

    Balancer(String name, String algorithm, Hash hashOn, Hash hashFallback, String hostHeader, List<Target> targets,
             TargetHealth.Thresholds passive, ActiveHealthChecks.Probe activeProbe) {
        this(name, algorithm, hashOn, hashFallback, hostHeader, targets, passive, activeProbe, 0);
    }

    /** @param healthThreshold {@code healthchecks.threshold}: the share of the weight (%) that must be healthy, or more */
    Balancer(String name, String algorithm, Hash hashOn, Hash hashFallback, String hostHeader, List<Target> targets,
             TargetHealth.Thresholds passive, ActiveHealthChecks.Probe activeProbe, double healthThreshold) {
        this.healthThreshold = healthThreshold;
        this.name = name;
        this.algorithm = algorithm;
        this.hashOn = hashOn;
        this.hashFallback = hashFallback;
        this.hostHeader = hostHeader;
        this.targets = List.copyOf(targets);
        this.currentWeights = new int[targets.size()];
        this.inFlight = new int[targets.size()];
        this.passive = passive;
        this.activeProbe = activeProbe;
        this.health = new TargetHealth(targets.size());
        this.ewma = new double[targets.size()];
        this.ewmaTouchedNanos = new long[targets.size()];
    }

    /**
     * A request's tries ended on {@code target} after {@code seconds} (connect and response, as nginx times them): the
     * {@code latency} algorithm's average for it moves towards that.
     */
    synchronized void afterBalance(Target target, double seconds) {
        int i = targets.indexOf(target);
        if (i >= 0 && algorithm.equals("latency")) {
            long now = System.nanoTime();
            ewma[i] = decayedEwma(i, seconds, now);
            ewmaTouchedNanos[i] = now;
        }
    }

    private double decayedEwma(int i, double seconds, long now) {
        double idle = ewmaTouchedNanos[i] == 0 ? Double.POSITIVE_INFINITY : Math.max(0, (now - ewmaTouchedNanos[i]) / 1e9);
        double weight = Math.exp(-idle / EWMA_DECAY_SECONDS);
        return ewma[i] * weight + seconds * (1 - weight);
    }

    boolean balancesByLatency() {
        return algorithm.equals("latency");
    }

    /** A try on {@code host:port} failed to connect or send ({@code timeout}: or timed out): Kong's passive check. */
    void failed(String host, int port, boolean timeout) {
        int i = indexOf(host, port);
        if (i < 0) {
            return;
        }
        if (timeout) {
            health.timeout(i, passive);
        } else {
            health.tcpFailure(i, passive);
        }
    }

    /** A try on {@code host:port} got an answer with {@code status}: Kong's passive check. */
    void answered(String host, int port, int status) {
        int i = indexOf(host, port);
        if (i >= 0) {
            health.httpStatus(i, status, passive);
        }
    }

    boolean healthy(Target target) {
        int i = targets.indexOf(target);
        return i >= 0 && health.takesTraffic(i);
    }

    TargetHealth health() {
        return health;
    }

    ActiveHealthChecks.Probe activeProbe() {
        return activeProbe;
    }

    private int indexOf(String host, int port) {
        for (int i = 0; i < targets.size(); i++) {
            if (targets.get(i).port() == port && targets.get(i).host().equals(host)) {
                return i;
            }
        }
        return -1;
    }

    /** Whether a target can be chosen: a weight, healthy, and not tried for this request while others remain. */
    private boolean usable(int i, Set<Target> tried, boolean untriedLeft) {
        Target target = targets.get(i);
        return target.weight() > 0 && health.takesTraffic(i) && !(untriedLeft && tried.contains(target));
    }

    private boolean untriedLeft(Set<Target> tried) {
        for (int i = 0; i < targets.size(); i++) {
            if (targets.get(i).weight() > 0 && health.takesTraffic(i) && !tried.contains(targets.get(i))) {
                return true;
            }
        }
        return false;
    }

    String name() {
        return name;
    }

    /** The Upstream's {@code host_header}, or null: then the Host is the target's. */
    String hostHeader() {
        return hostHeader;
    }

    List<Target> targets() {
        return targets;
    }

    /** The target for a request's next try, or null when no target takes traffic. */
    synchronized Target next(KongRequest request, Set<Target> tried) {
        if (algorithm.equals("consistent-hashing")) {
            String key = hashValue(hashOn, request);
            if (key == null) {
                key = hashValue(hashFallback, request);
            }
            if (key != null) {
                Target hashed = byHash(key, tried);
                if (hashed != null) {
                    return hashed;
                }
            }
        }
        if (algorithm.equals("least-connections") || algorithm.equals("latency")) {
            if (!healthyOverall()) {
                return null; // Kong's "Balancer is unhealthy"; its round-robin and hashing look at this only after a DNS change
            }
            return algorithm.equals("latency") ? lowestLatency(tried) : leastConnections(tried);
        }
        return roundRobin(tried);
    }

    /** A try on {@code target} began ({@code started}) or ended: least-connections counts what is in flight. */
    synchronized void inFlight(Target target, boolean started) {
        int index = targets.indexOf(target);
        if (index >= 0) {
            inFlight[index] += started ? 1 : -1;
        }
    }

    private Target roundRobin(Set<Target> tried) {
        // nginx's smooth weighted round-robin, skipping targets this request tried while others remain
        boolean untriedLeft = untriedLeft(tried);
        int total = 0;
        int best = -1;
        for (int i = 0; i < targets.size(); i++) {
            Target target = targets.get(i);
            if (!usable(i, tried, untriedLeft)) {
                continue;
            }
            currentWeights[i] += target.weight();
            total += target.weight();
            if (best < 0 || currentWeights[i] > currentWeights[best]) {
                best = i;
            }
        }
        if (best < 0) {
            return null;
        }
        currentWeights[best] -= total;
        return targets.get(best);
    }

    private Target leastConnections(Set<Target> tried) {
        boolean untriedLeft = untriedLeft(tried);
        Target best = null;
        double bestLoad = Double.MAX_VALUE;
        for (int i = 0; i < targets.size(); i++) {
            Target target = targets.get(i);
            if (!usable(i, tried, untriedLeft)) {
                continue;
            }
            double load = (inFlight[i] + 1.0) / target.weight();
            if (load < bestLoad) {
                best = target;
                bestLoad = load;
            }
        }
        return best;
    }

    /** Kong's balancer health: the healthy targets' share of the total weight is over {@code healthchecks.threshold}. */
    private boolean healthyOverall() {
        long total = 0;
        long available = 0;
        for (int i = 0; i < targets.size(); i++) {
            total += targets.get(i).weight();
            if (health.takesTraffic(i)) {
                available += targets.get(i).weight();
            }
        }
        return total > 0 && available * 100.0 / total > healthThreshold;
    }

    private Target lowestLatency(Set<Target> tried) {
        boolean untriedLeft = untriedLeft(tried);
        long now = System.nanoTime();
        int best = -1;
        double bestScore = Double.MAX_VALUE;
        for (int i = 0; i < targets.size(); i++) {
            if (!usable(i, tried, untriedLeft)) {
                continue;
            }
            double score = decayedEwma(i, 0, now) / targets.get(i).weight();
            if (best < 0 || score < bestScore) {
                best = i;
                bestScore = score;
            }
        }
        return best < 0 ? null : targets.get(best);
    }

    /** The target a hash value falls on, by the targets' weights; the next one on when it was tried already. */
    private Target byHash(String key, Set<Target> tried) {
        int total = targets.stream().mapToInt(Target::weight).sum();
        if (total == 0) {
            return null;
        }
        CRC32 crc = new CRC32();
        crc.update(key.getBytes(StandardCharsets.UTF_8));
        long point = crc.getValue() % total;
        int start = 0;
        for (int i = 0; i < targets.size(); i++) {
            point -= targets.get(i).weight();
            if (point < 0) {
                start = i;
                break;
            }
        }
        for (int step = 0; step < targets.size(); step++) {
            int i = (start + step) % targets.size();
            if (targets.get(i).weight() > 0 && health.takesTraffic(i) && !tried.contains(targets.get(i))) {
                return targets.get(i);
            }
        }
        return null;
    }

    private static String hashValue(Hash hash, KongRequest request) {
        return switch (hash.on()) {
            case "ip" -> request.forwardedIp();
            case "header" -> request.header(hash.key());
            case "path" -> request.normalizedPath(); // Kong hashes nginx's normalized $uri
            case "query_arg" -> Router.queries(request.rawQuery).getOrDefault(hash.key(), List.of()).stream().findFirst().orElse(null);
            case "uri_capture" -> request.uriCapturesNamed.get(hash.key());
            case "cookie" -> cookie(request.header("cookie"), hash.key());
            default -> null; // none; consumer: the local gateway has no consumers
        };
    }

    private static String cookie(String header, String name) {
        if (header == null) {
            return null;
        }
        for (String pair : header.split(";")) {
            int equals = pair.indexOf('=');
            if (equals > 0 && pair.substring(0, equals).trim().equals(name)) {
                return pair.substring(equals + 1).trim();
            }
        }
        return null;
    }

    /** Kong's default port of a target written without one. */
    static final int DEFAULT_TARGET_PORT = 8000;
}
