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
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.kafka.BridgeHeaders;
import io.mqttkafka.bridge.testing.KafkaBrokerProcess;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * Acceptance 5: while Kafka is unreachable, QoS 1 messages are not acknowledged to MQTT: everything the
 * bridge received stays in flight (at most its receive maximum) and the broker keeps the rest; once Kafka is
 * back, every message arrives, also when the outage outlasts {@code bridge.kafka.delivery-timeout}, and
 * nothing is dead-lettered. Kafka runs as its own process so that it can really go away and come back.
 */
class KafkaOutageTest {

    private static final int RECEIVE_MAXIMUM = 50;
    private static KafkaBrokerProcess kafka;

    @BeforeAll
    static void startKafkaProcess() {
        kafka = KafkaBrokerProcess.start(Map.of());
    }

    @AfterAll
    static void stopKafkaProcess() {
        kafka.close();
    }

    @Test
    void holdsAcknowledgementsWhileKafkaIsDownAndDeliversEverythingAfter() {
        String root = SharedBrokers.unique("outage");
        String kafkaTopic = SharedBrokers.unique("outage-out");
        BridgeConfig config = TestConfigs.forSharedBrokers()
                .set("bridge.kafka.bootstrap-servers", kafka.bootstrapServers())
                .set("bridge.mqtt.receive-maximum", Integer.toString(RECEIVE_MAXIMUM))
                // Shorter than the outage: the producer gives up on records during it, and the bridge must
                // recognise the outage (no broker answers) and retry them, never dead-letter them.
                .set("bridge.kafka.delivery-timeout", "5s")
                .set("bridge.kafka.properties.request.timeout.ms", "3000")
                .set("bridge.stall-timeout", "2s")
                .mapping("outage", root + "/+", 1, kafkaTopic, null)
                .build();
        try (BridgeRuntime bridge = start(config);
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5)) {
            List<String> before = publish(publisher, root, "before", 20);
            KafkaTestConsumer.readAtLeast(kafka.bootstrapServers(), kafkaTopic, before.size(), Duration.ofSeconds(60));

            kafka.stop();
            List<String> during = publish(publisher, root, "during", 300);

            // Every message the broker hands over while Kafka is down stays in flight, unacknowledged: the broker
            // keeps it (and, once the receive maximum is reached, everything behind it). How many it hands over
            // before that is the broker's choice (HiveMQ sends some directly and queues the rest).
            Awaitility.await("messages reaching the bridge while Kafka is down").atMost(Duration.ofSeconds(30))
                    .until(() -> bridge.mqttToKafkaInFlight() > 0);
            Awaitility.await("nothing acknowledged while Kafka is down")
                    .during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(6))
                    .until(() -> bridge.metrics().writtenCount("outage") == before.size()
                            && bridge.mqttToKafkaInFlight() == bridge.metrics().receivedCount(1) - before.size()
                            && bridge.mqttToKafkaInFlight() <= RECEIVE_MAXIMUM);

            Awaitility.await("the producer gives up on records during the outage (delivery timeout)")
                    .atMost(Duration.ofSeconds(60)).until(() -> bridge.metrics().retriedCount() > 0);
            assertThat(bridge.stalledDirections()).as("readiness names the stalled direction")
                    .containsOnlyKeys("mqtt-to-kafka");
            assertThat(bridge.stalledDirections().get("mqtt-to-kafka")).startsWith("oldest unacknowledged message waits for");
            kafka.startAgain();

