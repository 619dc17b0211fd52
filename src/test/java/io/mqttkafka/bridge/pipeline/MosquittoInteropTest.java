package io.mqttkafka.bridge.pipeline;

import static io.mqttkafka.bridge.testing.TestBridges.start;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.testing.KafkaGroups;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.MosquittoProcess;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.MqttTestSubscriber;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * The bridge against the installed Mosquitto 2.0 (the broker most deployments run) with its default window (1000;
 * Debian 12's 2.0.11, which overruns it, is {@code LegacyMosquittoFlowControlIT}'s). A burst of 4 KiB QoS 1 and
 * QoS 2 messages, far more than the window, must arrive in Kafka exactly once with no reconnect, and Kafka records
 * must reach a Mosquitto subscriber. Needs the {@code mosquitto} executable:
 * skipped, saying so, when it is absent outside CI; CI installs it ({@code .ci/run}) and fails the test if it is
 * still missing.
 */
class MosquittoInteropTest {

    private static final int MESSAGES_PER_QOS = 4000;
    private static final int PAYLOAD_BYTES = 4096;
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static MosquittoProcess mosquitto;

    @BeforeAll
    static void startMosquitto() {
        MosquittoProcess.assumeInstalledUnlessCi("this interop test runs the bridge against a real Mosquitto.");
        mosquitto = MosquittoProcess.start();
    }

    @AfterAll
    static void stopMosquitto() {
        if (mosquitto != null) {
            mosquitto.close();
        }
    }

    @Test
    void burstsArriveExactlyOnceInBothDirections() throws Exception {
        String root = SharedBrokers.unique("mosquitto");
        String q1Topic = SharedBrokers.unique("mosquitto-q1");
        String q2Topic = SharedBrokers.unique("mosquitto-q2");
        String commands = SharedBrokers.unique("mosquitto-commands");
        KafkaTestProducer.createTopic(bootstrap(), q1Topic, 3);
        KafkaTestProducer.createTopic(bootstrap(), q2Topic, 3);
        KafkaTestProducer.createTopic(bootstrap(), commands, 3);
        TestConfigs configs = TestConfigs.forSharedBrokers()
                .set("bridge.mqtt.port", Integer.toString(mosquitto.port()))
                .mapping("q1", root + "/q1/+", 1, q1Topic, null)
                .mapping("q2", root + "/q2/+", 2, q2Topic, null)
                .reverseMapping("commands", commands, root + "/commands/{key}", 1, false, null);

        try (BridgeRuntime bridge = start(configs.build());
                MqttTestSubscriber subscriber = MqttTestSubscriber.subscribe(mosquitto.port(), 5, 1, root + "/commands/#");
                MqttTestClient publisher = MqttTestClient.connect(mosquitto.port(), 5);
                KafkaTestProducer producer = new KafkaTestProducer(bootstrap())) {
            Awaitility.await("bridge subscribed at Mosquitto").atMost(TIMEOUT).until(bridge::isReady);
            List<CompletableFuture<?>> acks = new ArrayList<>();
            for (int i = 0; i < MESSAGES_PER_QOS; i++) {
                acks.add(publisher.publish(root + "/q1/dev-" + (i % 10), payload(i), 1));
                acks.add(publisher.publish(root + "/q2/dev-" + (i % 10), payload(i), 2));
            }
            CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                records.add(new ProducerRecord<>(commands, ("valve-" + (i % 10)).getBytes(), payload(i)));
            }
            producer.sendAll(records);

            assertExactlyOnce(KafkaTestConsumer.readAtLeast(bootstrap(), q1Topic, MESSAGES_PER_QOS, TIMEOUT));
            assertExactlyOnce(KafkaTestConsumer.readAtLeast(bootstrap(), q2Topic, MESSAGES_PER_QOS, TIMEOUT));
            String groupId = configs.build().id();
            // Once every offset is committed the bridge publishes nothing more: what the subscriber has then is all.
            Awaitility.await("Kafka records published to the Mosquitto subscriber and committed").atMost(TIMEOUT)
                    .until(() -> subscriber.count() >= 1000 && KafkaGroups.committedTotal(bootstrap(), groupId, commands) == 1000);
            assertPublishedExactlyOnceInOrderPerTopic(subscriber.received(), 1000);
            Awaitility.await("everything acknowledged").atMost(TIMEOUT).until(() -> bridge.mqttToKafkaInFlight() == 0);
            assertThat(bridge.metrics().receivedCount(1)).as("no redelivery: the connection never dropped")
                    .isEqualTo(MESSAGES_PER_QOS);
            assertThat(bridge.metrics().receivedCount(2)).isEqualTo(MESSAGES_PER_QOS);
        }
    }

    private static void assertExactlyOnce(List<ConsumerRecord<byte[], byte[]>> records) {
        BitSet seen = new BitSet(MESSAGES_PER_QOS);
        int duplicates = 0;
        for (ConsumerRecord<byte[], byte[]> record : records) {
            int id = ByteBuffer.wrap(record.value()).getInt();
            if (seen.get(id)) {
                duplicates++;
            }
            seen.set(id);
        }
        assertThat(seen.cardinality()).as("distinct messages").isEqualTo(MESSAGES_PER_QOS);
        assertThat(duplicates).as("duplicates").isZero();
    }

    /** Every id once, and per MQTT topic (one key, so one partition) in offset order, which is publish order. */
    private static void assertPublishedExactlyOnceInOrderPerTopic(List<MqttTestSubscriber.Received> received, int count) {
        List<Integer> ids = received.stream().map(r -> ByteBuffer.wrap(r.payload()).getInt()).toList();
        assertThat(ids).as("ids received").hasSize(count).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(java.util.stream.IntStream.range(0, count).boxed().toList());
        java.util.Map<String, List<Integer>> byTopic = new java.util.HashMap<>();
        for (MqttTestSubscriber.Received message : received) {
            byTopic.computeIfAbsent(message.topic(), t -> new ArrayList<>()).add(ByteBuffer.wrap(message.payload()).getInt());
        }
        byTopic.forEach((topic, topicIds) -> assertThat(topicIds).as("order on %s", topic).isSorted());
    }

    private static byte[] payload(int id) {
        return ByteBuffer.allocate(PAYLOAD_BYTES).putInt(id).array();
    }

    private static String bootstrap() {
        return SharedBrokers.kafka().bootstrapServers();
    }
}
