package io.mqttkafka.bridge.pipeline;

import static io.mqttkafka.bridge.testing.TestBridges.start;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * The bridge's own QoS 0 overload drop: beyond {@code bridge.kafka.qos0-max-in-flight} QoS 0 messages waiting for
 * Kafka, new ones are dropped and counted, so that QoS 0 never backs up the MQTT connection. With the limit lowered
 * to 5 a burst of 5,000 reaches it for sure (the fault suite's overload never did, against the default of 10,000);
 * every message lost is one the bridge counted as {@code overload}, or one the broker counted as dropped.
 */
class Qos0OverloadTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final int MESSAGES = 5_000;

    @Test
    void everyQos0MessageLostBeyondTheInFlightLimitIsCounted() {
        String root = SharedBrokers.unique("qos0-overload");
        String kafkaTopic = SharedBrokers.unique("qos0-overload-out");
        BridgeConfig config = burstConfig(root, kafkaTopic, "drop");
        long brokerDropsBefore = SharedBrokers.mqtt().droppedMessages();

        try (BridgeRuntime bridge = start(config);
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5)) {
            publishBurst(publisher, root);

            // Settled: every message either reached the bridge or was dropped by the broker, and the bridge either
            // wrote or dropped each one it received.
            Awaitility.await("every message written or counted").atMost(TIMEOUT).until(() -> {
                long brokerDrops = SharedBrokers.mqtt().droppedMessages() - brokerDropsBefore;
                double received = bridge.metrics().receivedCount(0);
                return received + brokerDrops == MESSAGES && bridge.mqttToKafkaInFlight() == 0
                        && bridge.metrics().writtenCount("burst") + bridge.metrics().droppedCount("overload") == received;
            });
            long written = (long) bridge.metrics().writtenCount("burst");
            long overload = (long) bridge.metrics().droppedCount("overload");
            long brokerDrops = SharedBrokers.mqtt().droppedMessages() - brokerDropsBefore;
            List<ConsumerRecord<byte[], byte[]>> records = KafkaTestConsumer.readAtLeast(
                    SharedBrokers.kafka().bootstrapServers(), kafkaTopic, (int) written, TIMEOUT);
            Set<String> delivered = records.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8))
                    .collect(Collectors.toSet());

            assertThat(overload).as("the limit was reached").isPositive();
            assertThat(records).as("records in Kafka, no duplicates").hasSize((int) written);
            assertThat(delivered).hasSize((int) written);
            assertThat(MESSAGES - delivered.size()).as("lost = dropped by the bridge (overload) + by the broker")
                    .isEqualTo(overload + brokerDrops);
            assertThat(bridge.metrics().droppedCount("kafka-unavailable")).isZero();
        }
    }

    /**
     * {@code qos0-overload: push-back}: at the same limit the bridge stops reading instead of dropping, so it drops
     * none; whatever is missing was dropped by the broker, which now holds the excess (this broker's queue takes the
     * whole burst, so nothing is missing at all).
     */
    @Test
    void withPushBackTheBridgeStopsReadingInsteadOfDropping() {
        String root = SharedBrokers.unique("qos0-pushback");
        String kafkaTopic = SharedBrokers.unique("qos0-pushback-out");
        BridgeConfig config = burstConfig(root, kafkaTopic, "push-back");
        long brokerDropsBefore = SharedBrokers.mqtt().droppedMessages();

        try (BridgeRuntime bridge = start(config);
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5)) {
            publishBurst(publisher, root);

            Awaitility.await("every message written or dropped by the broker").atMost(TIMEOUT).until(() -> {
                long brokerDrops = SharedBrokers.mqtt().droppedMessages() - brokerDropsBefore;
                return bridge.metrics().writtenCount("burst") + brokerDrops == MESSAGES && bridge.mqttToKafkaInFlight() == 0;
            });
            long written = (long) bridge.metrics().writtenCount("burst");
            List<ConsumerRecord<byte[], byte[]>> records = KafkaTestConsumer.readAtLeast(
                    SharedBrokers.kafka().bootstrapServers(), kafkaTopic, (int) written, TIMEOUT);
            Set<String> delivered = records.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8))
                    .collect(Collectors.toSet());

            assertThat(bridge.metrics().droppedCount("overload")).as("the bridge drops nothing").isZero();
            assertThat(bridge.metrics().mqttReadPausesCount()).as("it stopped reading at the limit instead").isPositive();
            assertThat(SharedBrokers.mqtt().droppedMessages() - brokerDropsBefore).as("the broker's queue took the burst")
                    .isZero();
            assertThat(records).as("records in Kafka, no duplicates").hasSize(MESSAGES);
            assertThat(delivered).hasSize(MESSAGES);
        }
    }

    /** One QoS 0 mapping of {@code root/+} to {@code kafkaTopic}, with the QoS 0 limit lowered to 5. */
    private static BridgeConfig burstConfig(String root, String kafkaTopic, String qos0Overload) {
        return TestConfigs.forSharedBrokers()
                .set("bridge.kafka.qos0-max-in-flight", "5")
                .set("bridge.kafka.qos0-overload", qos0Overload)
                .mapping("burst", root + "/+", 0, kafkaTopic, null)
                .build();
    }

    /**
     * {@link #MESSAGES} QoS 0 messages "m0", "m1", ... as fast as the broker takes them, over four topics. The publisher
     * stays connected until the test has counted everything: a broker may discard what a disconnecting client sent.
     */
    private static void publishBurst(MqttTestClient publisher, String root) {
        publisher.publishAll(IntStream.range(0, MESSAGES).mapToObj(i -> root + "/t" + (i % 4)).toList(),
                IntStream.range(0, MESSAGES).mapToObj(i -> ("m" + i).getBytes(StandardCharsets.UTF_8)).toList(), 0);
    }
}
