package io.mqttkafka.bridge.pipeline;

import static io.mqttkafka.bridge.testing.KafkaTestConsumer.header;
import static io.mqttkafka.bridge.testing.TestBridges.start;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.kafka.BridgeHeaders;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.MosquittoProcess;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * A partition that keeps refusing writes (here: fewer in-sync replicas than {@code min.insync.replicas},
 * after a broker went away) is a property of the record's destination, not an outage: the producer retries
 * for {@code bridge.kafka.delivery-timeout}, then the bridge confirms with the cluster and the mapping's
 * failure strategy takes the message (dead-letter, payload kept). Messages for healthy topics are held up
 * by no more than that timeout. Needs two brokers, so it runs its own cluster.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UnwritablePartitionTest {

    private static final Duration DELIVERY_TIMEOUT = Duration.ofSeconds(6);
    private static final int HEALTHY_MESSAGES = 60;
    private static final int REFUSED_MESSAGES = 3;
    /**
     * The longest the refused messages may hold the others back: acks leave in arrival order, and HiveMQ hands
     * over only part of a burst while acks are outstanding, so in the worst case each refused message arrives
     * only after the previous one was given up on and adds its own delivery timeout. Plus slack for a busy CI.
     */
    private static final Duration WORST_CASE_DELAY = DELIVERY_TIMEOUT.multipliedBy(REFUSED_MESSAGES).plusSeconds(15);
    /** Broker 0 also runs the controller; broker 1 is the one that goes away. */
    private static final int SURVIVOR = 0;
    private static final int LEAVER = 1;

    private static KafkaClusterTestKit cluster;
    private static boolean leaverStopped;

    @BeforeAll
    static void startTwoBrokers() throws Exception {
        KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
                .setCombined(true)
                .setNumBrokerNodes(2)
                .setNumControllerNodes(1)
                .build());
        builder.setConfigProp("offsets.topic.replication.factor", "1");
        builder.setConfigProp("transaction.state.log.replication.factor", "1");
        builder.setConfigProp("transaction.state.log.min.isr", "1");
        builder.setConfigProp("auto.create.topics.enable", "false");
        cluster = builder.build();
        cluster.format();
        cluster.startup();
        cluster.waitForReadyBrokers();
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** First: it needs both brokers up when it creates its topic, and its warm-up message to be written. */
    @Test
    @Order(1)
    void refusedRecordsGoToTheFailureStrategyAfterTheDeliveryTimeout() throws Exception {
        String root = SharedBrokers.unique("refusing");
        String fragile = SharedBrokers.unique("fragile");
        String healthy = SharedBrokers.unique("healthy");
        String deadLetters = SharedBrokers.unique("refusing-dlq");
        createTopics(fragile, healthy, deadLetters);
        TestConfigs configs = configs(DELIVERY_TIMEOUT, deadLetters)
                .mapping("fragile", root + "/fragile/+", 1, fragile, null)
                .mapping("healthy", root + "/healthy/+", 1, healthy, null);

        try (BridgeRuntime bridge = start(configs.build());
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5)) {
            publisher.publish(root + "/fragile/warm-up", bytes("while both brokers run"), 1).get(30, TimeUnit.SECONDS);
            assertThat(KafkaTestConsumer.readAtLeast(cluster.bootstrapServers(), fragile, 1, Duration.ofSeconds(60)))
                    .as("the fragile topic takes writes while both brokers run").hasSize(1);

            stopLeaver();
            awaitInSyncReplicas(fragile, 1);

            List<String> refused = new ArrayList<>();
            List<String> delivered = new ArrayList<>();
            for (int i = 0; i < HEALTHY_MESSAGES; i++) {
                if (i % (HEALTHY_MESSAGES / REFUSED_MESSAGES) == 0) {
                    String payload = "refused-" + i;
                    refused.add(payload);
                    publisher.publish(root + "/fragile/dev-" + i, bytes(payload), 1);
                }
                String payload = "delivered-" + i;
                delivered.add(payload);
                publisher.publish(root + "/healthy/dev-" + i, bytes(payload), 1);
            }

            // Acknowledgements leave in arrival order, so a refused message holds back the acks of the messages
            // behind it, and a broker that bounds unacknowledged messages then holds back their delivery: by up to
            // the delivery timeout per refused message, never longer.
            List<ConsumerRecord<byte[], byte[]>> deadLettered = KafkaTestConsumer.readAtLeast(
                    cluster.bootstrapServers(), deadLetters, refused.size(), WORST_CASE_DELAY);
            Awaitility.await("healthy messages written, delayed by at most the refused messages' delivery timeouts")
                    .atMost(WORST_CASE_DELAY)
                    .until(() -> bridge.metrics().writtenCount("healthy") == HEALTHY_MESSAGES);
            assertThat(deadLettered).extracting(record -> text(record.value())).containsExactlyInAnyOrderElementsOf(refused);
            assertThat(deadLettered).allSatisfy(record -> {
                assertThat(header(record, BridgeHeaders.DLQ_MAPPING)).isEqualTo("fragile");
                assertThat(header(record, BridgeHeaders.DLQ_TARGET_TOPIC)).isEqualTo(fragile);
                assertThat(header(record, BridgeHeaders.DLQ_REASON))
                        .contains("partition 0 of topic '" + fragile + "'")
                        .contains("fewer than min.insync.replicas=2");
                long retriedForMillis = Instant.parse(header(record, BridgeHeaders.DLQ_TIME)).toEpochMilli()
                        - record.timestamp();
                assertThat(retriedForMillis).as("retried for the delivery timeout before giving up")
                        .isGreaterThanOrEqualTo(DELIVERY_TIMEOUT.toMillis() - 100);
            });
            List<ConsumerRecord<byte[], byte[]>> written = KafkaTestConsumer.readAtLeast(cluster.bootstrapServers(),
                    healthy, delivered.size(), Duration.ofSeconds(60));
            assertThat(written).extracting(record -> text(record.value())).containsExactlyInAnyOrderElementsOf(delivered);
            Awaitility.await("dead-lettered messages acknowledged, counted").atMost(Duration.ofSeconds(30))
                    .until(() -> bridge.mqttToKafkaInFlight() == 0
                            && bridge.metrics().deadLetteredCount("partition-unwritable") == REFUSED_MESSAGES);
            assertThat(KafkaTestConsumer.readAvailable(cluster.bootstrapServers(), fragile, Duration.ofMillis(500)))
                    .as("only the warm-up message reached the refusing topic").hasSize(1);
        }
    }

    /**
     * A full producer buffer is back-pressure, not the partition refusing writes. Here a partition refuses writes for
     * much less than the delivery timeout while messages keep coming, so the producer's (tiny) buffer fills with its
     * retried batches and the next sends wait {@code max.block.ms} and fail with BufferExhaustedException. Those are
     * retried: none reaches the failure strategy, and all arrive once the partition takes writes again. Behind
     * Mosquitto, which keeps sending while acknowledgements are outstanding: HiveMQ CE sends the next message only
     * once the one in flight is acknowledged (how many it sends then depends on its queue's timing), so the buffer
     * filled only sometimes (a clean-clone CI run saw no retry in 60 s).
     */
    @Test
    @Order(2)
    void aFullProducerBufferIsRetriedNotTakenAsARefusingPartition() throws Exception {
        String root = SharedBrokers.unique("back-pressure");
        String briefly = SharedBrokers.unique("briefly-refusing");
        String deadLetters = SharedBrokers.unique("back-pressure-dlq");
        createTopics(briefly, deadLetters);
        stopLeaver();
        awaitInSyncReplicas(briefly, 1);
        TestConfigs configs = configs(Duration.ofSeconds(120), deadLetters)
                // Room for three 4 KB records: the fourth waits for buffer space, and gives up after 300 ms.
                .set("bridge.kafka.properties.buffer.memory", "16384")
                .set("bridge.kafka.properties.batch.size", "4096")
                .set("bridge.kafka.properties.max.block.ms", "300")
                .mapping("briefly", root + "/+", 1, briefly, null);
        String filler = "x".repeat(4000);
        int messages = 20;
        MosquittoProcess.assumeInstalledUnlessCi(
                "this test needs a broker that keeps sending while acknowledgements are outstanding.");

        try (MosquittoProcess mosquitto = MosquittoProcess.start();
                BridgeRuntime bridge = start(configs.set("bridge.mqtt.port", Integer.toString(mosquitto.port())).build());
                MqttTestClient publisher = MqttTestClient.connect(mosquitto.port(), 5)) {
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < messages; i++) {
                String payload = "message-" + i + "-" + filler;
                sent.add(payload);
                publisher.publish(root + "/dev-" + i, bytes(payload), 1);
            }
            Awaitility.await("sends that met the full buffer retried").atMost(Duration.ofSeconds(60))
                    .until(() -> bridge.metrics().retriedCount() > 0);

            try (Admin admin = admin()) {
                admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, briefly), List.of(
                        new AlterConfigOp(new ConfigEntry(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, "1"),
                                AlterConfigOp.OpType.SET)))).all().get(30, TimeUnit.SECONDS);
            }

            List<ConsumerRecord<byte[], byte[]>> written = KafkaTestConsumer.readAtLeast(cluster.bootstrapServers(),
                    briefly, messages, Duration.ofSeconds(90));
            assertThat(written).extracting(record -> text(record.value())).containsExactlyInAnyOrderElementsOf(sent);
            Awaitility.await("every message acknowledged").atMost(Duration.ofSeconds(30))
                    .until(() -> bridge.mqttToKafkaInFlight() == 0);
            assertThat(bridge.metrics().deadLetteredCount("partition-unwritable")).isZero();
            assertThat(KafkaTestConsumer.readAvailable(cluster.bootstrapServers(), deadLetters, Duration.ofMillis(500)))
                    .as("nothing dead-lettered").isEmpty();
        }
    }

    /** A bridge on this cluster; a short request timeout lets the producer retry several times within a test. */
    private static TestConfigs configs(Duration deliveryTimeout, String deadLetters) {
        return TestConfigs.forSharedBrokers()
                .set("bridge.kafka.bootstrap-servers", cluster.bootstrapServers())
                .set("bridge.kafka.delivery-timeout", deliveryTimeout.toSeconds() + "s")
                .set("bridge.kafka.properties.request.timeout.ms", "3000")
                .set("bridge.dead-letter-topic", deadLetters);
    }

    /**
     * Creates {@code fragile} with two replicas and min.insync.replicas=2, so that acks=all writes need both brokers,
     * and the {@code others} on the surviving broker only.
     */
    private static void createTopics(String fragile, String... others) throws Exception {
        List<NewTopic> topics = new ArrayList<>();
        topics.add(new NewTopic(fragile, Map.of(0, List.of(LEAVER, SURVIVOR)))
                .configs(Map.of(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, "2")));
        for (String other : others) {
            topics.add(new NewTopic(other, Map.of(0, List.of(SURVIVOR))));
        }
        try (Admin admin = admin()) {
            admin.createTopics(topics).all().get(30, TimeUnit.SECONDS);
        }
    }

    /** Once per cluster: the tests share it, and a stopped broker is not started again. */
    private static void stopLeaver() {
        if (!leaverStopped) {
            cluster.brokers().get(LEAVER).shutdown();
            leaverStopped = true;
        }
    }

    private static void awaitInSyncReplicas(String topic, int expected) {
        Awaitility.await("ISR of " + topic + " shrunk to " + expected).atMost(Duration.ofSeconds(60)).until(() -> {
            try (Admin admin = admin()) {
                return admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic)
                        .partitions().get(0).isr().size() == expected;
            }
        });
    }

    private static Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers()));
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
