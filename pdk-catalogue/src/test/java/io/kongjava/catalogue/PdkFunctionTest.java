package io.kongjava.catalogue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PdkFunctionTest {

    @Test
    void kongNamesAreUniqueAndFoundBack() {
        for (PdkFunction f : PdkFunction.values()) {
            assertThat(f.kongName()).startsWith("kong.");
            assertThat(PdkFunction.byKongName(f.kongName())).contains(f);
            assertThat(f.phases()).as(f.kongName()).isNotEmpty();
        }
        assertThat(PdkFunction.byKongName("kong.request.no_such")).isEmpty();
    }

    @Test
    void theLogTimerAnswersOnlyFromTheSnapshotOrWhatNeedsNoRequest() {
        assertThat(PdkFunction.REQUEST_GET_HEADER.callableIn(KongPhase.LOG)).isTrue();
        assertThat(PdkFunction.REQUEST_GET_METHOD.callableIn(KongPhase.LOG)).isFalse();
        assertThat(PdkFunction.REQUEST_GET_METHOD.callableIn(KongPhase.ACCESS)).isTrue();
        assertThat(PdkFunction.LOG_SERIALIZE.callableIn(KongPhase.ACCESS)).isFalse();
        assertThat(PdkFunction.NODE_GET_ID.callableIn(KongPhase.LOG)).isTrue();
        assertThat(PdkFunction.CLIENT_AUTHENTICATE.callableIn(KongPhase.REWRITE)).isFalse();
    }

    @Test
    void stepMethodsAreKongsTypedOnesOrThePlainStep() {
        assertThat(PdkFunction.stepFor("kong.client.get_consumer")).isEqualTo(RpcMethod.STEP_CONSUMER);
        assertThat(PdkFunction.stepFor("kong.request.get_headers").wireName()).isEqualTo("plugin.StepMultiMap");
        assertThat(PdkFunction.stepFor("kong.request.get_header")).isEqualTo(RpcMethod.STEP);
        assertThat(PdkFunction.stepFor("kong.unknown")).isEqualTo(RpcMethod.STEP);
        assertThat(PdkFunction.isTerminal("kong.response.exit")).isTrue();
        assertThat(PdkFunction.isTerminal("kong.response.set_status")).isFalse();
        assertThat(RpcMethod.fromWireName("plugin.StepError")).isEqualTo(RpcMethod.STEP_ERROR);
        assertThat(RpcMethod.fromWireName("plugin.Teleport")).isNull();
        assertThat(RpcMethod.STEP_ERROR.isStep()).isTrue();
        assertThat(RpcMethod.HANDLE_EVENT.isStep()).isFalse();
    }

    @Test
    void argumentRangesRefuseWhatKongWouldRaiseFor() {
        assertThat(PdkFunction.RESPONSE_ERROR.checked(1, 404)).isEqualTo(404);
        assertThatThrownBy(() -> PdkFunction.RESPONSE_ERROR.checked(1, 302))
                .hasMessage("kong.response.error: status must be between 400 and 599, got 302");
        assertThatThrownBy(() -> PdkFunction.REQUEST_GET_HEADERS.checked(1, 0)).hasMessageContaining("between 1 and 1000");
        assertThatThrownBy(() -> PdkFunction.REQUEST_GET_RAW_BODY.checked(1, -1L)).hasMessageContaining("at least 0");
        assertThat(PdkFunction.SERVICE_SET_TARGET.checked(1, -5)).as("only the port has a range").isEqualTo(-5);
    }

    @Test
    void statusTextsAreKongsOneTable() {
        assertThat(KongStatusTexts.defaultMessage(413)).isEqualTo("Payload too large");
        assertThat(KongStatusTexts.defaultMessage(429)).isEqualTo("Too many requests");
        assertThat(KongStatusTexts.defaultMessage(502)).isEqualTo("An invalid response was received from the upstream server");
        assertThat(KongStatusTexts.defaultMessage(599)).isEqualTo("The upstream server responded with 599");
    }

    @Test
    void phaseNamesAreKongs() {
        assertThat(KongPhase.fromKongName("access")).contains(KongPhase.ACCESS);
        assertThat(KongPhase.fromKongName("header_filter")).isEmpty();
        assertThat(KongPhase.LOG.kongName()).isEqualTo("log");
    }
}
