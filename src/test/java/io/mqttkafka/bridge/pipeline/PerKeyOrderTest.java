package io.mqttkafka.bridge.pipeline;

import static io.mqttkafka.bridge.testing.TestBridges.start;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.IntStream;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;

import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.kafka.BridgeHeaders;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * README, "Order": with a key template, order holds per rendered key. Many devices publish interleaved into one
 * multi-partition Kafka topic with the key {@code {device}}: every device's records land in the one partition its key
 * hashes to (Kafka's default partitioner), in publish order, each exactly once.
 */
class PerKeyOrderTest {

    private static final int PARTITIONS = 4;
    private static final int DEVICES = 12;
    private static final int PER_DEVICE = 150;

    @Test
    void keepsPublishOrderPerRenderedKeyInOnePartitionOfAMultiPartitionTopic() {
        String root = SharedBrokers.unique("key-order");
        String kafkaTopic = SharedBrokers.unique("key-order-out");
        String bootstrap = SharedBrokers.kafka().bootstrapServers();
        KafkaTestProducer.createTopic(bootstrap, kafkaTopic, PARTITIONS);
        BridgeConfig config = TestConfigs.forSharedBrokers()
                .mapping("by-device", root + "/{device}/data", 1, kafkaTopic, "dev-{device}")
                .build();
        List<String> topics = new ArrayList<>();
        List<byte[]> payloads = new ArrayList<>();
        // Interleaved, as many devices publishing at once would.
        for (int sequence = 0; sequence < PER_DEVICE; sequence++) {
            for (int device = 0; device < DEVICES; device++) {
                topics.add(root + "/" + device + "/data");
                payloads.add(Integer.toString(sequence).getBytes(StandardCharsets.UTF_8));
            }
        }
        Map<String, Integer> expectedPartition = new LinkedHashMap<>();
        for (int device = 0; device < DEVICES; device++) {
            byte[] key = ("dev-" + device).getBytes(StandardCharsets.UTF_8);
            // What Kafka's producer does with a keyed record when no partitioner is configured.
            expectedPartition.put("dev-" + device, Utils.toPositive(Utils.murmur2(key)) % PARTITIONS);
        }
        assertThat(new TreeSet<>(expectedPartition.values())).as("the keys spread over several partitions")
                .hasSizeGreaterThan(1);

        try (BridgeRuntime bridge = start(config);
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5)) {
            publisher.publishAll(topics, payloads, 1);

            // 1,800 QoS 1 messages take about 2 s here; 120 s is the bound PerTopicOrderTest uses for 10,000.
            List<ConsumerRecord<byte[], byte[]>> records = KafkaTestConsumer.readAtLeast(bootstrap, kafkaTopic,
                    DEVICES * PER_DEVICE, Duration.ofSeconds(120));

            Map<String, List<Integer>> sequencesByKey = new LinkedHashMap<>();
            Map<String, Set<Integer>> partitionsByKey = new LinkedHashMap<>();
            for (ConsumerRecord<byte[], byte[]> record : records) {
                String key = new String(record.key(), StandardCharsets.UTF_8);
                assertThat(KafkaTestConsumer.header(record, BridgeHeaders.MQTT_TOPIC))
                        .isEqualTo(root + "/" + key.substring("dev-".length()) + "/data");
                sequencesByKey.computeIfAbsent(key, k -> new ArrayList<>())
                        .add(Integer.parseInt(new String(record.value(), StandardCharsets.UTF_8)));
                partitionsByKey.computeIfAbsent(key, k -> new TreeSet<>()).add(record.partition());
            }
            assertThat(records).hasSize(DEVICES * PER_DEVICE);
            assertThat(sequencesByKey).containsOnlyKeys(expectedPartition.keySet());
            List<Integer> expected = IntStream.range(0, PER_DEVICE).boxed().toList();
            expectedPartition.forEach((key, partition) -> {
                assertThat(partitionsByKey.get(key)).as("partitions of key %s", key).containsExactly(partition);
                assertThat(sequencesByKey.get(key)).as("sequence of key %s", key).containsExactlyElementsOf(expected);
            });
        }
    }
}
