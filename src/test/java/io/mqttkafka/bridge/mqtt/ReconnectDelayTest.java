package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Reconnect delays: doubling from the initial delay, capped, with equal jitter (half to all of the step). */
class ReconnectDelayTest {

    @ParameterizedTest(name = "attempt {0}, random {1} -> {2} ms")
    @CsvSource({
        // attempt, random, expected (initial 1000 ms, max 30000 ms)
        "0, 0.0, 500",
        "0, 0.999999, 999",
        "1, 0.0, 1000",
        "1, 0.5, 1500",
        "4, 0.0, 8000",
        "5, 0.0, 15000",
        "5, 0.999999, 29999",
        "30, 0.0, 15000",
        "1000, 0.5, 22500",
    })
    void doublesCapsAndJitters(int attempt, double random, long expected) {
        assertThat(MqttClientSettings.reconnectDelayMillis(1000, 30_000, attempt, random)).isEqualTo(expected);
    }
}
