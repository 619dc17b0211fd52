package io.mqttkafka.bridge.pipeline;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.TopicPartition;

import io.mqttkafka.bridge.kafka.OffsetTracker;

/**
 * Per-partition flow control of the Kafka → MQTT direction, beside the group's watermarks. The watermarks count the
 * records whose publishes are still out; a record that never completes (its publish fails again and again) holds its
 * partition's committed offset back while the records behind it are published, acknowledged and released, so the
 * watermarks never see them. Without a bound of its own such a partition would keep one tracker entry per later
 * record until the heap is gone, and a restart would republish all of them. So a partition is <em>held</em> (paused
 * by itself) while
 * <ul>
 * <li>its oldest record in flight has not completed for {@code stallTimeout}: the partition is <em>stalled</em>,
 * which is counted and shown in health; or</li>
 * <li>it keeps the group's high watermark of records polled and not yet committable (memory);</li>
 * </ul>
 * and resumed when neither holds any more (below the low watermark). Its other records keep being retried meanwhile.
 *
 * <p>Threads: {@link #update} and {@link #forget} on the poll thread; {@link #stalled()} from any thread.
 */
final class PartitionHolds {

    /** A stalled partition: the offset of its oldest record in flight, and how long that record has waited. */
    record Stall(long offset, long waitedMillis) {
    }

    /** What {@link #update} decided: partitions to pause and partitions to resume. */
    record Changes(List<TopicPartition> pause, List<TopicPartition> resume) {
    }

    private final long stallTimeoutNanos;
    private final int highWatermark;
    private final int lowWatermark;
    private final Runnable onStall;
    private final Set<TopicPartition> held = new HashSet<>();
    private volatile Map<TopicPartition, Stall> stalled = Map.of();

    /** @param onStall called once each time a partition becomes stalled (for a counter) */
    PartitionHolds(Duration stallTimeout, int highWatermark, int lowWatermark, Runnable onStall) {
        this.stallTimeoutNanos = stallTimeout.toNanos();
        this.highWatermark = highWatermark;
        this.lowWatermark = lowWatermark;
        this.onStall = onStall;
    }

    /** Looks at every partition's head and size; returns what to pause and resume. */
    Changes update(Map<TopicPartition, OffsetTracker> trackers, long nowNanos) {
        List<TopicPartition> pause = new ArrayList<>(0);
        List<TopicPartition> resume = new ArrayList<>(0);
        Map<TopicPartition, Stall> stalledNow = null;
        for (Map.Entry<TopicPartition, OffsetTracker> partition : trackers.entrySet()) {
            OffsetTracker tracker = partition.getValue();
            OffsetTracker.Entry head = tracker.advance();
            long waited = head == null ? 0 : nowNanos - head.addedAtNanos();
            boolean stall = waited >= stallTimeoutNanos;
            if (stall) {
                if (stalledNow == null) {
                    stalledNow = new LinkedHashMap<>();
                }
                stalledNow.put(partition.getKey(), new Stall(head.offset(), TimeUnit.NANOSECONDS.toMillis(waited)));
                if (!stalled.containsKey(partition.getKey())) {
                    onStall.run();
                }
            }
            boolean isHeld = held.contains(partition.getKey());
            if (!isHeld && (stall || tracker.size() >= highWatermark)) {
                held.add(partition.getKey());
                pause.add(partition.getKey());
            } else if (isHeld && !stall && tracker.size() <= lowWatermark) {
                held.remove(partition.getKey());
                resume.add(partition.getKey());
            }
        }
        stalled = stalledNow == null ? Map.of() : Map.copyOf(stalledNow);
        return new Changes(pause, resume);
    }

    /** The partitions paused by this class (poll thread). */
    Set<TopicPartition> held() {
        return held;
    }

    /** Revoked or lost partitions: no longer ours to hold. */
    void forget(Collection<TopicPartition> partitions) {
        held.removeAll(partitions);
        Map<TopicPartition, Stall> remaining = new LinkedHashMap<>(stalled);
        remaining.keySet().removeAll(partitions);
        stalled = Map.copyOf(remaining);
    }

    /** The partitions stalled at the last {@link #update}, with their oldest record in flight. */
    Map<TopicPartition, Stall> stalled() {
        return stalled;
    }
}
