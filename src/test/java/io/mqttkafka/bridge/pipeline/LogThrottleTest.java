package io.mqttkafka.bridge.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** One line per key and interval; the next line says how many were held back. */
class LogThrottleTest {

    @Test
    void letsTheFirstLineThroughThenOnePerIntervalWithTheCountHeldBack() {
        LogThrottle throttle = new LogThrottle(1_000);
        assertThat(throttle.admit("a", 5_000)).isZero();
        assertThat(throttle.admit("a", 5_001)).isEqualTo(-1);
        assertThat(throttle.admit("a", 5_999)).isEqualTo(-1);
        assertThat(throttle.admit("b", 5_999)).as("another key has its own interval").isZero();
        assertThat(throttle.admit("a", 6_000)).isEqualTo(2);
        assertThat(throttle.admit("a", 6_500)).isEqualTo(-1);
        assertThat(throttle.admit("a", 60_000)).isEqualTo(1);
    }

    @Test
    void worksAcrossTheSignChangeOfNanoTime() {
        LogThrottle throttle = new LogThrottle(1_000);
        assertThat(throttle.admit("a", Long.MAX_VALUE - 10)).isZero();
        assertThat(throttle.admit("a", Long.MAX_VALUE)).isEqualTo(-1);
        assertThat(throttle.admit("a", Long.MIN_VALUE + 990)).isEqualTo(1);
    }
}
