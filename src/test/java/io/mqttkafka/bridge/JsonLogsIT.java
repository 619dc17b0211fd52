package io.mqttkafka.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.mqttkafka.bridge.testing.BridgeProcess;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.SharedBrokers;

/**
 * The packaged bridge's logs: plain text by default; one JSON object per line with
 * {@code quarkus.log.console.json.enabled=true}, switched at run time; and in either form one INFO line per state
 * change, none per message.
 */
class JsonLogsIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final int MESSAGES = 50;

    @Test
    void logsJsonWhenSwitchedOnAndNoLinePerMessage() {
        String root = SharedBrokers.unique("json-logs");
        String kafkaTopic = SharedBrokers.unique("json-logs-out");
        String yaml = BridgeProcess.connectionYaml("json-logs-bridge", SharedBrokers.unique("json-logs-client"),
                SharedBrokers.kafka().bootstrapServers()) + """
                  mqtt-to-kafka:
                    - name: json
                      filter: %s/+
                      qos: 1
                      kafka-topic: %s
                """.formatted(root, kafkaTopic);
        try (BridgeProcess bridge = BridgeProcess.prepare(yaml, Map.of("quarkus.log.console.json.enabled", "true"))
                .start();
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5)) {
            bridge.awaitSubscribed(1);
            List<String> lines = bridge.log().lines().filter(line -> !line.isBlank()).toList();
            assertThat(lines).isNotEmpty().allSatisfy(line -> assertThat(line).startsWith("{").endsWith("}"));
            assertThat(lines).anySatisfy(line -> assertThat(line)
                    .contains("\"loggerName\":\"io.mqttkafka.bridge.mqtt.MqttConnection\"")
                    .contains("\"level\":\"INFO\"").contains("\"message\":\"MQTT 5 connection of"));
            long infoLinesBefore = bridgeInfoLines(bridge);

            for (int i = 0; i < MESSAGES; i++) {
                publisher.publish(root + "/d" + i, ("m" + i).getBytes(StandardCharsets.UTF_8), 1).join();
            }
            KafkaTestConsumer.readAtLeast(SharedBrokers.kafka().bootstrapServers(), kafkaTopic, MESSAGES, TIMEOUT);
            assertThat(bridge.metric("bridge_mqtt_to_kafka_latency_seconds_count", "mapping=\"json\""))
                    .isEqualTo(MESSAGES);
            assertThat(bridgeInfoLines(bridge)).as("no INFO line per bridged message").isEqualTo(infoLinesBefore);
        }
    }

    @Test
    void logsPlainTextByDefault() {
        String yaml = BridgeProcess.connectionYaml("plain-logs-bridge", SharedBrokers.unique("plain-logs-client"),
                SharedBrokers.kafka().bootstrapServers()) + """
                  mqtt-to-kafka:
                    - name: plain
                      filter: %s/+
                      qos: 1
                      kafka-topic: %s
                """.formatted(SharedBrokers.unique("plain-logs"), SharedBrokers.unique("plain-logs-out"));
        try (BridgeProcess bridge = BridgeProcess.prepare(yaml, Map.of()).start()) {
            bridge.awaitSubscribed(1);
            // The subscriber's line (the status connection, <client-id>-status, logs one too).
            assertThat(bridge.log().lines().filter(line -> line.contains("MQTT 5 connection of")
                    && !line.contains("-status to ")).toList())
                    .singleElement().satisfies(line -> assertThat(line).doesNotStartWith("{").contains(" INFO "));
        }
    }

    private static long bridgeInfoLines(BridgeProcess bridge) {
        return bridge.log().lines()
                .filter(line -> line.contains("\"loggerName\":\"io.mqttkafka") && line.contains("\"level\":\"INFO\""))
                .count();
    }
}
