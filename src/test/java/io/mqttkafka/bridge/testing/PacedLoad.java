package io.mqttkafka.bridge.testing;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * A steady load for tests: runs {@code batch} with batch numbers 0, 1, 2, ... at a fixed period on its own
 * thread, so that faults can be injected while messages are still flowing.
 */
public final class PacedLoad implements AutoCloseable {

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "paced-load");
        thread.setDaemon(true);
        return thread;
    });
    private final CountDownLatch done;
    private volatile Throwable failure;

    private PacedLoad(int batches, Duration period, IntConsumer batch) {
        this.done = new CountDownLatch(batches);
        AtomicInteger next = new AtomicInteger();
        scheduler.scheduleAtFixedRate(() -> {
            int n = next.getAndIncrement();
            if (n < batches) {
                try {
                    batch.accept(n);
                } catch (RuntimeException | Error e) {
                    // The executor would end the schedule silently: keep the cause for the test to report.
                    failure = e;
                    throw e;
                }
                done.countDown();
            }
        }, 0, period.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Starts {@code batches} runs of {@code batch}, one every {@code period}. */
    public static PacedLoad start(int batches, Duration period, IntConsumer batch) {
        return new PacedLoad(batches, period, batch);
    }

    /** Batches not yet run: positive while the load is still flowing. */
    public long remainingBatches() {
        return done.getCount();
    }

    /** What ended the load early, or null while it runs as scheduled. */
    public Throwable failure() {
        return failure;
    }

    /** Waits until every batch ran; false on timeout. */
    public boolean await(Duration timeout) throws InterruptedException {
        return done.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
