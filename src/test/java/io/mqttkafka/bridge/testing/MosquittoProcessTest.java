package io.mqttkafka.bridge.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Which Mosquitto versions keep the in-flight window (the fix came in 2.0.13), read from {@code mosquitto -h}. */
class MosquittoProcessTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "mosquitto version 2.0.11       | false",
            "mosquitto version 2.0.12       | false",
            "mosquitto version 2.0.13       | true",
            "mosquitto version 2.0.21       | true",
            "mosquitto version 2.1.0        | true",
            "mosquitto version 3.0.0        | true",
            "mosquitto version 1.6.15       | false",
    })
    void theWindowHoldsFrom2013(String versionLine, boolean keeps) {
        assertThat(MosquittoProcess.keepsInflightWindow(versionLine)).isEqualTo(keeps);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "mosquitto: command not found", "unknown (No such file)"})
    void anUnreadableVersionIsAnError(String versionLine) {
        assertThatThrownBy(() -> MosquittoProcess.keepsInflightWindow(versionLine))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("Cannot read Mosquitto's version");
    }
}
