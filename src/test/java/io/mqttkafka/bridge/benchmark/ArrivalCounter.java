package io.mqttkafka.bridge.benchmark;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.BitSet;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;

/**
 * Counts the arrivals of one case run, from any number of receiving threads: unique sequence ids, duplicates,
 * first and last arrival time and, when asked, the latency from the intended send time. Payloads of other runs
 * are ignored.
 */
final class ArrivalCounter {

    private static final long MAX_TRACKED_LATENCY_NANOS = TimeUnit.MINUTES.toNanos(5);

    private final long runId;
    private final int expected;
    private final BitSet seen;
    private final Histogram latencyNanos;
    private int unique;
    private long duplicates;
    private long firstArrivalNanos;
    private long lastArrivalNanos;

    ArrivalCounter(long runId, int expected, boolean recordLatency) {
        this.runId = runId;
        this.expected = expected;
        this.seen = new BitSet(expected);
        this.latencyNanos = recordLatency ? new Histogram(MAX_TRACKED_LATENCY_NANOS, 3) : null;
    }

    /** Records one received payload; {@code nowNanos} is its arrival time. */
    synchronized void record(ByteBuffer payload, long nowNanos) {
        if (BenchPayload.runId(payload) != runId) {
            return;
        }
        int sequence = (int) BenchPayload.sequence(payload);
        if (seen.get(sequence)) {
            duplicates++;
            return;
        }
        seen.set(sequence);
        unique++;
        if (unique == 1) {
            firstArrivalNanos = nowNanos;
        }
        lastArrivalNanos = nowNanos;
        if (latencyNanos != null) {
            latencyNanos.recordValue(Math.min(Math.max(0, nowNanos - BenchPayload.intendedSendNanos(payload)),
                    MAX_TRACKED_LATENCY_NANOS));
        }
        if (unique == expected) {
            notifyAll();
        }
    }

    /**
     * Waits until every expected message arrived (true) or no new one arrived for {@code quiet} (false). Called
     * once the sender is done, so "no progress" means the pipeline stalled or lost the rest.
     */
    synchronized boolean awaitComplete(Duration quiet) throws InterruptedException {
        int progress = unique;
        long lastProgressNanos = System.nanoTime();
        while (unique < expected) {
            long waitNanos = quiet.toNanos() - (System.nanoTime() - lastProgressNanos);
            if (waitNanos <= 0) {
                return false;
            }
            // Woken by the last arrival; otherwise re-checks progress every 100 ms.
            TimeUnit.NANOSECONDS.timedWait(this, Math.min(waitNanos, TimeUnit.MILLISECONDS.toNanos(100)));
            if (unique != progress) {
                progress = unique;
                lastProgressNanos = System.nanoTime();
            }
        }
        return true;
    }

    synchronized int unique() {
        return unique;
    }

    synchronized long duplicates() {
        return duplicates;
    }

    synchronized long firstArrivalNanos() {
        return firstArrivalNanos;
    }

    synchronized long lastArrivalNanos() {
        return lastArrivalNanos;
    }

    /** Latency percentiles in milliseconds, or null when latency was not recorded or nothing arrived. */
    synchronized Latency latency() {
        if (latencyNanos == null || latencyNanos.getTotalCount() == 0) {
            return null;
        }
        return new Latency(latencyNanos.getValueAtPercentile(50) / 1e6, latencyNanos.getValueAtPercentile(99) / 1e6,
                latencyNanos.getValueAtPercentile(99.9) / 1e6);
    }

    /** Percentiles of one run, in milliseconds. */
    record Latency(double p50Ms, double p99Ms, double p999Ms) {
    }
}
