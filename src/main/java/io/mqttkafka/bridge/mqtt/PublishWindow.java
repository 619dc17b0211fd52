package io.mqttkafka.bridge.mqtt;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts the QoS 1/2 publishes that await the broker's acknowledgement and makes the publishing thread wait, with
 * hysteresis, when they reach the connection's send maximum: once full, it waits until half of them are
 * acknowledged, then sends a whole half-window at once.
 *
 * <p>Why not leave the waiting to the MQTT client: its publish blocks too when the broker's window is full, but it
 * lets the caller go again after every single acknowledgement. At full speed the window is always full, so that is
 * one sleep and one wake-up of the publishing thread per message, which on a busy machine costs more CPU than the
 * publish itself. Waiting for half the window makes it one wake-up per half window.
 *
 * <p>Threads: meant for one publishing thread per connection, which is what the bridge has. Several may call
 * {@link #acquire}; the count may then pass the limit by their number, and the client's own publish waits for the
 * rest. {@link #release} is called by whichever thread completes the publish (the client's network thread).
 */
final class PublishWindow {

    /** A bound on each wait: a safety net only, every release that matters wakes the waiter. */
    private static final long MAX_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final AtomicInteger inFlight = new AtomicInteger();
    private final Object lock = new Object();
    /** The count at or below which a waiting publisher may go on; meaningful while {@link #waiting}. */
    private volatile int resumeAt;
    private volatile boolean waiting;

    /**
     * Takes a place for one publish, first waiting if {@code limit} publishes are in flight until no more than
     * half of them are.
     *
     * @param limit the connection's current send maximum; at least 1
     */
    void acquire(int limit) throws InterruptedException {
        if (inFlight.get() >= limit) {
            awaitHalf(Math.max(0, limit / 2));
        }
        inFlight.incrementAndGet();
    }

    /**
     * Takes a place for one publish once no other publish holds one, so that it is the only one in flight, whatever
     * number of threads publish.
     */
    void acquireAlone() throws InterruptedException {
        if (inFlight.compareAndSet(0, 1)) {
            return;
        }
        synchronized (lock) {
            resumeAt = 0;
            waiting = true;
            try {
                while (!inFlight.compareAndSet(0, 1)) {
                    TimeUnit.NANOSECONDS.timedWait(lock, MAX_WAIT_NANOS);
                }
            } finally {
                waiting = false;
            }
        }
    }

    private void awaitHalf(int resumeAtOrBelow) throws InterruptedException {
        synchronized (lock) {
            resumeAt = resumeAtOrBelow;
            // Set before the count is read again: a release either sees it and wakes us, or happened before the
            // read below and is seen by it.
            waiting = true;
            try {
                while (inFlight.get() > resumeAtOrBelow) {
                    TimeUnit.NANOSECONDS.timedWait(lock, MAX_WAIT_NANOS);
                }
            } finally {
                waiting = false;
            }
        }
    }

    /** Gives back the place of a publish that the broker acknowledged, or that failed. */
    void release() {
        int now = inFlight.decrementAndGet();
        if (waiting && now <= resumeAt) {
            synchronized (lock) {
                lock.notifyAll();
            }
        }
    }

    /** QoS 1/2 publishes that hold a place now. */
    int inFlight() {
        return inFlight.get();
    }
}
