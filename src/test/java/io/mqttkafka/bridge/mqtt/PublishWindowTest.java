package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PublishWindowTest {

    private final PublishWindow window = new PublishWindow();
    private final ExecutorService publisher = Executors.newSingleThreadExecutor();

    @AfterEach
    void stop() {
        publisher.shutdownNow();
    }

    @Test
    void takesPlacesWithoutWaitingBelowTheLimit() throws InterruptedException {
        for (int i = 0; i < 5; i++) {
            window.acquire(5);
        }
        assertThat(window.inFlight()).isEqualTo(5);
    }

    /** Once full, the publisher goes on only when half the window is free again, not after every acknowledgement. */
    @ParameterizedTest(name = "limit {0}: waits until {1} in flight")
    @CsvSource({"10, 5", "11, 5", "2, 1", "1, 0"})
    void fullWindowWaitsUntilHalfIsAcknowledged(int limit, int resumeAt) throws Exception {
        for (int i = 0; i < limit; i++) {
            window.acquire(limit);
        }
        AtomicInteger inFlightWhenGranted = new AtomicInteger(-1);
        Thread waiter = new Thread(() -> {
            try {
                window.acquire(limit);
                inFlightWhenGranted.set(window.inFlight());
            } catch (InterruptedException stopped) {
                Thread.currentThread().interrupt();
            }
        });
        waiter.start();
        for (int inFlight = limit; inFlight > resumeAt + 1; ) {
            awaitWaitingOrDone(waiter);
            assertThat(waiter.isAlive()).as("still waiting with %d of %d in flight", inFlight, limit).isTrue();
            window.release();
            inFlight--;
        }
        awaitWaitingOrDone(waiter);
        assertThat(waiter.isAlive()).as("still waiting with %d of %d in flight", resumeAt + 1, limit).isTrue();
        window.release();
        waiter.join(5_000);
        assertThat(waiter.isAlive()).isFalse();
        assertThat(inFlightWhenGranted.get()).isEqualTo(resumeAt + 1);
    }

    /** A publisher woken too early would have run to its end by the time it is seen again waiting or ended. */
    private static void awaitWaitingOrDone(Thread waiter) {
        await().atMost(Duration.ofSeconds(5)).until(() -> waiter.getState() == Thread.State.TIMED_WAITING
                || waiter.getState() == Thread.State.TERMINATED);
    }

    @Test
    void aWaitingPublisherCanBeInterrupted() throws Exception {
        window.acquire(1);
        Thread waiter = new Thread(() -> {
            try {
                window.acquire(1);
            } catch (InterruptedException expected) {
                Thread.currentThread().interrupt();
            }
        });
        waiter.start();
        await().atMost(Duration.ofSeconds(5)).until(() -> waiter.getState() == Thread.State.TIMED_WAITING);
        waiter.interrupt();
        waiter.join(5_000);
        assertThat(waiter.isAlive()).isFalse();
        assertThat(window.inFlight()).isEqualTo(1);
    }

    /** Many acquire/release pairs across two threads: nothing is lost, the count returns to zero, no one hangs. */
    @Test
    void concurrentReleasesNeverStrandTheWaiter() throws Exception {
        int limit = 8;
        int publishes = 20_000;
        ExecutorService acknowledger = Executors.newSingleThreadExecutor();
        try {
            CompletableFuture<Void> done = CompletableFuture.runAsync(() -> {
                for (int i = 0; i < publishes; i++) {
                    try {
                        window.acquire(limit);
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    assertThat(window.inFlight()).isLessThanOrEqualTo(limit);
                    acknowledger.execute(window::release);
                }
            }, publisher);
            done.get(60, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(5)).until(() -> window.inFlight() == 0);
        } finally {
            acknowledger.shutdownNow();
        }
    }
}
