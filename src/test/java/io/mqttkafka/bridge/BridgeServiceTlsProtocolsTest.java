package io.mqttkafka.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;

import jakarta.inject.Inject;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import io.mqttkafka.bridge.mqtt.MqttConnection;
import io.mqttkafka.bridge.testing.HiveMqTlsResource;
import io.mqttkafka.bridge.testing.LogCapture;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * {@code quarkus.tls.<name>.protocols} set by the user is offered alone: restricted to TLS 1.3, the bridge cannot reach
 * the TLS 1.2-only broker of {@link HiveMqTlsResource}, says so, and stays not ready. (Without the setting it connects:
 * {@link BridgeServiceTlsTest}.) This checks that the bridge tells a protocol list the user set from the one Quarkus
 * fills in by default.
 */
@QuarkusTest
@QuarkusTestResource(value = HiveMqTlsResource.class, restrictToAnnotatedClass = true)
@TestProfile(BridgeServiceTlsProtocolsTest.Tls13Only.class)
class BridgeServiceTlsProtocolsTest {

    /** The TLS configuration of {@link HiveMqTlsResource}, restricted to TLS 1.3. */
    public static final class Tls13Only implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.tls.mqtt.protocols", "TLSv1.3");
        }
    }

    @Inject
    BridgeService service;

    @Test
    void protocolsSetInTheTlsConfigurationAreOfferedAlone() {
        try (LogCapture log = LogCapture.of(MqttConnection.class.getName())) {
            // Failures are logged at the 1st attempt and every 10th after (about every 7 s at a 1 s maximum delay).
            Awaitility.await("the protocol mismatch reported").atMost(Duration.ofSeconds(60))
                    .until(() -> !log.containing("TLS: no protocol version in common with the broker (the bridge "
                            + "offers [TLSv1.3]; set quarkus.tls.<name>.protocols)").isEmpty());
            assertThat(service.runtime().isReady()).as("ready").isFalse();
            assertThat(log.containing("established")).as("connections established").isEmpty();
        }
    }
}
