package io.kongjava.server;

import io.kongjava.catalogue.PdkFunction;
import io.kongjava.catalogue.RpcMethod;
import io.kongjava.pdk.PdkException;
import io.kongjava.protocol.EventReply;
import io.kongjava.protocol.KongCall;
import io.kongjava.protocol.RpcMessage;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * One phase of one plugin instance for one request, run on the thread that read Kong's HandleEvent. Each
 * PDK call is written as the answer to Kong's pending call, and the same thread then reads Kong's Step from
 * that connection, which is where Kong's keep-alive pool almost always sends it: no thread hand-off on the
 * common path. When another call arrives there instead, the connection goes to a worker and the event
 * waits for its Step, which the thread reading it hands over together with its connection.
 */
final class Event implements EventBridge {

    /** What the server does for an event: hand a connection to a worker, and forget the event. */
    interface Host {
        /** Serves {@code connection} on a worker thread, starting with {@code first} when it is not null. */
        void serveElsewhere(Connection connection, RpcMessage first);

        void eventEnded(Event event);

        /** Closes a connection Kong has closed or that failed. */
        void drop(Connection connection);

        default ServerObserver observer() {
            return ServerObserver.NONE;
        }

        /** Kong never answered {@code method}: it abandons an event when a PDK function raises. */
        default void stepNeverCame(Event event, String method, Duration waited, boolean givenUpEarly) {
        }

        /** Kong answered a call this server sent at {@code sentNanos}: it is alive and working through its calls. */
        default void stepCame(long sentNanos) {
        }
    }

    private static final System.Logger LOG = System.getLogger(Event.class.getName());

    private static final int RUNNING = 0;
    private static final int WAITING = 1;
    private static final int OVER = 2;

    /** A Step read on another connection, with that connection, which now belongs to this event. */
    private record Handover(Connection connection, long msgid, Object data) {
    }

    final long id;
    final PluginInstance instance;
    final String phase;
    private final Duration stepTimeout;
    private final Host host;
    private final AtomicInteger state = new AtomicInteger(RUNNING);
    /** The connection the next answer goes to; taken (set to null) by whoever writes on it. */
    private final AtomicReference<Connection> held;
    private volatile long answerMsgid;
    private volatile long runningSince = System.nanoTime();
    private volatile Handover handover;
    private volatile Connection waitingOn;
    private volatile Thread thread;
    private volatile String endedBy;
    /** It stopped waiting for a Step that Kong may still send (see {@link PluginServer}'s answer to a late Step). */
    private volatile boolean stoppedWaiting;
    /** When the wait for the current Step ends; brought forward by {@link #giveUpWaiting()}. */
    private volatile long stepDeadline;
    private volatile long stepSent;
    /** When the PDK call now waiting for its Step went out, or 0 while running or waiting on a call Kong may take long over. */
    private volatile long ordinaryWaitSince;
    /** The wait (by the time its call went out) that {@link #giveUpWaiting} gave up; a later wait is not touched by it. */
    private volatile long givenUpWait;
    /** How the event ended, for the metrics: set by whatever ended it first. */
    private volatile String outcome;

    Event(long id, PluginInstance instance, String phase, Duration stepTimeout, Host host, Connection connection, long msgid) {
        this.id = id;
        this.instance = instance;
        this.phase = phase;
        this.stepTimeout = stepTimeout;
        this.host = host;
        this.held = new AtomicReference<>(connection);
        this.answerMsgid = msgid;
    }

    /**
     * Runs the phase on this thread and answers Kong's last call with "ret". Returns the connection this
     * thread should go on serving, or {@code null} when the event no longer holds one.
     */
    Connection run(PhaseBody body) {
        thread = Thread.currentThread();
        long started = System.nanoTime();
        try {
            body.run(this);
        } catch (Throwable e) {
            if (endedBy == null) {
                outcome = "error";
                LOG.log(Level.WARNING, "plugin " + instance.name() + " failed in " + phase + " (event #" + id + "): " + e, e);
                PhaseFailure.answer(this, instance.name(), phase, e);
            } else {
                LOG.log(Level.DEBUG, () -> "plugin " + instance.name() + " stopped after its event ended: " + e);
            }
        }
        end("the phase returned");
        host.observer().eventEnded(instance.name(), phase, System.nanoTime() - started, outcome == null ? "ok" : outcome);
        state.set(OVER);
        host.eventEnded(this);
        Connection connection = held.getAndSet(null);
        if (connection == null) {
            return null;
        }
        return answer(connection, new EventReply.Returned(id)) ? connection : null;
    }

    /** The plugin's phase method, given this event as its bridge. */
    @FunctionalInterface
    interface PhaseBody {
        void run(EventBridge event) throws Exception;
    }

    @Override
    public java.util.Optional<io.kongjava.catalogue.KongPhase> phase() {
        return io.kongjava.catalogue.KongPhase.fromKongName(phase);
    }

