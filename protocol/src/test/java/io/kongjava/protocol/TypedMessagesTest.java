package io.kongjava.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kongjava.catalogue.RpcMethod;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The typed records put on the wire exactly the bytes of the maps both sides used to build by hand. */
class TypedMessagesTest {

    private static byte[] answer(Object result) {
        return RpcWriter.encode(RpcMessage.Response.success(7, result));
    }

    private static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }

    @Test
    void eventRepliesPackAsKongsMaps() {
        List<Object> args = List.of("x-api-key", 3L, new byte[] {1, 2});
        assertThat(answer(new EventReply.PdkCall(12, "kong.request.get_header", args)))
                .isEqualTo(answer(ordered("EventId", 12L, "Data", ordered("Method", "kong.request.get_header", "Args", args))));
        assertThat(answer(new EventReply.Returned(12))).isEqualTo(answer(ordered("EventId", 12L, "Data", "ret")));
        assertThat(answer(new InstanceInfo("p", 3, Map.of("a", 1L), 1.5)))
                .isEqualTo(answer(ordered("Name", "p", "Id", 3L, "Config", Map.of("a", 1L), "StartTime", 1.5)));
        assertThat(answer(new InstanceInfo("p", 3, Map.of(), null))).isEqualTo(answer(ordered("Name", "p", "Id", 3L, "Config", Map.of())));
    }

    @Test
    void eventRepliesReadBack() throws Exception {
        Object wire = new RpcReader(new java.io.ByteArrayInputStream(answer(new EventReply.PdkCall(5, "kong.log.err", List.of("oops")))))
                .read() instanceof RpcMessage.Response r ? r.result() : null;
        assertThat(EventReply.decode(wire)).isEqualTo(new EventReply.PdkCall(5, "kong.log.err", List.of("oops")));
        assertThat(EventReply.decode(ordered("EventId", 5L, "Data", "ret"))).isEqualTo(new EventReply.Returned(5));
        assertThatThrownBy(() -> EventReply.decode(ordered("EventId", 5L, "Data", 3L))).isInstanceOf(ProtocolException.class);
    }

    @Test
    void kongCallsRoundTrip() throws Exception {
        List<KongCall> calls = List.of(new KongCall.StartInstance("p", "{}"), new KongCall.InstanceStatus(4), new KongCall.CloseInstance(4),
                new KongCall.GetStatus(), new KongCall.GetPluginInfo("p"), new KongCall.HandleEvent(4, "access"),
                new KongCall.Step(RpcMethod.STEP_MULTI_MAP, 9, Map.of("a", List.of("b"))), new KongCall.Step(RpcMethod.STEP, 9, null));
        for (KongCall call : calls) {
            assertThat(KongCall.decode(call.method().wireName(), call.toArgument())).isEqualTo(call);
        }
        assertThat(new KongCall.HandleEvent(4, "log").toArgument()).isEqualTo(ordered("InstanceId", 4L, "EventName", "log"));
        assertThat(new KongCall.Step(RpcMethod.STEP, 9, null).toArgument()).isEqualTo(ordered("EventId", 9L));
    }

    @Test
    void malformedCallsNameWhatIsWrong() {
        assertThatThrownBy(() -> KongCall.decode("plugin.HandleEvent", Map.of("InstanceId", 1L)))
                .hasMessage("plugin.HandleEvent needs a string EventName");
        assertThatThrownBy(() -> KongCall.decode("plugin.CloseInstance", "x")).hasMessageContaining("must be an integer id");
        assertThatThrownBy(() -> KongCall.decode("plugin.Teleport", null)).hasMessage("method plugin.Teleport not implemented");
        assertThatThrownBy(() -> new KongCall.Step(RpcMethod.HANDLE_EVENT, 1, null)).isInstanceOf(IllegalArgumentException.class);
    }
}
