package io.mqttkafka.bridge.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OffsetTrackerTest {

    private static long[] longs(String csv) {
        return Arrays.stream(csv.split(",")).map(String::trim).mapToLong(Long::parseLong).toArray();
    }

    /**
     * Adds {@code added}, then completes {@code completed} one at a time and asks for the committable offset
     * after each completion.
     */
    @ParameterizedTest(name = "[{index}] add {0}, complete {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
        // added offsets   | completed, in this order | committable() after each completion (-1: nothing moved)
        "0                 | 0                        | 1",
        "0,1,2             | 0,1,2                    | 1,2,3",
        "0,1,2             | 2,1,0                    | -1,-1,3",
        "0,1,2             | 1,0,2                    | -1,2,3",
        "0,1,2,3           | 0,2,3,1                  | 1,-1,-1,4",
        "0,1,2,3,4         | 3,1,0,4,2                | -1,-1,2,-1,5",
        // Gaps between offsets (compacted topics, transaction markers): commit last done + 1.
        "5,9,12            | 5,12,9                   | 6,-1,13",
        "5,9,12            | 12,9,5                   | -1,-1,13",
        "100,200           | 200,100                  | -1,201",
        "7,8,20,21         | 7,20,8,21                | 8,-1,21,22",
    })
    void committableAdvancesOnlyOverTheDoneRunAtTheHead(String added, String completed, String expected) {
        OffsetTracker tracker = new OffsetTracker();
        Map<Long, OffsetTracker.Entry> entries = new LinkedHashMap<>();
        for (long offset : longs(added)) {
            entries.put(offset, tracker.add(offset));
        }
        List<Long> committable = new ArrayList<>();

        for (long offset : longs(completed)) {
            entries.get(offset).complete();
            committable.add(tracker.committable());
        }

        assertThat(committable).containsExactly(Arrays.stream(longs(expected)).boxed().toArray(Long[]::new));
        assertThat(tracker.size()).isZero();
        assertThat(tracker.allDone()).isTrue();
    }

    @Test
    void nothingToCommitBeforeAnythingIsDone() {
        OffsetTracker tracker = new OffsetTracker();
        assertThat(tracker.committable()).isEqualTo(-1);

        tracker.add(0);
        tracker.add(1);

        assertThat(tracker.committable()).isEqualTo(-1);
        assertThat(tracker.size()).isEqualTo(2);
    }

    @Test
    void returnsMinusOneWhenNothingMovedSinceTheLastCall() {
        OffsetTracker tracker = new OffsetTracker();
        OffsetTracker.Entry first = tracker.add(10);
        OffsetTracker.Entry second = tracker.add(11);
        first.complete();

        assertThat(tracker.committable()).isEqualTo(11);
        assertThat(tracker.committable()).isEqualTo(-1);
        assertThat(tracker.committable()).isEqualTo(-1);

        second.complete();
        assertThat(tracker.committable()).isEqualTo(12);
        assertThat(tracker.committable()).isEqualTo(-1);
    }

    @Test
    void aFailedCommitIsOfferedAgainEvenWhenNothingMoved() {
        OffsetTracker tracker = new OffsetTracker();
        tracker.add(7).complete();
        assertThat(tracker.committable()).isEqualTo(8);
        assertThat(tracker.committable()).as("awaiting the broker's answer").isEqualTo(-1);

        tracker.commitFailed(8);

        assertThat(tracker.committable()).as("the partition is idle, the failed offset is offered again").isEqualTo(8);
        tracker.commitSucceeded(8);
        assertThat(tracker.committable()).as("confirmed").isEqualTo(-1);
        tracker.commitFailed(8);
        assertThat(tracker.committable()).as("a late failure of a confirmed offset changes nothing").isEqualTo(-1);
    }

    @Test
    void aFailedCommitOvertakenByALaterOfferIsNotOfferedAgain() {
        OffsetTracker tracker = new OffsetTracker();
        tracker.add(0).complete();
        OffsetTracker.Entry next = tracker.add(1);
        assertThat(tracker.committable()).isEqualTo(1);
        next.complete();
        assertThat(tracker.committable()).isEqualTo(2);

        tracker.commitFailed(1);
        assertThat(tracker.committable()).as("2 still awaits its answer and covers 1").isEqualTo(-1);
        tracker.commitFailed(2);
        assertThat(tracker.committable()).isEqualTo(2);
        tracker.commitSucceeded(2);
        assertThat(tracker.committable()).isEqualTo(-1);
    }

    @Test
    void completingTwiceChangesNothing() {
        OffsetTracker tracker = new OffsetTracker();
        OffsetTracker.Entry entry = tracker.add(3);
        entry.complete();
        entry.complete();

        assertThat(tracker.committable()).isEqualTo(4);
        assertThat(tracker.committable()).isEqualTo(-1);
    }

    @Test
    void recordsAddedAfterACommitContinueFromIt() {
        OffsetTracker tracker = new OffsetTracker();
        tracker.add(0).complete();
        assertThat(tracker.committable()).isEqualTo(1);

        OffsetTracker.Entry next = tracker.add(1);
        OffsetTracker.Entry later = tracker.add(5);
        later.complete();
        assertThat(tracker.committable()).isEqualTo(-1);
        next.complete();

        assertThat(tracker.committable()).isEqualTo(6);
    }

    @ParameterizedTest(name = "[{index}] add {0} after {1}")
    @CsvSource({
        // already added, rejected next
        "5,       5",
        "5,       4",
        "5,       0",
        "'1,2,3', 3",
        "'1,2,3', 2",
    })
    void rejectsNonIncreasingOffsets(String added, long next) {
        OffsetTracker tracker = new OffsetTracker();
        long[] offsets = longs(added);
        for (long offset : offsets) {
            tracker.add(offset);
        }
        long last = offsets[offsets.length - 1];

        assertThatThrownBy(() -> tracker.add(next))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("offset " + next + " added after " + last);
        assertThat(tracker.size()).isEqualTo(offsets.length);
    }

    @Test
    void allDoneAndSize() {
        OffsetTracker tracker = new OffsetTracker();
        assertThat(tracker.allDone()).as("empty tracker").isTrue();
        assertThat(tracker.size()).isZero();

        OffsetTracker.Entry a = tracker.add(0);
        OffsetTracker.Entry b = tracker.add(1);
        OffsetTracker.Entry c = tracker.add(2);
        assertThat(tracker.allDone()).isFalse();
        assertThat(tracker.size()).isEqualTo(3);

        c.complete();
        a.complete();
        assertThat(tracker.allDone()).isFalse();
        assertThat(tracker.committable()).isEqualTo(1);
        assertThat(tracker.size()).as("only the head run is passed").isEqualTo(2);

        b.complete();
        assertThat(tracker.allDone()).as("done but not yet passed by committable()").isTrue();
        assertThat(tracker.size()).isEqualTo(2);
        assertThat(tracker.committable()).isEqualTo(3);
        assertThat(tracker.size()).isZero();
    }

    @Test
    void entriesKnowTheirOffsetAndTracker() {
        OffsetTracker tracker = new OffsetTracker();
        OffsetTracker.Entry entry = tracker.add(42);

        assertThat(entry.offset()).isEqualTo(42);
        assertThat(entry.tracker()).isSameAs(tracker);
        assertThat(entry.isDone()).isFalse();
        entry.complete();
        assertThat(entry.isDone()).isTrue();
    }

    @Test
    void revoke() {
        OffsetTracker tracker = new OffsetTracker();
        OffsetTracker.Entry entry = tracker.add(0);
        assertThat(tracker.isRevoked()).isFalse();

        tracker.revoke();

        assertThat(tracker.isRevoked()).isTrue();
        assertThat(entry.tracker().isRevoked()).isTrue();
        assertThat(tracker.size()).as("revoking does not drop the records").isEqualTo(1);
        assertThat(new OffsetTracker().isRevoked()).as("per tracker").isFalse();
    }
}