    @Override
    public Object call(String method, List<?> args) throws PdkException {
        checkOpen(method);
        if (PdkFunction.answeredFromInstanceConfig(method) && instance.pluginId() != null) {
            // The catalogue says why: Kong's answer is in the configuration it started this instance with.
            return instance.pluginId();
        }
        Connection connection = held.getAndSet(null);
        if (connection == null) {
            throw over(method);
        }
        // Published before the answer goes out: a Step that Kong sends on another connection must find where
        // this thread waits, or its wake-up would be lost.
        connection.clearWake();
        waitingOn = connection;
        long sent = System.nanoTime();
        Duration limit = stepTimeoutFor(method);
        stepSent = sent;
        stepDeadline = sent + limit.toNanos();
        ordinaryWaitSince = PdkFunction.mayTakeLong(method) ? 0 : sent;
        state.set(WAITING);
        if (!answer(connection, new EventReply.PdkCall(id, method, args))) {
            waitingOn = null;
            state.set(OVER);
            outcome("connection_lost");
            end("Kong's connection failed");
            throw new PdkException(method, "the connection to Kong failed; the event is over");
        }
        Object data;
        try {
            data = awaitStep(method, connection, limit);
        } finally {
            ordinaryWaitSince = 0;
        }
        runningSince = System.nanoTime();
        host.observer().pdkCall(instance.name(), phase, method, runningSince - sent);
        return data;
    }

    @Override
    public void callTerminal(String method, List<?> args) throws PdkException {
        checkOpen(method);
        Connection connection = held.getAndSet(null);
        if (connection == null) {
            throw over(method);
        }
        outcome("exit");
        end(method + " was called");
        state.set(OVER);
        host.eventEnded(this);
        // Kong never answers an exit: the connection is free for Kong's next call as soon as this is written.
        if (answer(connection, new EventReply.PdkCall(id, method, args))) {
            host.serveElsewhere(connection, null);
        }
    }

    /**
     * A Step for this event read by another connection's thread: hands it over with that connection.
     * {@code false} when the event is not waiting for one (that thread then answers Kong with an error).
     */
    boolean offerStep(Connection connection, long msgid, Object data) {
        if (state.get() == WAITING) {
            runningSince = System.nanoTime(); // before RUNNING, as in awaitStep
        }
        if (!state.compareAndSet(WAITING, RUNNING)) {
            return false;
        }
        handover = new Handover(connection, msgid, data);
        wakeWaiter();
        return true;
    }

    /**
     * Answers Kong with an error when the plugin has held Kong's call longer than {@code limit} (Kong gives
     * up at 60 s and would log only a timeout); the plugin's later calls fail.
     */
    void expireIfSilent(Duration limit, long now) {
        if (state.get() != RUNNING || now - runningSince < limit.toNanos()) {
            return;
        }
        Connection connection = held.getAndSet(null);
        if (connection == null) {
            return;
        }
        String reason = "plugin " + instance.name() + " did not answer within " + limit.toSeconds() + " s in " + phase
                + " (event #" + id + " abandoned)";
        outcome("timeout");
        end("it did not answer within " + limit.toSeconds() + " s");
        state.set(OVER);
        host.eventEnded(this);
        // An RPC error would let Kong proxy the request without the plugin: where Kong lets a plugin end the request,
        // the answer to Kong's pending call ends it with Kong's 500 instead.
        LOG.log(Level.WARNING, reason + (PhaseFailure.endsTheRequest(phase) ? ": the request is ended with Kong's 500" : ""));
        RpcMessage.Response answer = PhaseFailure.endsTheRequest(phase)
                ? RpcMessage.Response.success(answerMsgid, PhaseFailure.endRequest(id))
                : RpcMessage.Response.failure(answerMsgid, reason);
        if (write(connection, answer)) {
            host.serveElsewhere(connection, null);
        }
    }

    /** When its PDK call went out, if it is waiting for an ordinary Step (not a body read); 0 otherwise. */
    long ordinaryWaitSince() {
        return state.get() == WAITING ? ordinaryWaitSince : 0;
    }

    /** Stops the wait whose call went out at {@code since} now, as if its deadline had passed; a later wait goes on. */
    void giveUpWaiting(long since) {
        if (state.get() != WAITING || ordinaryWaitSince != since) {
            return;
        }
        givenUpWait = since;
        wakeWaiter();
    }

    /** Wakes this event's thread, wherever it waits: on its connection's selector or parked for a hand-over. */
    private void wakeWaiter() {
        Connection reading = waitingOn;
        if (reading != null) {
            reading.wake();
        }
        Thread waiter = thread;
        if (waiter != null) {
            LockSupport.unpark(waiter);
        }
    }

    boolean stoppedWaitingForKong() {
        return stoppedWaiting;
    }

    @Override
    public boolean ended() {
        return endedBy != null;
    }

    /**
     * How long Kong may take over a call that reads the client's body: nginx's client_body_timeout bounds only each read,
     * so a slow upload keeps Kong inside get_raw_body well past the usual Step timeout, and is no abandoned event.
     */
    static final Duration BODY_READ_STEP_TIMEOUT = Duration.ofMinutes(10);

    private Duration stepTimeoutFor(String method) {
        return readsBody(method) && BODY_READ_STEP_TIMEOUT.compareTo(stepTimeout) > 0 ? BODY_READ_STEP_TIMEOUT : stepTimeout;
    }

