package io.mqttkafka.bridge.pipeline;

import static io.mqttkafka.bridge.testing.KafkaTestConsumer.header;
import static io.mqttkafka.bridge.testing.TestBridges.start;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.config.ConfigValidationException;
import io.mqttkafka.bridge.dev.EmbeddedKafkaBroker;
import io.mqttkafka.bridge.kafka.BridgeHeaders;
import io.mqttkafka.bridge.testing.KafkaGroups;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.MosquittoProcess;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.MqttTestSubscriber;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * Acceptance 6: messages that cannot be written (illegal rendered topic, record too large, topic missing
 * with auto-creation off) land in the dead-letter topic with the reason, and the messages around them are
 * delivered. Uses its own Kafka cluster with topic auto-creation off, the usual production setting.
 *
 * <p>A dead letter that cannot be written must never stall a direction in silence: a dead-letter topic that was
 * never created is created at startup; one the cluster refuses fails startup naming
 * {@code bridge.dead-letter-topic}; one that disappears while the bridge runs stops the direction that needed it,
 * leaves the message unacknowledged (uncommitted), and liveness says why.
 */
class DeadLetterTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static EmbeddedKafkaBroker kafka;

    @BeforeAll
    static void startKafkaWithoutAutoCreation() {
        kafka = SharedBrokers.kafkaWithoutAutoCreation();
    }

    private static Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()));
    }

    private static void createTopics(String... names) throws Exception {
        try (Admin admin = admin()) {
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

    /**
     * Each message to a topic that does not exist can hold a metadata lookup for {@code max.block.ms}. Twelve distinct
     * missing topic names (as devices choose levels) are three times the lookup threads: before, the first message to
     * a topic that exists but was not written yet waited behind all of them, three rounds of {@code max.block.ms}.
     */
    @Test
    void manyMissingTopicNamesHoldBackNoMessageToATopicThatExists() throws Exception {
        String root = SharedBrokers.unique("many-missing");
        String site = SharedBrokers.unique("site");
        String deadLetterTopic = SharedBrokers.unique("dlq-many-missing");
        createTopics("ok-" + site, deadLetterTopic);
        Duration maxBlock = Duration.ofSeconds(4);
        BridgeConfig config = config(deadLetterTopic)
                .set("bridge.kafka.properties.max.block.ms", Long.toString(maxBlock.toMillis()))
                .mapping("by-site", root + "/{site}/data", 0, "ok-{site}", "{site}")
                .build();
        int missingTopics = 12;

        try (BridgeRuntime bridge = start(config);
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5)) {
            for (int i = 0; i < missingTopics; i++) {
                publisher.publish(root + "/missing-" + i + "-" + site + "/data", bytes("nowhere-" + i), 0)
                        .get(30, TimeUnit.SECONDS);
            }
            long sentAt = System.nanoTime();
            publisher.publish(root + "/" + site + "/data", bytes("exists"), 0).get(30, TimeUnit.SECONDS);

            List<ConsumerRecord<byte[], byte[]>> delivered = KafkaTestConsumer.readAtLeast(kafka.bootstrapServers(),
                    "ok-" + site, 1, TIMEOUT);
            Duration waited = Duration.ofNanos(System.nanoTime() - sentAt);
            assertThat(delivered).extracting(r -> text(r.value())).containsExactly("exists");
            assertThat(waited).as("not behind the lookups of the missing topics").isLessThan(maxBlock);
            assertThat(KafkaTestConsumer.readAtLeast(kafka.bootstrapServers(), deadLetterTopic, missingTopics, TIMEOUT))
                    .hasSize(missingTopics)
                    .allSatisfy(r -> assertThat(header(r, BridgeHeaders.DLQ_REASON)).startsWith("topic-missing:"));
        }
    }

    /** The first scenario of the issue: before, 999 of the 1,500 messages arrived and then nothing more, ever. */
    @Test
    void aDeadLetterTopicNeverCreatedIsCreatedAtStartupAndNothingStalls() throws Exception {
        String root = SharedBrokers.unique("never-created");
        String site = SharedBrokers.unique("site");
        String deadLetterTopic = SharedBrokers.unique("dlq-never-created");
        createTopics("ok-" + site);
        BridgeConfig config = config(deadLetterTopic)
                .mapping("by-site", root + "/{site}/data", 1, "ok-{site}", "{site}")
                .build();
        int good = 1_500;

        try (BridgeRuntime bridge = start(config);
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5)) {
            assertThat(topicExists(deadLetterTopic)).as("dead-letter topic created at startup").isTrue();
            publisher.publish(root + "/bad site/data", bytes("illegal"), 1).get(30, TimeUnit.SECONDS);
            publisher.publishAll(IntStream.range(0, good).mapToObj(i -> root + "/" + site + "/data").toList(),
                    IntStream.range(0, good).mapToObj(i -> bytes("m" + i)).toList(), 1);

            List<ConsumerRecord<byte[], byte[]>> delivered = KafkaTestConsumer.readAtLeast(kafka.bootstrapServers(),
                    "ok-" + site, good, TIMEOUT);
            assertThat(delivered).extracting(r -> text(r.value()))
                    .containsExactlyElementsOf(IntStream.range(0, good).mapToObj(i -> "m" + i).toList());
            assertThat(KafkaTestConsumer.readAtLeast(kafka.bootstrapServers(), deadLetterTopic, 1, TIMEOUT))
                    .singleElement().satisfies(r -> assertThat(header(r, BridgeHeaders.DLQ_REASON)).startsWith("invalid-topic:"));
            assertThat(bridge.isAlive()).isTrue();
        }
    }

    @Test
    void aDeadLetterTopicThatDisappearsStopsMqttToKafkaUnacknowledgedAndLivenessSaysWhy() throws Exception {
        String root = SharedBrokers.unique("dlq-gone");
        String site = SharedBrokers.unique("site");
        String deadLetterTopic = SharedBrokers.unique("dlq-gone");
        createTopics("ok-" + site, deadLetterTopic);
        BridgeConfig config = config(deadLetterTopic)
                .mapping("by-site", root + "/{site}/data", 1, "ok-{site}", "{site}")
                .build();
        int after = 50;

        try (MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5)) {
            try (BridgeRuntime bridge = start(config)) {
                publisher.publish(root + "/" + site + "/data", bytes("before"), 1).get(30, TimeUnit.SECONDS);
                KafkaTestConsumer.readAtLeast(kafka.bootstrapServers(), "ok-" + site, 1, TIMEOUT);
                deleteTopic(deadLetterTopic);

                publisher.publish(root + "/bad site/data", bytes("illegal"), 1).get(30, TimeUnit.SECONDS);
                Awaitility.await("MQTT → Kafka stopped, liveness down").atMost(TIMEOUT).until(() -> !bridge.isAlive());
                assertThat(bridge.stoppedDirections()).containsOnlyKeys("mqtt-to-kafka");
                assertThat(bridge.stoppedDirections().get("mqtt-to-kafka"))
                        .contains("could not be dead-lettered", "'" + deadLetterTopic + "'", "bridge.dead-letter-topic",
                                "does not exist");
                for (int i = 0; i < after; i++) {
                    publisher.publish(root + "/" + site + "/data", bytes("after-" + i), 1).get(30, TimeUnit.SECONDS);
                }
                assertThat(bridge.mqttToKafkaInFlight()).as("the poison message is still unacknowledged").isEqualTo(1);
            }

            // The operator creates the topic again and restarts: the broker kept everything unacknowledged.
            createTopics(deadLetterTopic);
            try (BridgeRuntime restarted = start(config)) {
                List<ConsumerRecord<byte[], byte[]>> deadLetters = KafkaTestConsumer.readAtLeast(
                        kafka.bootstrapServers(), deadLetterTopic, 1, TIMEOUT);
                assertThat(deadLetters).extracting(r -> text(r.value())).containsExactly("illegal");
                Set<String> expected = IntStream.range(0, after).mapToObj(i -> "after-" + i).collect(Collectors.toSet());
                expected.add("before");
                List<ConsumerRecord<byte[], byte[]>> delivered = KafkaTestConsumer.readUntil(kafka.bootstrapServers(),
                        "ok-" + site, records -> records.stream().map(r -> text(r.value())).collect(Collectors.toSet())
                                .containsAll(expected), TIMEOUT);
                assertThat(delivered).extracting(r -> text(r.value())).containsOnlyElementsOf(expected);
                assertThat(restarted.isAlive()).isTrue();
            }
        }
    }

    @Test
    void aDeadLetterTopicThatDisappearsStopsKafkaToMqttUncommittedAndLivenessSaysWhy() throws Exception {
        String root = SharedBrokers.unique("dlq-gone-k2m");
        String in = SharedBrokers.unique("dlq-gone-in");
        String deadLetterTopic = SharedBrokers.unique("dlq-gone-k2m");
        createTopics(in, deadLetterTopic);
        TestConfigs configs = config(deadLetterTopic).reverseMapping("commands", in, root + "/cmd/{key}", 1, false, null);
        String groupId = configs.build().id();

        try (MqttTestSubscriber subscriber = MqttTestSubscriber.subscribe(SharedBrokers.mqtt().port(), 5, 1, root + "/cmd/#");
                BridgeRuntime bridge = start(configs.build());
                KafkaTestProducer producer = new KafkaTestProducer(kafka.bootstrapServers())) {
            producer.send(in, "valve-1", bytes("open")).get(30, TimeUnit.SECONDS);
            Awaitility.await("first record published and committed").atMost(TIMEOUT).until(() ->
                    subscriber.count() == 1 && KafkaGroups.committedTotal(kafka.bootstrapServers(), groupId, in) == 1);
            deleteTopic(deadLetterTopic);

            producer.send(in, (byte[]) null, bytes("no key, so no MQTT topic")).get(30, TimeUnit.SECONDS);
            Awaitility.await("Kafka → MQTT stopped, liveness down").atMost(TIMEOUT).until(() -> !bridge.isAlive());
            String direction = "kafka-to-mqtt[" + groupId + "]";
            assertThat(bridge.stoppedDirections()).containsOnlyKeys(direction);
            assertThat(bridge.stoppedDirections().get(direction)).contains(in + "-0@1", "'" + deadLetterTopic + "'",
                    "does not exist");
            producer.send(in, "valve-2", bytes("close")).get(30, TimeUnit.SECONDS);
            Awaitility.await("nothing committed from the record that could not be dead-lettered on")
                    .during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10))
                    .until(() -> KafkaGroups.committedTotal(kafka.bootstrapServers(), groupId, in) == 1);
            assertThat(subscriber.received()).extracting(MqttTestSubscriber.Received::text).containsExactly("open");
        }
    }

    @Test
    void aDeadLetterTopicTheClusterRefusesFailsStartupNamingTheKey() {
        // A topic created with the cluster's defaults needs three replicas here, and there is one broker.
        try (EmbeddedKafkaBroker strict = EmbeddedKafkaBroker.start(Map.of("auto.create.topics.enable", "false",
                "default.replication.factor", "3"))) {
            String deadLetterTopic = SharedBrokers.unique("dlq-refused");
            TestConfigs configs = TestConfigs.forSharedBrokers()
                    .set("bridge.kafka.bootstrap-servers", strict.bootstrapServers())
                    .set("bridge.dead-letter-topic", deadLetterTopic)
                    .mapping("readings", SharedBrokers.unique("refused") + "/#", 1, "readings", null);

            BridgeRuntime refused = new BridgeRuntime(configs.build(), new SimpleMeterRegistry());
            try {
                assertThatThrownBy(refused::start).isInstanceOf(ConfigValidationException.class)
                        .hasMessageContaining("bridge.dead-letter-topic: the topic '" + deadLetterTopic + "'")
                        .hasMessageContaining("does not exist and could not be created")
                        .hasMessageContaining("InvalidReplicationFactorException");
            } finally {
                refused.close();
            }

            // Without a mapping that dead-letters, the topic is not needed and not checked.
            BridgeRuntime withoutDeadLetters = new BridgeRuntime(configs.set("bridge.mqtt-to-kafka[0].failure-strategy",
                    "ignore").build(), new SimpleMeterRegistry());
            try {
                withoutDeadLetters.start();
                Awaitility.await("bridge connected").atMost(TIMEOUT).until(withoutDeadLetters::isReady);
            } finally {
                withoutDeadLetters.close();
            }
        }
    }

    private static TestConfigs config(String deadLetterTopic) {
        return TestConfigs.forSharedBrokers()
                .set("bridge.kafka.bootstrap-servers", kafka.bootstrapServers())
                .set("bridge.dead-letter-topic", deadLetterTopic)
                // bounds how long a send waits for the metadata of a topic that does not exist
                .set("bridge.kafka.properties.max.block.ms", "2000");
    }

    private static void deleteTopic(String name) throws Exception {
        try (Admin admin = admin()) {
            admin.deleteTopics(List.of(name)).all().get(30, TimeUnit.SECONDS);
            Awaitility.await("topic " + name + " deleted").atMost(TIMEOUT)
                    .until(() -> !admin.listTopics().names().get(10, TimeUnit.SECONDS).contains(name));
        }
    }

    private static boolean topicExists(String name) throws Exception {
        try (Admin admin = admin()) {
            return admin.listTopics().names().get(10, TimeUnit.SECONDS).contains(name);
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static ConsumerRecord<byte[], byte[]> find(List<ConsumerRecord<byte[], byte[]>> records, String mqttTopic) {
        return records.stream().filter(r -> mqttTopic.equals(header(r, BridgeHeaders.MQTT_TOPIC))).findFirst()
                .orElseThrow(() -> new AssertionError("no dead-letter record for MQTT topic " + mqttTopic));
    }
}
