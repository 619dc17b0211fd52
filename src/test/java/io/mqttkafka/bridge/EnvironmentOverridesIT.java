package io.mqttkafka.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.mqttkafka.bridge.testing.BridgeProcess;
import io.mqttkafka.bridge.testing.FreePorts;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.SharedBrokers;

/**
 * README, "Run in production": every key can be overridden by an environment variable (upper-case, other characters
 * become {@code _}). The packaged bridge runs as a process whose {@code config/application.yaml} names an MQTT port
 * nothing listens on and a Kafka topic; the environment gives the real port ({@code BRIDGE_MQTT_PORT}) and another
 * topic for the first mapping ({@code BRIDGE_MQTT_TO_KAFKA_0__KAFKA_TOPIC}, the indexed key
 * {@code bridge.mqtt-to-kafka[0].kafka-topic}). The bridge must subscribe on the real broker and write there.
 */
class EnvironmentOverridesIT {

    /** Generous for one message; the process itself is awaited with BridgeProcess's own 90 s bound. */
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Test
    void environmentVariablesOverrideThePortAndAnIndexedMappingKey() throws Exception {
        String root = SharedBrokers.unique("env");
        String fromFile = SharedBrokers.unique("env-from-file");
        String fromEnvironment = SharedBrokers.unique("env-from-environment");
        String bootstrap = SharedBrokers.kafka().bootstrapServers();
        String yaml = BridgeProcess.connectionYaml(SharedBrokers.unique("env-bridge"), SharedBrokers.unique("env-client"),
                bootstrap, FreePorts.next()) + """
                  mqtt-to-kafka:
                    - name: readings
                      filter: %s/#
                      qos: 1
                      kafka-topic: %s
                """.formatted(root, fromFile);

        try (BridgeProcess bridge = BridgeProcess.prepare(yaml, Map.of()).environment(Map.of(
                "BRIDGE_MQTT_PORT", Integer.toString(SharedBrokers.mqtt().port()),
                "BRIDGE_MQTT_TO_KAFKA_0__KAFKA_TOPIC", fromEnvironment)).start();
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5)) {
            bridge.awaitSubscribed(1);
            publisher.publish(root + "/x", "21.5".getBytes(StandardCharsets.UTF_8), 1).get(30, TimeUnit.SECONDS);

            assertThat(KafkaTestConsumer.readAtLeast(bootstrap, fromEnvironment, 1, TIMEOUT))
                    .extracting(r -> new String(r.value(), StandardCharsets.UTF_8)).containsExactly("21.5");
            assertThat(KafkaTestConsumer.readAvailable(bootstrap, fromFile, Duration.ofMillis(500))).isEmpty();
            assertThat(bridge.log()).contains("MQTT 127.0.0.1:" + SharedBrokers.mqtt().port());
        }
    }
}
