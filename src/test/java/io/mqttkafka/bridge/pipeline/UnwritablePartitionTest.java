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
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.kafka.BridgeHeaders;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
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

    @Test
    void refusedRecordsGoToTheFailureStrategyAfterTheDeliveryTimeout() throws Exception {
        String root = SharedBrokers.unique("refusing");
        String fragile = SharedBrokers.unique("fragile");
        String healthy = SharedBrokers.unique("healthy");
        String deadLetters = SharedBrokers.unique("refusing-dlq");
        try (Admin admin = admin()) {
            admin.createTopics(List.of(
                    // Two replicas and min.insync.replicas=2: acks=all writes need both brokers.
                    new NewTopic(fragile, Map.of(0, List.of(LEAVER, SURVIVOR)))
                            .configs(Map.of(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, "2")),
                    new NewTopic(healthy, Map.of(0, List.of(SURVIVOR))),
                    new NewTopic(deadLetters, Map.of(0, List.of(SURVIVOR))))).all().get(30, TimeUnit.SECONDS);
        }
        TestConfigs configs = TestConfigs.forSharedBrokers()
                .set("bridge.kafka.bootstrap-servers", cluster.bootstrapServers())
                .set("bridge.kafka.delivery-timeout", DELIVERY_TIMEOUT.toSeconds() + "s")
                .set("bridge.kafka.properties.request.timeout.ms", "3000")
                .set("bridge.dead-letter-topic", deadLetters)
                .mapping("fragile", root + "/fragile/+", 1, fragile, null)
                .mapping("healthy", root + "/healthy/+", 1, healthy, null);

        try (BridgeRuntime bridge = start(configs.build());
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5)) {
            publisher.publish(root + "/fragile/warm-up", bytes("while both brokers run"), 1).get(30, TimeUnit.SECONDS);
            assertThat(KafkaTestConsumer.readAtLeast(cluster.bootstrapServers(), fragile, 1, Duration.ofSeconds(60)))
                    .as("the fragile topic takes writes while both brokers run").hasSize(1);

            cluster.brokers().get(LEAVER).shutdown();
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
