package io.kongjava.pdk.bridge;

import io.kongjava.pdk.PdkException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A Bridge that records every call and answers from a script, as Kong would over the wire: answers are
 * wire-shaped values (String, byte[], Long, Double, Boolean, List, Map, null).
 */
final class ScriptedBridge implements Bridge {

    record Call(String method, List<Object> args, boolean terminal) {
        static Call of(String method, Object... args) {
            return new Call(method, Arrays.asList(args), false);
        }

        static Call terminal(String method, Object... args) {
            return new Call(method, Arrays.asList(args), true);
        }
    }

    private final List<Call> calls = new ArrayList<>();
    private final Map<String, Deque<Object>> answers = new HashMap<>();
    private boolean ended;
    private io.kongjava.catalogue.KongPhase phase;

    /** The phase the calls belong to; unknown (null) by default. */
    ScriptedBridge inPhase(io.kongjava.catalogue.KongPhase phase) {
        this.phase = phase;
        return this;
    }

    @Override
    public java.util.Optional<io.kongjava.catalogue.KongPhase> phase() {
        return java.util.Optional.ofNullable(phase);
    }

    /** Kong's next answer to {@code method}; unscripted calls get nil. */
    ScriptedBridge answer(String method, Object value) {
        answers.computeIfAbsent(method, m -> new ArrayDeque<>()).add(value == null ? NIL : value);
        return this;
    }

    private static final Object NIL = new Object();

    @Override
    public Object call(String method, List<?> args) throws PdkException {
        if (ended) {
            throw new PdkException(method, "the event has ended");
        }
        calls.add(new Call(method, List.<Object>copyOf(args), false));
        Deque<Object> queue = answers.get(method);
        Object answer = queue == null ? null : queue.poll();
        return answer == NIL ? null : answer;
    }

    @Override
    public void callTerminal(String method, List<?> args) throws PdkException {
        if (ended) {
            throw new PdkException(method, "the event has ended");
        }
        calls.add(new Call(method, List.<Object>copyOf(args), true));
        ended = true;
    }

    List<Call> calls() {
        return calls;
    }

    Call lastCall() {
        return calls.get(calls.size() - 1);
    }
}
