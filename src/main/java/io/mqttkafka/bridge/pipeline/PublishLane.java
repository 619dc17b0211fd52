package io.mqttkafka.bridge.pipeline;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * The MQTT publishes of one Kafka partition, kept in partition order across failed attempts. (The MQTT → Kafka
 * direction uses the same lane for the writes of one Kafka topic, in arrival order.) MQTT gives a
 * subscriber the messages of one topic in the order one client published them, so publishing a partition in
 * offset order is what lets subscribers see its records in that order.
 *
 * <p>A lost connection fails every publish in flight at once (the publishing session ends with it), and the
 * failures complete on MQTT client threads in no particular order. Published again one by one, each after its
 * own backoff, they would arrive shuffled, and the records queued behind them would overtake them all on the
 * new connection. So the first failure <em>stops</em> the lane: what is submitted from then on is held, later
 * failures are collected, and {@link #resume()}, after a backoff, publishes the failed ones again in partition
 * order and then the held ones. A publish the broker acknowledged is not repeated. Two cases stay out of order:
 * a broker that acknowledges a later publish and fails an earlier one for a transient reason (a dropped
 * connection fails them all), and a publish handed to the client in the moment between the connection's end and
 * the client reporting the first failure, which can go out on the new connection ahead of the retried ones.
 *
 * <p>Threads: {@link #submit} and {@link #resume} run on the one publisher thread; {@link #failed} and
 * {@link #acknowledged} may be called from any thread.
 *
 * @param <P> one publish; {@code order} sorts publishes into partition order
 */
final class PublishLane<P> {

    private final Consumer<P> send;
    private final Comparator<? super P> order;
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final ConcurrentLinkedQueue<P> failed = new ConcurrentLinkedQueue<>();
    /** Publisher thread only. */
    private final ArrayDeque<P> held = new ArrayDeque<>();
    /** Stops since the last acknowledgement: the backoff attempt. */
    private volatile int consecutiveStops;

    /**
     * @param send publishes one message (on the publisher thread; its outcome is reported to {@link #failed} or
     *        {@link #acknowledged})
     */
    PublishLane(Consumer<P> send, Comparator<? super P> order) {
        this.send = send;
        this.order = order;
    }

    /** Publishes now, or holds the publish behind earlier ones that are waiting to be published again. */
    void submit(P publish) {
        if (stopped.get() || !held.isEmpty()) {
            held.add(publish);
        } else {
            send.accept(publish);
        }
    }

    /**
     * Records a publish that failed and must be published again. Returns true when this failure stopped the lane;
     * the caller then schedules {@link #resume()} on the publisher thread after {@link #backoffAttempt()}'s delay.
     */
    boolean failed(P publish) {
        failed.add(publish);
        if (stopped.compareAndSet(false, true)) {
            consecutiveStops++;
            return true;
        }
        return false;
    }

    /**
     * A publish of this lane that had failed before was acknowledged: the next stop backs off from the first delay
     * again. (Acknowledgements of publishes that never failed say nothing about the one that keeps failing.)
     */
    void acknowledged() {
        if (consecutiveStops != 0) {
            consecutiveStops = 0;
        }
    }

    /** Whether nothing is held, failed or stopped: the lane can be dropped (publisher thread). */
    boolean isIdle() {
        return !stopped.get() && held.isEmpty() && failed.isEmpty();
    }

    /** Zero for the first stop after an acknowledgement, then one more for each stop without one in between. */
    int backoffAttempt() {
        return Math.max(0, consecutiveStops - 1);
    }

    /**
     * Publishes the failed publishes again in partition order, then the held ones, until a new failure stops the
     * lane again; what is left then waits for the next resume, still in order.
     */
    void resume() {
        // Restart before draining: a failure that lands in between is either drained now or stops the lane again
        // (and schedules the next resume); none is left behind unnoticed.
        stopped.set(false);
        List<P> again = new ArrayList<>();
        for (P publish; (publish = failed.poll()) != null;) {
            again.add(publish);
        }
        again.sort(order);
        ArrayDeque<P> pending = new ArrayDeque<>(again.size() + held.size());
        pending.addAll(again);
        pending.addAll(held);
        held.clear();
        while (!pending.isEmpty()) {
            if (stopped.get()) {
                held.addAll(pending);
                return;
            }
            send.accept(pending.poll());
        }
    }
}
