package io.mqttkafka.bridge.kafka;

import java.util.ArrayDeque;

/**
 * The records of one partition that are in flight, in offset order, so that the committed offset only
 * ever moves past records that are done: the offset to commit is the one after the last record of the
 * unbroken run of done records at the head.
 *
 * <p>An offset counts as committed only once the broker confirmed it: a commit that failed is offered again by the
 * next {@link #committable()}, so a partition that goes idle right after a failed commit still gets its offset
 * committed (otherwise its lag would look stuck and a restart would republish what was done).
 *
 * <p>Threads: {@link #add}, {@link #committable} and the commit answers are called by the consumer's poll thread
 * only (Kafka runs commit callbacks there, inside {@code poll()}); an {@link Entry} may be completed from any thread.
 */
public final class OffsetTracker {

    private final ArrayDeque<Entry> inFlight = new ArrayDeque<>();
    /** The offset after the done run at the head, as far as {@link #committable()} has passed it. */
    private long passed = -1;
    /** The highest offset the broker confirmed as committed. */
    private long confirmed = -1;
    /** The offset last handed out by {@link #committable()} whose commit is not answered yet, or -1. */
    private long awaitingAnswer = -1;
    private volatile boolean revoked;

    /**
     * A tracker for a partition assigned again to the consumer that published its records before {@code offset} (and
     * whose commit of them may have failed): the next {@link #committable()} offers {@code offset}.
     */
    public static OffsetTracker resumingAt(long offset) {
        OffsetTracker tracker = new OffsetTracker();
        tracker.passed = offset;
        return tracker;
    }

    /**
     * The offset after the unbroken run of done records at the head: every record before it was done by this
     * tracker's consumer, committed or not. -1 before the first one is done.
     */
    public long doneBefore() {
        advance();
        return passed;
    }

    /** Starts tracking the next record; offsets must be added in increasing order. */
    public Entry add(long offset) {
        Entry last = inFlight.peekLast();
        if (last != null && offset <= last.offset) {
            throw new IllegalArgumentException("offset " + offset + " added after " + last.offset);
        }
        Entry entry = new Entry(offset, this, System.nanoTime());
        inFlight.addLast(entry);
        return entry;
    }

    /**
     * The offset to commit (one past the last done record of the head run) when the broker has not confirmed it
     * yet and no commit of it awaits an answer, else -1. The caller reports the answer with
     * {@link #commitSucceeded} or {@link #commitFailed}.
     */
    public long committable() {
        advance();
        if (passed > confirmed && passed != awaitingAnswer) {
            awaitingAnswer = passed;
            return passed;
        }
        return -1;
    }

    /** Passes the done records at the head, and returns the first record that is not done, or null. */
    public Entry advance() {
        Entry head;
        while ((head = inFlight.peekFirst()) != null && head.done) {
            inFlight.pollFirst();
            passed = head.offset + 1;
        }
        return head;
    }

    /** The broker confirmed the commit of {@code offset}. */
    public void commitSucceeded(long offset) {
        confirmed = Math.max(confirmed, offset);
    }

    /**
     * The commit of {@code offset} failed: the next {@link #committable()} offers it again, unless a later offset
     * was offered meanwhile (its own answer decides).
     */
    public void commitFailed(long offset) {
        if (awaitingAnswer == offset) {
            awaitingAnswer = -1;
        }
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
        private final long addedAtNanos;
        private volatile boolean done;

        private Entry(long offset, OffsetTracker tracker, long addedAtNanos) {
            this.offset = offset;
            this.tracker = tracker;
            this.addedAtNanos = addedAtNanos;
        }

        /** When the record was polled, in {@link System#nanoTime()}. */
        public long addedAtNanos() {
            return addedAtNanos;
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
