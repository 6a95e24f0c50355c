package io.kongjava.pdk.exchange;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProcessRequestExchangeTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final ProcessRequestExchange exchange =
            new ProcessRequestExchange(Duration.ofSeconds(60), Duration.ofMinutes(10), now::get);

    private void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }

    @Test
    void aLogHandlerReceivesWhatTheProxyPublishedWhenItCompletes() throws Exception {
        CompletableFuture<Object> usage = new CompletableFuture<>();
        exchange.publish("req-1", "ai", usage);

        Thread producer = Thread.ofVirtual().start(() -> usage.complete(Map.of("prompt_tokens", 12)));
        assertThat(exchange.await("req-1", "ai", Duration.ofSeconds(5))).contains(Map.of("prompt_tokens", 12));
        producer.join();
    }

    @Test
    void nothingPublishedFailedOrLateIsEmpty() throws Exception {
        assertThat(exchange.await("req-x", "ai", Duration.ofMillis(1))).isEmpty();

        exchange.publish("req-2", "ai", CompletableFuture.failedFuture(new IllegalStateException("stream broke")));
        assertThat(exchange.await("req-2", "ai", Duration.ofSeconds(1))).isEmpty();

        exchange.publish("req-3", "ai", new CompletableFuture<>());
        assertThat(exchange.await("req-3", "ai", Duration.ofMillis(20))).isEmpty();

        exchange.publish("req-4", "ai", CompletableFuture.completedFuture(null));
        assertThat(exchange.await("req-4", "ai", Duration.ofSeconds(1))).isEmpty();
    }

    @Test
    void keysOfOneRequestAreIndependentAndRepublishingReplaces() throws Exception {
        exchange.publish("req", "a", CompletableFuture.completedFuture("first"));
        exchange.publish("req", "b", CompletableFuture.completedFuture("other"));
        exchange.publish("req", "a", CompletableFuture.completedFuture("second"));
        assertThat(exchange.await("req", "a", Duration.ZERO)).contains("second");
        assertThat(exchange.await("req", "b", Duration.ZERO)).contains("other");
    }

    @Test
    void forgettingARequestDropsAllItsKeysAndNoOtherRequests() throws Exception {
        exchange.publish("ended", "ai", CompletableFuture.completedFuture("block"));
        exchange.publish("ended", "relay", new CompletableFuture<>());
        exchange.publish("other", "ai", CompletableFuture.completedFuture("kept"));

        exchange.forgetRequest("ended");
        exchange.forgetRequest("never-seen");

        assertThat(exchange.lookup("ended", "ai")).isEmpty();
        assertThat(exchange.lookup("ended", "relay")).isEmpty();
        assertThat(exchange.await("other", "ai", Duration.ZERO)).contains("kept");
        assertThat(exchange.size()).isEqualTo(1);
    }

    @Test
    void forgettingOneKeyKeepsTheRequestsOtherKeys() throws Exception {
        exchange.publish("req", "ai", CompletableFuture.completedFuture("block"));
        exchange.publish("req", "ai_pending", CompletableFuture.completedFuture("fallback"));

        exchange.forget("req", "ai_pending");

        assertThat(exchange.lookup("req", "ai_pending")).isEmpty();
        assertThat(exchange.await("req", "ai", Duration.ZERO)).contains("block");
        assertThat(exchange.size()).isEqualTo(1);
    }

    @Test
    void completedEntriesAreForgottenAfterTheRetention() {
        exchange.publish("req", "ai", CompletableFuture.completedFuture("v"));
        advance(Duration.ofSeconds(59));
        assertThat(exchange.lookup("req", "ai")).isPresent();
        advance(Duration.ofSeconds(2));
        assertThat(exchange.lookup("req", "ai")).isEmpty();
        assertThat(exchange.size()).isZero();
    }

    private final ProcessRequestExchange forgetsAfterReading =
            new ProcessRequestExchange(Duration.ofSeconds(1), Duration.ofSeconds(60), Duration.ofMinutes(10), now::get);

    @Test
    void anEntryReadIsForgottenSoonAfterItsLastRead() throws Exception {
        forgetsAfterReading.publish("req", "ai", CompletableFuture.completedFuture("block"));
        assertThat(forgetsAfterReading.await("req", "ai", Duration.ZERO)).contains("block");
        advance(Duration.ofMillis(900));
        assertThat(forgetsAfterReading.await("req", "ai", Duration.ZERO)).as("the next log phase of the request").contains("block");
        advance(Duration.ofMillis(900));
        assertThat(forgetsAfterReading.lookup("req", "ai")).as("each read restarts the grace").isPresent();
        advance(Duration.ofMillis(1100));
        assertThat(forgetsAfterReading.await("req", "ai", Duration.ZERO)).isEmpty();
        assertThat(forgetsAfterReading.size()).isZero();
    }

    @Test
    void anEntryNobodyReadKeepsTheRetentionAfterCompletion() throws Exception {
        forgetsAfterReading.publish("req", "ai", CompletableFuture.completedFuture("block"));
        forgetsAfterReading.publish("req", "ai_pending", CompletableFuture.completedFuture("fallback"));
        assertThat(forgetsAfterReading.await("req", "ai", Duration.ZERO)).contains("block");
        advance(Duration.ofSeconds(30));
        assertThat(forgetsAfterReading.lookup("req", "ai")).isEmpty();
        assertThat(forgetsAfterReading.await("req", "ai_pending", Duration.ZERO)).contains("fallback");
        advance(Duration.ofSeconds(2));
        forgetsAfterReading.publish("other", "ai", new CompletableFuture<>());
        assertThat(forgetsAfterReading.size()).as("the sweep took the read fallback, kept the pending stage").isEqualTo(1);
    }

    @Test
    void aValueThatCompletesWhileTheReaderWaitsCountsAsRead() throws Exception {
        CompletableFuture<Object> block = new CompletableFuture<>();
        forgetsAfterReading.publish("req", "ai", block);
        Thread producer = Thread.ofVirtual().start(() -> block.complete("late"));
        assertThat(forgetsAfterReading.await("req", "ai", Duration.ofSeconds(5))).contains("late");
        producer.join();
        advance(Duration.ofMillis(1100));
        assertThat(forgetsAfterReading.lookup("req", "ai")).isEmpty();
    }

    @Test
    void withoutAReadGraceReadingDoesNotShortenTheRetention() throws Exception {
        exchange.publish("req", "ai", CompletableFuture.completedFuture("block"));
        assertThat(exchange.await("req", "ai", Duration.ZERO)).contains("block");
        advance(Duration.ofSeconds(59));
        assertThat(exchange.await("req", "ai", Duration.ZERO)).contains("block");
    }

    @Test
    void aReadGraceLongerThanTheRetentionIsRefused() {
        org.assertj.core.api.Assertions.assertThatIllegalArgumentException().isThrownBy(() ->
                new ProcessRequestExchange(Duration.ofSeconds(20), Duration.ofSeconds(10), Duration.ofMinutes(1), now::get));
    }

    @Test
    void entriesThatNeverCompleteAreForgottenAfterTheMaximumAge() {
        exchange.publish("abandoned", "ai", new CompletableFuture<>());
        advance(Duration.ofMinutes(9));
        assertThat(exchange.lookup("abandoned", "ai")).isPresent();
        advance(Duration.ofMinutes(2));
        assertThat(exchange.lookup("abandoned", "ai")).isEmpty();
    }

    @Test
    void publishingSweepsExpiredEntriesOfOtherRequests() {
        for (int i = 0; i < 100; i++) {
            exchange.publish("old-" + i, "ai", CompletableFuture.completedFuture(i));
        }
        advance(Duration.ofMinutes(2));
        exchange.publish("new", "ai", CompletableFuture.completedFuture("v"));
        assertThat(exchange.size()).isEqualTo(1);
    }

    @Test
    void retentionCountsFromCompletionNotPublication() {
        CompletableFuture<Object> stream = new CompletableFuture<>();
        exchange.publish("long", "ai", stream);
        advance(Duration.ofMinutes(5));
        stream.complete("done");
        advance(Duration.ofSeconds(30));
        assertThat(exchange.lookup("long", "ai")).isPresent();
        advance(Duration.ofSeconds(31));
        assertThat(exchange.lookup("long", "ai")).isEmpty();
    }

    @Test
    void sharedIsOneInstance() {
        assertThat(ProcessRequestExchange.shared()).isSameAs(ProcessRequestExchange.shared());
    }

    @Test
    void aProducerCanForgetAFallbackAtOnce() throws Exception {
        exchange.publish("req", "ai_pending", CompletableFuture.completedFuture("fallback"));
        exchange.publish("req", "ai", CompletableFuture.completedFuture("block"));

        exchange.forget("req", "ai_pending");
        exchange.forget("req", "never-published");

        assertThat(exchange.lookup("req", "ai_pending")).isEmpty();
        assertThat(exchange.await("req", "ai", Duration.ZERO)).contains("block");
    }
}
