package io.mqttkafka.bridge.kafka;

import java.util.ArrayDeque;

/**
 * The records of one partition that are in flight, in offset order, so that the committed offset only
 * ever moves past records that are done: the offset to commit is the one after the last record of the
 * unbroken run of done records at the head.
 *
 * <p>Threads: {@link #add} and {@link #committable} are called by the consumer's poll thread only; an
 * {@link Entry} may be completed from any thread.
 */
public final class OffsetTracker {

    private final ArrayDeque<Entry> inFlight = new ArrayDeque<>();
    private long committed = -1;
    private volatile boolean revoked;

    /** Starts tracking the next record; offsets must be added in increasing order. */
    public Entry add(long offset) {
        Entry last = inFlight.peekLast();
        if (last != null && offset <= last.offset) {
            throw new IllegalArgumentException("offset " + offset + " added after " + last.offset);
        }
        Entry entry = new Entry(offset, this);
        inFlight.addLast(entry);
        return entry;
    }

    /**
     * The offset to commit (one past the last done record of the head run) when it moved since the last
     * call, else -1.
     */
    public long committable() {
        long next = -1;
        Entry head;
        while ((head = inFlight.peekFirst()) != null && head.done) {
            inFlight.pollFirst();
            next = head.offset + 1;
        }
        if (next > committed) {
            committed = next;
            return next;
        }
        return -1;
    }

    /** Records added and not yet passed by {@link #committable()}: done or not. */
    public int size() {
        return inFlight.size();
    }

    /** Whether every added record is done (the next {@link #committable()} passes them all). */
    public boolean allDone() {
        for (Entry entry : inFlight) {
            if (!entry.done) {
                return false;
            }
        }
        return true;
    }

    /** Marks the partition as no longer ours: its records still queued need not be published. */
    public void revoke() {
        revoked = true;
    }

    public boolean isRevoked() {
        return revoked;
    }

    /** One record: completing it lets the committed offset move past it. */
    public static final class Entry {
        private final long offset;
        private final OffsetTracker tracker;
        private volatile boolean done;

        private Entry(long offset, OffsetTracker tracker) {
            this.offset = offset;
            this.tracker = tracker;
        }

        public long offset() {
            return offset;
        }

        public OffsetTracker tracker() {
            return tracker;
        }

        public void complete() {
            done = true;
        }

        public boolean isDone() {
            return done;
        }
    }
}
