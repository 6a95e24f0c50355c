package io.kongjava.server;

import io.kongjava.catalogue.PdkFunction;
import io.kongjava.kongclient.EventOutcome;
import io.kongjava.kongclient.PdkHandler;
import io.kongjava.kongclient.PdkHandler.PdkAnswer;
import io.kongjava.pdk.PdkException;
import io.kongjava.protocol.MsgPackValues;
import java.util.List;

/**
 * One event of {@link InProcessPluginServer}: each PDK call handed to Kong's side on this thread, its arguments and
 * answer copied as MessagePack carries them. Ends as an event over the socket ends: a terminal call or a raised PDK
 * function closes it, and later calls fail.
 */
final class DirectEvent implements EventBridge {

    private final PluginInstance instance;
    private final String phase;
    private final PdkHandler kong;
    private final String thread;
    private volatile int calls;
    private EventOutcome over;

    DirectEvent(PluginInstance instance, String phase, PdkHandler kong) {
        this.instance = instance;
        this.phase = phase;
        this.kong = kong;
        this.thread = Thread.currentThread().getName();
    }

    @Override
    public java.util.Optional<io.kongjava.catalogue.KongPhase> phase() {
        return io.kongjava.catalogue.KongPhase.fromKongName(phase);
    }

    @Override
    public Object call(String method, List<?> args) throws PdkException {
        checkOpen(method);
        if (PdkFunction.answeredFromInstanceConfig(method) && instance.pluginId() != null) {
            return instance.pluginId();
        }
        return switch (ask(method, args)) {
            case PdkAnswer.Value value -> MsgPackValues.acrossTheWire(value.value());
            case PdkAnswer.Terminal terminal -> {
                over = new EventOutcome.Terminated(calls, method);
                yield null;
            }
            case PdkAnswer.Raised raised -> throw raised(method, raised);
        };
    }

    @Override
    public void callTerminal(String method, List<?> args) throws PdkException {
        checkOpen(method);
        if (ask(method, args) instanceof PdkAnswer.Raised raised) {
            throw raised(method, raised);
        }
        over = new EventOutcome.Terminated(calls, method);
    }

    @Override
    public boolean ended() {
        return over != null;
    }

    /** The warning for an event that has run longer than {@code limit} and still runs. */
    String describeSlow(java.time.Duration limit) {
        return "plugin " + instance.name() + " has run its " + phase + " phase for more than " + limit.toSeconds()
                + " s in process and holds its request (over the socket Kong would have given up on it): " + calls
                + " PDK call(s) so far, on thread " + thread;
    }

    /** How the event ended, as Kong's side sees it. */
    EventOutcome outcome() {
        return over != null ? over : new EventOutcome.Returned(calls);
    }

    @SuppressWarnings("unchecked")
    private PdkAnswer ask(String method, List<?> args) {
        calls++;
        return kong.answer(method, (List<Object>) MsgPackValues.acrossTheWire(args == null ? List.of() : args));
    }

    private PdkException raised(String method, PdkAnswer.Raised raised) {
        over = new EventOutcome.Raised(calls, method, raised.message());
        return new PdkException(method, "Kong raised: " + raised.message() + " (Kong abandons the event; the request goes on without it)");
    }

    private void checkOpen(String method) throws PdkException {
        if (over != null) {
            throw new PdkException(method, "the " + phase + " event of " + instance.name() + " is over (" + describe(over) + ")");
        }
    }

    private static String describe(EventOutcome outcome) {
        return switch (outcome) {
            case EventOutcome.Terminated t -> t.method() + " was called";
            case EventOutcome.Raised r -> "Kong raised in " + r.method();
            case EventOutcome.Returned r -> "it returned";
        };
    }
}
