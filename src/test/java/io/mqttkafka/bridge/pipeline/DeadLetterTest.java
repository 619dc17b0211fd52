package io.mqttkafka.bridge.pipeline;

import static io.mqttkafka.bridge.testing.TestBridges.start;
import static io.mqttkafka.bridge.testing.KafkaTestConsumer.header;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.dev.EmbeddedKafkaBroker;
import io.mqttkafka.bridge.kafka.BridgeHeaders;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.MosquittoProcess;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * Acceptance 6: messages that cannot be written (illegal rendered topic, record too large, topic missing
 * with auto-creation off) land in the dead-letter topic with the reason, and the messages around them are
 * delivered. Uses its own Kafka cluster with topic auto-creation off.
 */
class DeadLetterTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static EmbeddedKafkaBroker kafka;

    @BeforeAll
    static void startKafkaWithoutAutoCreation() {
        kafka = EmbeddedKafkaBroker.start(Map.of("auto.create.topics.enable", "false"));
    }

    @AfterAll
    static void stopKafka() {
        kafka.close();
    }

    private static void createTopics(String... names) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            admin.createTopics(java.util.Arrays.stream(names).map(n -> new NewTopic(n, 1, (short) 1)).toList())
                    .all().get(30, TimeUnit.SECONDS);
        }
    }

    private static String text(byte[] bytes) {
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }

    @ParameterizedTest(name = "QoS {0}")
    @ValueSource(ints = {0, 1, 2})
    void poisonMessagesAreDeadLetteredAndNeighboursDelivered(int qos) throws Exception {
        String root = SharedBrokers.unique("poison");
        String site = SharedBrokers.unique("site");
        String goodTopic = "ok-" + site;
        String deadLetterTopic = SharedBrokers.unique("dlq");
        createTopics(goodTopic, deadLetterTopic);
        BridgeConfig config = TestConfigs.forSharedBrokers()
                .set("bridge.kafka.bootstrap-servers", kafka.bootstrapServers())
                .set("bridge.dead-letter-topic", deadLetterTopic)
                // bounds how long a send waits for the metadata of a topic that does not exist
                .set("bridge.kafka.properties.max.block.ms", "2000")
                .mapping("by-site", root + "/{site}/data", qos, "ok-{site}", "{site}")
                .build();
        byte[] tooLarge = new byte[2 * 1024 * 1024];
        new Random(1).nextBytes(tooLarge);

        try (BridgeRuntime bridge = start(config);
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5)) {
            publisher.publish(root + "/" + site + "/data", "before".getBytes(StandardCharsets.UTF_8), qos).join();
            publisher.publish(root + "/bad site/data", "illegal".getBytes(StandardCharsets.UTF_8), qos).join();
            publisher.publish(root + "/" + site + "/data", tooLarge, qos).join();
            publisher.publish(root + "/missing-" + site + "/data", "nowhere".getBytes(StandardCharsets.UTF_8), qos).join();
            publisher.publish(root + "/" + site + "/data", "after".getBytes(StandardCharsets.UTF_8), qos).join();

            List<ConsumerRecord<byte[], byte[]>> delivered = KafkaTestConsumer.readAtLeast(
                    kafka.bootstrapServers(), goodTopic, 2, TIMEOUT);
            assertThat(delivered).extracting(r -> text(r.value())).containsExactly("before", "after");

            List<ConsumerRecord<byte[], byte[]>> deadLetters = KafkaTestConsumer.readAtLeast(
                    kafka.bootstrapServers(), deadLetterTopic, 3, TIMEOUT);
            assertThat(deadLetters).hasSize(3);
            assertThat(deadLetters).allSatisfy(r -> {
                assertThat(header(r, BridgeHeaders.DLQ_MAPPING)).isEqualTo("by-site");
                assertThat(header(r, BridgeHeaders.MQTT_TOPIC)).startsWith(root + "/");
                assertThat(header(r, BridgeHeaders.DLQ_TIME)).isNotBlank();
            });

            ConsumerRecord<byte[], byte[]> illegal = find(deadLetters, root + "/bad site/data");
            assertThat(header(illegal, BridgeHeaders.DLQ_REASON)).startsWith("invalid-topic:").contains("'ok-bad site'");
            assertThat(header(illegal, BridgeHeaders.DLQ_TARGET_TOPIC)).isEqualTo("ok-bad site");
            assertThat(text(illegal.value())).isEqualTo("illegal");

            ConsumerRecord<byte[], byte[]> large = find(deadLetters, root + "/" + site + "/data");
            assertThat(header(large, BridgeHeaders.DLQ_REASON)).startsWith("record-too-large:");
            assertThat(large.value()).as("payload too large for Kafka is omitted").isNull();
            assertThat(header(large, BridgeHeaders.DLQ_PAYLOAD_OMITTED_SIZE)).isEqualTo(Integer.toString(tooLarge.length));

            ConsumerRecord<byte[], byte[]> missing = find(deadLetters, root + "/missing-" + site + "/data");
            assertThat(header(missing, BridgeHeaders.DLQ_REASON)).startsWith("topic-missing:").contains("does not exist");
            assertThat(text(missing.value())).isEqualTo("nowhere");
        }
    }

    /**
     * The wait for a missing topic's metadata ({@code max.block.ms}, long here) is spent off the sender: a message
     * to another topic, published behind messages to two different missing topics, reaches Kafka long before the
     * wait ends, and the missing ones are dead-lettered when it does, in parallel rather than one after the other.
     * QoS 0 here: at QoS 1/2 HiveMQ CE sends a client its next messages only once the ones in flight are
     * acknowledged, and acknowledgements leave in order, so the broker itself holds the rest back until the
     * missing-topic message is dead-lettered. Mosquitto keeps sending: the QoS 1/2 variant runs against it.
     */
    @Test
    void messagesToMissingTopicsHoldBackNoOtherTopic() throws Exception {
        assertMissingTopicsHoldBackNoOtherTopic(SharedBrokers.mqtt().port(), 0);
    }

    @ParameterizedTest(name = "QoS {0}")
    @ValueSource(ints = {1, 2})
    void messagesToMissingTopicsHoldBackNoOtherTopicBehindMosquitto(int qos) throws Exception {
        MosquittoProcess.assumeInstalledUnlessCi(
                "this variant needs a broker that keeps sending while acks are outstanding.");
        try (MosquittoProcess mosquitto = MosquittoProcess.start()) {
            assertMissingTopicsHoldBackNoOtherTopic(mosquitto.port(), qos);
        }
    }

    private static void assertMissingTopicsHoldBackNoOtherTopic(int mqttPort, int qos) throws Exception {
        String root = SharedBrokers.unique("missing");
        String site = SharedBrokers.unique("site");
        String goodTopic = "ok-" + site;
        String deadLetterTopic = SharedBrokers.unique("dlq");
        createTopics(goodTopic, deadLetterTopic);
        Duration maxBlock = Duration.ofSeconds(10);
        BridgeConfig config = TestConfigs.forSharedBrokers()
                .set("bridge.mqtt.port", Integer.toString(mqttPort))
                .set("bridge.kafka.bootstrap-servers", kafka.bootstrapServers())
                .set("bridge.dead-letter-topic", deadLetterTopic)
                .set("bridge.kafka.properties.max.block.ms", Long.toString(maxBlock.toMillis()))
                .mapping("by-site", root + "/{site}/data", qos, "ok-{site}", "{site}")
                .build();

        try (BridgeRuntime bridge = start(config);
                MqttTestClient publisher = MqttTestClient.connect(mqttPort, 5)) {
            // Warm the good topic up, so what is measured below is only the missing topics' effect.
            publisher.publish(root + "/" + site + "/data", "warm-up".getBytes(StandardCharsets.UTF_8), qos).join();
            KafkaTestConsumer.readAtLeast(kafka.bootstrapServers(), goodTopic, 1, TIMEOUT);

            long sentAt = System.nanoTime();
            publisher.publish(root + "/missing-a-" + site + "/data", "nowhere-a".getBytes(StandardCharsets.UTF_8), qos).join();
            publisher.publish(root + "/missing-b-" + site + "/data", "nowhere-b".getBytes(StandardCharsets.UTF_8), qos).join();
            publisher.publish(root + "/" + site + "/data", "behind".getBytes(StandardCharsets.UTF_8), qos).join();

            List<ConsumerRecord<byte[], byte[]>> delivered = KafkaTestConsumer.readAtLeast(
                    kafka.bootstrapServers(), goodTopic, 2, maxBlock.dividedBy(2));
            assertThat(delivered).extracting(r -> text(r.value())).containsExactly("warm-up", "behind");

            List<ConsumerRecord<byte[], byte[]>> deadLetters = KafkaTestConsumer.readAtLeast(
                    kafka.bootstrapServers(), deadLetterTopic, 2, TIMEOUT);
            Duration untilDeadLettered = Duration.ofNanos(System.nanoTime() - sentAt);
            assertThat(deadLetters).extracting(r -> text(r.value())).containsExactlyInAnyOrder("nowhere-a", "nowhere-b");
            assertThat(deadLetters).allSatisfy(r -> assertThat(header(r, BridgeHeaders.DLQ_REASON)).startsWith("topic-missing:"));
            assertThat(untilDeadLettered).as("the two waits overlap instead of adding up")
                    .isLessThan(maxBlock.multipliedBy(2));
        }
    }

    private static ConsumerRecord<byte[], byte[]> find(List<ConsumerRecord<byte[], byte[]>> records, String mqttTopic) {
        return records.stream().filter(r -> mqttTopic.equals(header(r, BridgeHeaders.MQTT_TOPIC))).findFirst()
                .orElseThrow(() -> new AssertionError("no dead-letter record for MQTT topic " + mqttTopic));
    }
}
