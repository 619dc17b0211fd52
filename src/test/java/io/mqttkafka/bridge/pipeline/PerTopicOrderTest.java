package io.mqttkafka.bridge.pipeline;

import static io.mqttkafka.bridge.testing.TestBridges.start;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.kafka.BridgeHeaders;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/** Acceptance 3: 10,000 QoS 1 messages over 20 topics keep their publish order per topic in Kafka. */
class PerTopicOrderTest {

    private static final int TOPICS = 20;
    private static final int PER_TOPIC = 500;

    @Test
    void keepsPublishOrderPerMqttTopic() {
        String root = SharedBrokers.unique("order");
        String kafkaTopic = SharedBrokers.unique("order-out");
        BridgeConfig config = TestConfigs.forSharedBrokers().mapping("order", root + "/+", 1, kafkaTopic, null).build();
        List<String> topics = new ArrayList<>();
        List<byte[]> payloads = new ArrayList<>();
        // Interleave the topics, as many devices publishing at once would.
        for (int sequence = 0; sequence < PER_TOPIC; sequence++) {
            for (int topic = 0; topic < TOPICS; topic++) {
                topics.add(root + "/t" + topic);
                payloads.add(Integer.toString(sequence).getBytes(StandardCharsets.UTF_8));
            }
        }
        try (BridgeRuntime bridge = start(config);
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5)) {
            publisher.publishAll(topics, payloads, 1);

            List<ConsumerRecord<byte[], byte[]>> records = KafkaTestConsumer.readAtLeast(
                    SharedBrokers.kafka().bootstrapServers(), kafkaTopic, TOPICS * PER_TOPIC, Duration.ofSeconds(120));

            Map<String, List<Integer>> sequencesByTopic = new HashMap<>();
            for (ConsumerRecord<byte[], byte[]> record : records) {
                sequencesByTopic.computeIfAbsent(KafkaTestConsumer.header(record, BridgeHeaders.MQTT_TOPIC),
                        t -> new ArrayList<>()).add(Integer.parseInt(new String(record.value(), StandardCharsets.UTF_8)));
            }
            List<Integer> expected = IntStream.range(0, PER_TOPIC).boxed().toList();
            assertThat(sequencesByTopic).hasSize(TOPICS);
            sequencesByTopic.forEach((topic, sequences) ->
                    assertThat(sequences).as("sequence on %s", topic).containsExactlyElementsOf(expected));
        }
    }
}
