package io.mqttkafka.bridge.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The ordering logic alone: "sending" records the sequence, the test plays the broker's answers. */
class PublishLaneTest {

    private final List<Integer> sent = new ArrayList<>();
    /** The publish whose next send fails at once, as a connection that drops again would make it. */
    private Integer failOnSend;
    private final PublishLane<Integer> lane = new PublishLane<>(this::send, Comparator.naturalOrder());

    private void send(Integer publish) {
        sent.add(publish);
        if (publish.equals(failOnSend)) {
            failOnSend = null;
            assertThat(lane.failed(publish)).as("the failure stops the lane again").isTrue();
        }
    }

    @Test
    void sendsAtOnceWhileNothingFailed() {
        submit(1, 2, 3);
        assertThat(sent).containsExactly(1, 2, 3);
    }

    @Test
    void failuresInAnyOrderArePublishedAgainInPartitionOrderBeforeWhatWasHeld() {
        submit(1, 2, 3, 4);
        assertThat(lane.failed(3)).as("the first failure stops the lane").isTrue();
        assertThat(lane.failed(1)).as("later failures only join").isFalse();
        assertThat(lane.failed(4)).isFalse();
        assertThat(lane.failed(2)).isFalse();
        submit(5, 6);
        assertThat(sent).as("nothing sent while stopped").containsExactly(1, 2, 3, 4);

        sent.clear();
        lane.resume();
        assertThat(sent).containsExactly(1, 2, 3, 4, 5, 6);
        submit(7);
        assertThat(sent).containsExactly(1, 2, 3, 4, 5, 6, 7);
    }

    @Test
    void anAcknowledgedPublishIsNotRepeated() {
        submit(1, 2, 3);
        lane.failed(2);
        lane.acknowledged();
        submit(4);
        sent.clear();
        lane.resume();
        assertThat(sent).containsExactly(2, 4);
    }

    @Test
    void aFailureDuringResumeHoldsTheRestInOrderForTheNextResume() {
        submit(1, 2, 3);
        lane.failed(1);
        lane.failed(2);
        lane.failed(3);
        submit(4);
        failOnSend = 2;
        sent.clear();

        lane.resume();
        assertThat(sent).as("stopped again right after 2 failed").containsExactly(1, 2);
        submit(5);
        assertThat(sent).containsExactly(1, 2);

        sent.clear();
        lane.resume();
        assertThat(sent).containsExactly(2, 3, 4, 5);
    }

    @Test
    void backoffGrowsPerStopAndRestartsAfterAnAcknowledgement() {
        assertThat(lane.backoffAttempt()).isZero();
        lane.failed(1);
        assertThat(lane.backoffAttempt()).isZero();
        lane.resume();
        lane.failed(1);
        assertThat(lane.backoffAttempt()).isOne();
        lane.resume();
        lane.failed(1);
        assertThat(lane.backoffAttempt()).isEqualTo(2);
        lane.acknowledged();
        lane.resume();
        lane.failed(1);
        assertThat(lane.backoffAttempt()).isZero();
    }

    private void submit(int... publishes) {
        for (int publish : publishes) {
            lane.submit(publish);
        }
    }
}
