package io.mqttkafka.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.mqttkafka.bridge.testing.BridgeProcess;
import io.mqttkafka.bridge.testing.SharedBrokers;

/**
 * TLS settings that cannot work fail the packaged bridge's startup with a message naming the setting (issue 19): a
 * TLS configuration name that no {@code quarkus.tls.<name>.*} defines, and a key store file that does not exist
 * (which Quarkus' TLS registry itself refuses, naming the TLS configuration).
 */
class TlsStartupFailureIT {

    @Test
    void anUndefinedTlsConfigurationNameFailsStartupNamingTheKey() {
        String yaml = mqttToKafkaBridge("""
                    tls-configuration-name: mqtt
                """, "");
        try (BridgeProcess bridge = BridgeProcess.prepare(yaml, Map.of()).start()) {
            assertThat(bridge.awaitExit(Duration.ofSeconds(60))).isNotZero();
            assertThat(bridge.log()).contains("bridge.mqtt.tls-configuration-name: no TLS configuration named 'mqtt'; "
                    + "define it with quarkus.tls.mqtt.trust-store.* (and key-store.* for mutual TLS)");
        }
    }

    @Test
    void aKeyStoreFileThatDoesNotExistFailsStartupNamingTheTlsConfiguration() {
        Path missing = Path.of("/nonexistent-" + SharedBrokers.unique("dir"), "bridge.key");
        String yaml = mqttToKafkaBridge("""
                    tls-configuration-name: mqtt
                """, """
                quarkus:
                  tls:
                    mqtt:
                      key-store:
                        pem:
                          0:
                            cert: %s
                            key: %s
                """.formatted(missing.resolveSibling("bridge.crt"), missing));
        try (BridgeProcess bridge = BridgeProcess.prepare(yaml, Map.of()).start()) {
            assertThat(bridge.awaitExit(Duration.ofSeconds(60))).isNotZero();
            assertThat(bridge.log()).contains("Invalid key/certificate pair configuration for certificate 'mqtt' - "
                    + "cannot read the key/certificate files");
        }
    }

    /** A bridge with one MQTT → Kafka mapping; {@code mqttSettings} goes under {@code bridge.mqtt}. */
    private static String mqttToKafkaBridge(String mqttSettings, String more) {
        return """
                bridge:
                  mqtt:
                    host: 127.0.0.1
                    port: %d
                %s  kafka:
                    bootstrap-servers: %s
                  mqtt-to-kafka:
                    - name: temperatures
                      filter: sensors/{site}/{device}/temperature
                      kafka-topic: iot.temperature.{site}
                %s""".formatted(SharedBrokers.mqtt().port(), mqttSettings, SharedBrokers.kafka().bootstrapServers(), more);
    }
}
