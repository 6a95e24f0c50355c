package io.kongjava.server;

import io.kongjava.pdk.PdkException;
import io.kongjava.pdk.bridge.Bridge;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One phase of one plugin instance for one request. The plugin runs on its own virtual thread and calls the
 * PDK through this event's {@link Bridge}; each call becomes the answer to Kong's pending HandleEvent or
 * Step, and the plugin's thread waits until Kong's next Step brings the result. Kong may send those Steps
 * on any connection: the event is found by its id, never by connection.
 */
final class Event implements Bridge {

    /** What the plugin's thread hands to the connection waiting on Kong's behalf. */
    sealed interface Outgoing {
        record PdkCall(String method, List<Object> args, boolean terminal) implements Outgoing {
        }

        record Done() implements Outgoing {
        }
    }

    private static final Object NIL = new Object();

    final long id;
    final PluginInstance instance;
    final String phase;
    private final Duration stepTimeout;
    private final Mailbox<Outgoing> outgoing = new Mailbox<>();
    private final Mailbox<Object> steps = new Mailbox<>();
    private volatile String endedBy;
    private volatile boolean abandonedByKong;

    Event(long id, PluginInstance instance, String phase, Duration stepTimeout) {
        this.id = id;
        this.instance = instance;
        this.phase = phase;
        this.stepTimeout = stepTimeout;
    }

    /** Kong stopped stepping this event (a PDK function raised in Kong, or Kong timed out): nobody waits for it. */
    boolean abandonedByKong() {
        return abandonedByKong;
    }

    void abandon(String reason) {
        abandonedByKong = true;
        end(reason);
    }

    boolean ended() {
        return endedBy != null;
    }

    /** Marks the event over; later PDK calls from the plugin fail with a message naming why. */
    void end(String reason) {
        if (endedBy == null) {
            endedBy = reason;
        }
    }

    /** The next thing the plugin does, waiting at most {@code limit}; {@code null} when it took longer. */
    Outgoing awaitOutgoing(Duration limit) throws InterruptedException {
        return outgoing.take(limit);
    }

    /** Kong's Step: resumes the plugin's thread with the result of its PDK call. */
    void deliverStep(Object data) {
        steps.put(data == null ? NIL : data);
    }

    void pluginReturned() {
        outgoing.put(new Outgoing.Done());
    }

    @Override
    public Object call(String method, List<?> args) throws PdkException {
        checkOpen(method);
        if ("kong.plugin.get_id".equals(method) && instance.pluginId() != null) {
            // Kong answers with the id of the plugin entity this instance was started for: known here already,
            // and every round trip saved counts on the request's path.
            return instance.pluginId();
        }
        steps.clear();
        outgoing.put(new Outgoing.PdkCall(method, wireArgs(args), false));
        Object data;
        try {
            data = steps.take(stepTimeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            end("interrupted");
            throw new PdkException(method, "interrupted while waiting for Kong's answer", e);
        }
        if (data == null) {
            abandonedByKong = true;
            end("no Step from Kong within " + stepTimeout.toSeconds() + " s");
            throw new PdkException(method, "Kong sent no answer within " + stepTimeout.toSeconds()
                    + " s (Kong abandons an event when a PDK function raises); the event is over");
        }
        return data == NIL ? null : data;
    }

    @Override
    public void callTerminal(String method, List<?> args) throws PdkException {
        checkOpen(method);
        end(method + " was called");
        outgoing.put(new Outgoing.PdkCall(method, wireArgs(args), true));
    }

    private void checkOpen(String method) throws PdkException {
        String reason = endedBy;
        if (reason != null) {
            throw new PdkException(method, "the " + phase + " event of " + instance.name() + " is over (" + reason + ")");
        }
    }

    /** Kong spreads Args with unpack(): trailing nils are dropped, a nil before a value would lose the rest. */
    private static List<Object> wireArgs(List<?> args) {
        List<Object> copy = new ArrayList<>(args == null ? List.of() : args);
        while (!copy.isEmpty() && copy.getLast() == null) {
            copy.removeLast();
        }
        if (copy.contains(null)) {
            throw new IllegalArgumentException("a PDK call cannot send nil before another argument (Kong would drop the rest): " + copy);
        }
        return copy;
    }
}
