package io.mqttkafka.bridge.pipeline;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps an INFO line per state change from becoming a line per message: one line per key (e.g. a mapping and a
 * dead-letter reason, or a group's pause) is let through per interval, and the next one that is let through says how
 * many were held back meanwhile. The first occurrence of each key is always logged. Thread-safe.
 */
final class LogThrottle {

    private final long intervalNanos;
    private final Map<String, Window> windows = new ConcurrentHashMap<>();

    LogThrottle(long intervalNanos) {
        this.intervalNanos = intervalNanos;
    }

    /**
     * Whether a line for {@code key} may be logged at {@code nowNanos} ({@link System#nanoTime()}): -1 if not (it is
     * counted), else how many were held back since the last line for the key.
     */
    long admit(String key, long nowNanos) {
        return windows.computeIfAbsent(key, k -> new Window()).admit(nowNanos, intervalNanos);
    }

    private static final class Window {
        private boolean started;
        private long nextNanos;
        private long heldBack;

        synchronized long admit(long nowNanos, long intervalNanos) {
            if (started && nowNanos - nextNanos < 0) {
                heldBack++;
                return -1;
            }
            started = true;
            nextNanos = nowNanos + intervalNanos;
            long count = heldBack;
            heldBack = 0;
            return count;
        }
    }
}
