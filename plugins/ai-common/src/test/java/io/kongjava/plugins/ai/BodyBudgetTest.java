package io.kongjava.plugins.ai;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BodyBudgetTest {

    private static final long MIB = 1 << 20;

    @Test
    void largeBodiesShareTheBudgetAndALaterOneWaitsForAnEarlierToFinish() throws Exception {
        BodyBudget budget = new BodyBudget(8 * MIB);
        BodyBudget.Reservation first = budget.reserve(5 * MIB, Duration.ZERO).orElseThrow();

        assertThat(budget.reserve(5 * MIB, Duration.ofMillis(50))).as("no room: refused after its wait").isEmpty();
        CompletableFuture<Boolean> second = CompletableFuture.supplyAsync(() -> {
            try {
                return budget.reserve(5 * MIB, Duration.ofSeconds(10)).isPresent();
            } catch (InterruptedException e) {
                return false;
            }
        });
        Thread.sleep(100);
        assertThat(second).isNotDone();
        first.close();
        first.close(); // once only

        assertThat(second.get(5, TimeUnit.SECONDS)).isTrue();
        assertThat(budget.availableBytes()).isEqualTo(3 * MIB);
    }

    @Test
    void aBodyOfUnknownSizeHoldsRoomForTheLargestItMayBeUntilItIsReadThenOnlyItsOwn() throws Exception {
        BodyBudget budget = new BodyBudget(8 * MIB);
        BodyBudget.Reservation chunked = budget.reserve(10 * MIB, Duration.ZERO).orElseThrow(); // max_request_body_size

        assertThat(budget.availableBytes()).as("the whole budget, held alone").isZero();
        chunked.shrinkTo(3 * MIB);
        assertThat(budget.availableBytes()).isEqualTo(5 * MIB);
        chunked.shrinkTo(4 * MIB);
        assertThat(budget.availableBytes()).as("shrinking never grows").isEqualTo(5 * MIB);
        chunked.shrinkTo(10);
        assertThat(budget.availableBytes()).as("a small body is not counted").isEqualTo(8 * MIB);
        chunked.close();
        assertThat(budget.availableBytes()).isEqualTo(8 * MIB);
    }

    @Test
    void smallBodiesAreNotCountedAndABodyLargerThanTheBudgetIsAdmittedAlone() throws Exception {
        BodyBudget budget = new BodyBudget(8 * MIB);
        assertThat(budget.reserve(BodyBudget.UNCOUNTED_BYTES, Duration.ZERO)).isPresent();
        assertThat(budget.availableBytes()).isEqualTo(8 * MIB);

        BodyBudget.Reservation huge = budget.reserve(20 * MIB, Duration.ZERO).orElseThrow();
        assertThat(budget.availableBytes()).isZero();
        huge.close();
        assertThat(budget.availableBytes()).isEqualTo(8 * MIB);
    }

    @Test
    void aGrowingAnswerReservesTwiceWhatItHoldsPastTheUncountedBytesAndGivesItAllBack() throws Exception {
        BodyBudget budget = new BodyBudget(8 * MIB);
        BodyBudget.Growing small = budget.growing();
        assertThat(small.ensure(BodyBudget.UNCOUNTED_BYTES, Duration.ZERO)).isTrue();
        assertThat(budget.availableBytes()).isEqualTo(8 * MIB);

        BodyBudget.Growing answer = budget.growing();
        for (long size = 100_000; size <= MIB; size += 100_000) {
            assertThat(answer.ensure(size, Duration.ZERO)).isTrue();
        }
        long held = 8 * MIB - budget.availableBytes();
        assertThat(held).isBetween(2 * (MIB - BodyBudget.UNCOUNTED_BYTES), 2 * MIB + 512 * 1024);

        BodyBudget.Growing other = budget.growing();
        assertThat(other.ensure(4 * MIB, Duration.ofMillis(50))).as("twice 4 MiB is the whole budget: it waits for the first").isFalse();
        answer.close();
        answer.close();
        assertThat(budget.availableBytes()).isEqualTo(8 * MIB);
        assertThat(other.ensure(4 * MIB, Duration.ZERO)).isTrue();
        assertThat(other.ensure(6 * MIB, Duration.ZERO)).as("past the whole budget: admitted alone").isTrue();
        other.close();
        assertThat(budget.availableBytes()).isEqualTo(8 * MIB);
    }
}
