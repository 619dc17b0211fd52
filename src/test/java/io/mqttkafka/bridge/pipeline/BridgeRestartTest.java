package io.mqttkafka.bridge.pipeline;

import static io.mqttkafka.bridge.testing.TestBridges.start;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * Acceptance 4 (graceful part; the kill -9 part is {@code BridgeProcessIT}): the bridge stops, QoS 1 and
 * QoS 2 messages are published while it is away, it restarts with the same client id and the persistent
 * session hands them over: every message is in Kafka, exactly once after a clean stop.
 */
class BridgeRestartTest {

    @ParameterizedTest(name = "MQTT {0}, QoS {1}")
    @CsvSource({"5,1", "5,2", "3,1", "3,2"})
    void messagesPublishedWhileStoppedArriveAfterRestart(int protocolVersion, int qos) {
        String root = SharedBrokers.unique("restart");
        String kafkaTopic = SharedBrokers.unique("restart-out");
        BridgeConfig config = TestConfigs.forSharedBrokers()
                .set("bridge.mqtt.protocol-version", Integer.toString(protocolVersion))
                .mapping("restart", root + "/+", qos, kafkaTopic, null)
                .build();
        List<String> expected = new ArrayList<>();
        try (MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), protocolVersion)) {
            try (BridgeRuntime first = start(config)) {
                expected.addAll(publish(publisher, root, "running", 200, qos));
            }
            expected.addAll(publish(publisher, root, "stopped", 500, qos));
            try (BridgeRuntime second = start(config)) {
                expected.addAll(publish(publisher, root, "restarted", 200, qos));

                List<ConsumerRecord<byte[], byte[]>> records = KafkaTestConsumer.readUntil(
                        SharedBrokers.kafka().bootstrapServers(), kafkaTopic,
                        read -> payloads(read).containsAll(expected), Duration.ofSeconds(90));

                Map<String, Long> copies = payloads(records).stream()
                        .collect(Collectors.groupingBy(p -> p, Collectors.counting()));
                assertThat(copies.keySet()).containsExactlyInAnyOrderElementsOf(expected);
                assertThat(copies.values()).as("clean stop: no message written twice").allMatch(c -> c == 1);
            }
        }
    }

    private static List<String> publish(MqttTestClient publisher, String root, String label, int count, int qos) {
        List<String> payloads = IntStream.range(0, count).mapToObj(i -> label + "-" + i).toList();
        publisher.publishAll(payloads.stream().map(p -> root + "/t" + (p.hashCode() & 3)).toList(),
                payloads.stream().map(p -> p.getBytes(StandardCharsets.UTF_8)).toList(), qos);
        return payloads;
    }

    private static List<String> payloads(List<ConsumerRecord<byte[], byte[]>> records) {
        return records.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
    }
}
