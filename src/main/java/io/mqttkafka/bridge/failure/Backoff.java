package io.mqttkafka.bridge.failure;

/**
 * Exponential backoff for retrying transient failures (Kafka writes, MQTT publishes, dead-letter writes):
 * 100 ms, doubling, capped at 5 s, so a long outage costs little and a short one heals fast.
 */
public final class Backoff {

    private static final long FIRST_DELAY_MS = 100;
    private static final long MAX_DELAY_MS = 5_000;

    private Backoff() {
    }

    /** Delay before retry number {@code attempt + 1} (attempt 0 is the first failure). */
    public static long delayMillis(int attempt) {
        return Math.min(MAX_DELAY_MS, FIRST_DELAY_MS << Math.min(attempt, 16));
    }

    /** Log the first failure and then every 20th, so a long outage is visible without flooding the log. */
    public static boolean worthLogging(int attempt) {
        return attempt % 20 == 0;
    }
}
