package io.kongjava.server;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * PDK calls Kong never answers. Kong answers a call at once unless the PDK function raised (a wrong argument, a function
 * that cannot run in this phase): then mp_rpc.lua's loop dies with the error, Kong ends the request with its 500 and
 * logs why, and the event's thread here waits for a Step that never comes. One such wait is cheap; a plugin bug on a
 * busy route makes one per request, each holding a thread for the step timeout. So once more than
 * {@link #MAX_STALE_WAITS} calls have waited over {@link #STALE_AFTER} while Kong answered calls sent after them, the
 * oldest are given up. Calls Kong may take long over (a body read, a database or vault:
 * {@link io.kongjava.catalogue.PdkFunction#mayTakeLong}) are never given up here, nor any while Kong answers nothing
 * (stalled, not failed). Each kind of unanswered call is logged, once a minute at most, with the plugin, phase and
 * function that Kong's error.log has the reason for.
 */
final class UnansweredSteps {

    private static final System.Logger LOG = System.getLogger(UnansweredSteps.class.getName());

    static final Duration STALE_AFTER = Duration.ofSeconds(2);
    static final int MAX_STALE_WAITS = 32;
    private static final long REPORT_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

    private record StaleWait(Event event, long since) {
    }

    private record Kind(String plugin, String phase, String method) {
    }

    private static final class Tally {
        long lastReported;
        int unreported;
    }

    private final Map<Kind, Tally> tallies = new ConcurrentHashMap<>();

    /**
     * Gives up the oldest stale waits beyond {@link #MAX_STALE_WAITS}, of those Kong has since answered later calls than
     * (a Kong that is stalled or slow answers nothing, and then nothing is given up); returns how many.
     */
    static int giveUpCrowdedWaits(Iterable<Event> events, long now, long latestAnsweredCall) {
        long staleSince = now - STALE_AFTER.toNanos();
        List<StaleWait> stale = new ArrayList<>();
        for (Event event : events) {
            long waitingSince = event.ordinaryWaitSince();
            if (waitingSince != 0 && waitingSince - staleSince <= 0 && latestAnsweredCall - waitingSince > 0) {
                stale.add(new StaleWait(event, waitingSince));
            }
        }
        if (stale.size() <= MAX_STALE_WAITS) {
            return 0;
        }
        stale.sort(Comparator.comparingLong(StaleWait::since));
        int excess = stale.size() - MAX_STALE_WAITS;
        for (int i = 0; i < excess; i++) {
            stale.get(i).event().giveUpWaiting(stale.get(i).since());
        }
        return excess;
    }

    void report(Event event, String method, Duration waited, boolean givenUpEarly) {
        Tally tally = tallies.computeIfAbsent(new Kind(event.instance.name(), event.phase, method), kind -> new Tally());
        long now = System.nanoTime();
        int alsoMeanwhile;
        synchronized (tally) {
            if (tally.lastReported != 0 && now - tally.lastReported < REPORT_EVERY_NANOS) {
                tally.unreported++;
                return;
            }
            tally.lastReported = now;
            alsoMeanwhile = tally.unreported;
            tally.unreported = 0;
        }
        LOG.log(Level.WARNING, "plugin " + event.instance.name() + " in " + event.phase + ": Kong never answered " + method
                + " (event #" + event.id + ", given up after " + waited.toMillis() + " ms"
                + (givenUpEarly ? " with more than " + MAX_STALE_WAITS + " such calls waiting" : "")
                + "). Kong abandons an event when the PDK function raises an error; its error.log has the reason."
                + (alsoMeanwhile > 0 ? " " + alsoMeanwhile + " more like it since the last report." : ""));
    }
}