    private static boolean readsBody(String method) {
        return method.equals(PdkFunction.REQUEST_GET_RAW_BODY.kongName()) || method.equals(PdkFunction.REQUEST_GET_BODY.kongName());
    }

    private Object awaitStep(String method, Connection connection, Duration limit) throws PdkException {
        try {
            RpcMessage message = connection.read(true, stepDeadline);
            waitingOn = null;
            if (message instanceof RpcMessage.Request request && isStepFor(request)) {
                runningSince = System.nanoTime(); // before RUNNING: the watch for silent plugins must not count Kong's time
                if (state.compareAndSet(WAITING, RUNNING)) {
                    host.stepCame(stepSent);
                    answerMsgid = request.msgid();
                    held.set(connection);
                    return request.argument() instanceof Map<?, ?> step ? stepData(request.method(), step.get(KongCall.DATA)) : null;
                }
                // The Step already came on another connection; this one is a duplicate.
                write(connection, RpcMessage.Response.failure(request.msgid(), "event #" + id + " is not waiting for a Step"));
                host.serveElsewhere(connection, null);
            } else if (message == null) {
                // Kong closed the connection instead of pooling it (its pool was full); the Step comes elsewhere.
                host.drop(connection);
            } else {
                host.serveElsewhere(connection, message);
            }
        } catch (Connection.StoppedWaiting stopped) {
            waitingOn = null;
            host.serveElsewhere(connection, null);
        } catch (IOException e) {
            waitingOn = null;
            LOG.log(Level.DEBUG, () -> "connection ended while event #" + id + " waited for its Step: " + e.getMessage());
            host.drop(connection);
        }
        return awaitHandover(method, limit);
    }

    private Object awaitHandover(String method, Duration limit) throws PdkException {
        boolean interruptedMeanwhile = false;
        while (true) {
            Handover delivered = handover;
            if (delivered != null) {
                handover = null;
                host.stepCame(stepSent);
                answerMsgid = delivered.msgid();
                held.set(delivered.connection());
                if (interruptedMeanwhile) {
                    Thread.currentThread().interrupt();
                }
                return delivered.data();
            }
            long now = System.nanoTime();
            boolean givenUpEarly = givenUpWait == stepSent;
            long left = givenUpEarly ? 0 : stepDeadline - now;
            // set before the event is over, so that a Step arriving at that moment is answered as a late one
            stoppedWaiting = left <= 0;
            if (left <= 0 && state.compareAndSet(WAITING, OVER)) {
                Duration waited = Duration.ofNanos(now - stepSent);
                String after = givenUpEarly ? "after " + waited.toMillis() + " ms, among too many unanswered calls" : "within " + limit.toSeconds() + " s";
                outcome("timeout");
                end("no Step from Kong " + after);
                host.stepNeverCame(this, method, waited, givenUpEarly);
                throw new PdkException(method, "Kong sent no answer " + after
                        + " (Kong abandons an event when a PDK function raises); the event is over");
            }
            stoppedWaiting = false; // the Step was handed over meanwhile
            LockSupport.parkNanos(this, Math.max(left, 1_000_000));
            if (Thread.interrupted()) {
                if (state.compareAndSet(WAITING, OVER)) {
                    end("interrupted");
                    Thread.currentThread().interrupt();
                    throw new PdkException(method, "interrupted while waiting for Kong's answer");
                }
                interruptedMeanwhile = true; // the Step came first: the interrupt is the plugin's to see
            }
        }
    }

    private boolean isStepFor(RpcMessage.Request request) {
        RpcMethod method = RpcMethod.fromWireName(request.method());
        return method != null && method.isStep()
                && request.argument() instanceof Map<?, ?> step
                && step.get(KongCall.EVENT_ID) instanceof Long eventId && eventId == id;
    }

    /** The value a Step carries; Kong's StepError (older Kong versions) means the PDK function failed. */
    Object stepData(String method, Object data) {
        if (RpcMethod.STEP_ERROR.wireName().equals(method)) {
            LOG.log(Level.WARNING, "Kong reported a PDK error to " + instance.name() + ": " + data);
            return null;
        }
        return data;
    }

    private boolean answer(Connection connection, EventReply reply) {
        return write(connection, RpcMessage.Response.success(answerMsgid, reply));
    }

    private boolean write(Connection connection, RpcMessage.Response response) {
        try {
            connection.write(response);
            return true;
        } catch (IOException e) {
            LOG.log(Level.DEBUG, () -> "could not answer Kong for event #" + id + ": " + e.getMessage());
            host.drop(connection);
            return false;
        }
    }

    private void outcome(String how) {
        if (outcome == null) {
            outcome = how;
        }
    }

    private void end(String reason) {
        if (endedBy == null) {
            endedBy = reason;
        }
    }

    private void checkOpen(String method) throws PdkException {
        if (endedBy != null) {
            throw over(method);
        }
    }

    private PdkException over(String method) {
        return new PdkException(method, "the " + phase + " event of " + instance.name() + " is over (" + endedBy + ")");
    }
}