            List<String> expected = new ArrayList<>(before);
            expected.addAll(during);
            List<ConsumerRecord<byte[], byte[]>> records = KafkaTestConsumer.readUntil(kafka.bootstrapServers(),
                    kafkaTopic, read -> payloads(read).containsAll(expected), Duration.ofSeconds(120));
            assertThat(payloads(records)).containsAll(expected);
            Map<String, Long> copies = records.stream().collect(Collectors.groupingBy(
                    r -> new String(r.value(), StandardCharsets.UTF_8), Collectors.counting()));
            assertThat(copies.values()).as("idempotent producer: no duplicates from its retries").allMatch(c -> c == 1);
            assertPublishOrderPerMqttTopic(records, root);
            Awaitility.await("everything acknowledged, no stall left").atMost(Duration.ofSeconds(30))
                    .until(() -> bridge.mqttToKafkaInFlight() == 0 && bridge.stalledDirections().isEmpty());
            assertThat(bridge.metrics().deadLetteredCount("partition-unwritable")).as("an outage is not a refusal")
                    .isZero();
        }
    }

    /**
     * A bridge (re)started while Kafka is down: the first message to each topic waits for metadata that cannot come,
     * the lookup fails after {@code max.block.ms}, and the messages arriving meanwhile and after must not overtake
     * the failed ones (before, a newer message started a lookup of its own and could be written first).
     */
    @Test
    void aBridgeStartedWhileKafkaIsDownWritesEachTopicInPublishOrderOnceKafkaIsBack() {
        String root = SharedBrokers.unique("outage-start");
        String kafkaTopic = SharedBrokers.unique("outage-start-out");
        BridgeConfig config = TestConfigs.forSharedBrokers()
                .set("bridge.kafka.bootstrap-servers", kafka.bootstrapServers())
                .set("bridge.mqtt.receive-maximum", Integer.toString(RECEIVE_MAXIMUM))
                .set("bridge.kafka.properties.max.block.ms", "1000")
                .set("bridge.kafka.properties.request.timeout.ms", "3000")
                .mapping("outage", root + "/+", 1, kafkaTopic, null)
                .build();
        kafka.stop();
        try (BridgeRuntime bridge = start(config);
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5)) {
            List<String> during = publish(publisher, root, "during", 300);
            Awaitility.await("metadata lookups fail while Kafka is down").atMost(Duration.ofSeconds(60))
                    .until(() -> bridge.metrics().retriedCount() > 0);
            kafka.startAgain();
            List<String> after = publish(publisher, root, "after", 100);

            List<String> expected = new ArrayList<>(during);
            expected.addAll(after);
            List<ConsumerRecord<byte[], byte[]>> records = KafkaTestConsumer.readUntil(kafka.bootstrapServers(),
                    kafkaTopic, read -> payloads(read).containsAll(expected), Duration.ofSeconds(120));
            assertPublishOrderPerMqttTopic(records, root);
            assertThat(bridge.metrics().deadLetteredCount("topic-missing")).as("an outage is not a missing topic").isZero();
        } finally {
            if (!kafka.isRunning()) {
                kafka.startAgain();
            }
        }
    }

    private static List<String> publish(MqttTestClient publisher, String root, String label, int count) {
        List<String> payloads = IntStream.range(0, count).mapToObj(i -> label + "-" + i).toList();
        publisher.publishAll(payloads.stream().map(p -> root + "/t" + (p.hashCode() & 7)).toList(),
                payloads.stream().map(p -> p.getBytes(StandardCharsets.UTF_8)).toList(), 1);
        return payloads;
    }

    /**
     * Per MQTT topic, the records are in Kafka in the order they were published: the README promises it across
     * retries and backoff, which is what an outage puts to the test.
     */
    private static void assertPublishOrderPerMqttTopic(List<ConsumerRecord<byte[], byte[]>> records, String root) {
        Map<String, List<String>> byTopic = new java.util.LinkedHashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
            byTopic.computeIfAbsent(KafkaTestConsumer.header(record, BridgeHeaders.MQTT_TOPIC), t -> new ArrayList<>())
                    .add(new String(record.value(), StandardCharsets.UTF_8));
        }
        byTopic.forEach((topic, payloads) -> {
            List<String> published = java.util.stream.Stream.of("before", "during", "after")
                    .flatMap(label -> IntStream.range(0, 300).mapToObj(i -> label + "-" + i))
                    .filter(payloads::contains).toList();
            assertThat(payloads).as("order on %s", topic).containsExactlyElementsOf(published);
        });
    }

    private static List<String> payloads(List<ConsumerRecord<byte[], byte[]>> records) {
        return records.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
    }
}
