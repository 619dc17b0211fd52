package io.mqttkafka.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.mqttkafka.bridge.testing.BridgeProcess;
import io.mqttkafka.bridge.testing.KafkaGroups;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.MosquittoProcess;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.MqttTestSubscriber;
import io.mqttkafka.bridge.testing.PacedLoad;
import io.mqttkafka.bridge.testing.SharedBrokers;

/**
 * Scale-out across replicas, proven with the packaged bridge as two processes (issue 20, section 5). MQTT → Kafka
 * through a shared subscription ({@code $share/<group>/...}) at QoS 1 and 2, against Mosquitto and HiveMQ CE: both
 * replicas take a share, one is killed (SIGKILL) mid-stream and restarted with its client id, and every message is in
 * Kafka. Kafka → MQTT through one consumer group: the same kill and restart under load, every record on MQTT. The
 * replicas share {@code bridge.id} (as the replicas of one deployment do) and differ in their MQTT client id.
 */
class ScaleOutIT {

    /**
     * Bound on each wait. A wait covers a process start (up to 90 s in BridgeProcess on a loaded machine) and, for
     * Kafka → MQTT, a rebalance held for revoke-timeout (10 s by default); 180 s covers both with room to spare.
     */
    private static final Duration TIMEOUT = Duration.ofSeconds(180);
    /** Labels per QoS: 10,000 at QoS 1 and 10,000 at QoS 2, 20,000 messages in the stream. */
    private static final int LABELS = 10_000;
    private static final String WRITTEN = "bridge_kafka_records_written_total";
    private static final String PUBLISHED = "bridge_mqtt_messages_published_total";

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mosquitto", "hivemq"})
    void mqttToKafkaSharesTheStreamAcrossReplicasAndLosesNothingWhenOneIsKilled(String brokerName) throws Exception {
        MosquittoProcess mosquitto = null;
        if (brokerName.equals("mosquitto")) {
            MosquittoProcess.assumeInstalledUnlessCi("the scale-out test runs the replicas against Mosquitto as well.");
            mosquitto = MosquittoProcess.start();
        }
        int port = mosquitto != null ? mosquitto.port() : SharedBrokers.mqtt().port();
        String root = SharedBrokers.unique("scale");
        String group = SharedBrokers.unique("replicas");
        String qos1Topic = SharedBrokers.unique("scale-q1");
        String qos2Topic = SharedBrokers.unique("scale-q2");
        String bridgeId = SharedBrokers.unique("scale-bridge");
        String mappings = """
                  mqtt-to-kafka:
                    - name: at-least-once
                      filter: $share/%1$s/%2$s/q1/+
                      qos: 1
                      kafka-topic: %3$s
                    - name: exactly-once-in-session
                      filter: $share/%1$s/%2$s/q2/+
                      qos: 2
                      kafka-topic: %4$s
                """.formatted(group, root, qos1Topic, qos2Topic);
        String bootstrap = SharedBrokers.kafka().bootstrapServers();
        List<String> expected = new ArrayList<>();
        try (MosquittoProcess ownBroker = mosquitto;
                BridgeProcess first = BridgeProcess.prepare(BridgeProcess.connectionYaml(bridgeId,
                        SharedBrokers.unique("replica-0"), bootstrap, port) + mappings, Map.of()).start();
                BridgeProcess second = BridgeProcess.prepare(BridgeProcess.connectionYaml(bridgeId,
                        SharedBrokers.unique("replica-1"), bootstrap, port) + mappings, Map.of()).start();
                MqttTestClient publisher = MqttTestClient.connect(port, 5)) {
            first.awaitSubscribed(2);
            second.awaitSubscribed(2);

            // A paced stream (20 labels, so 40 messages, every 20 ms: about 10 s) still flowing at the kill.
            List<String> stream = labels("stream", LABELS);
            expected.addAll(stream);
            List<CompletableFuture<?>> publishAcks = new CopyOnWriteArrayList<>();
            PacedLoad streaming = PacedLoad.start(LABELS / 20, Duration.ofMillis(20),
                    b -> publishAcks.addAll(publish(publisher, root, stream.subList(b * 20, (b + 1) * 20))));
            Awaitility.await("both replicas took a share, at QoS 1 and 2").atMost(TIMEOUT).until(() ->
                    first.metric(WRITTEN, "at-least-once") > 0 && first.metric(WRITTEN, "exactly-once-in-session") > 0
                            && second.metric(WRITTEN, "at-least-once") > 0
                            && second.metric(WRITTEN, "exactly-once-in-session") > 0);
            double firstShare = first.metric(WRITTEN, "");
            double secondShare = second.metric(WRITTEN, "");
            first.kill();
            assertThat(streaming.remainingBatches()).as("the replica was killed mid-stream").isPositive();
            assertThat(streaming.await(Duration.ofSeconds(120))).as("the whole stream published").isTrue();
            streaming.close();
            CompletableFuture.allOf(publishAcks.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);

            // What the broker does with the killed member's share while it is away (MQTT 5 § 4.8.2 leaves it open):
            int bridgedWhileAway = quiescentCount(qos1Topic, qos2Topic);
            if (mosquitto != null) {
                // Mosquitto keeps sending the absent member its share, into its session, until it comes back.
                assertThat(bridgedWhileAway).as("Mosquitto holds the absent member's share").isLessThan(2 * LABELS);
            } else {
                // HiveMQ CE gives the survivor everything, including what the killed member had not acknowledged.
                assertThat(bridgedWhileAway).as("HiveMQ CE hands the absent member's share on").isGreaterThanOrEqualTo(
                        2 * LABELS);
            }

            first.start().awaitSubscribed(2);
            List<String> after = labels("after", 200);
            expected.addAll(after);
            CompletableFuture.allOf(publish(publisher, root, after).toArray(CompletableFuture[]::new))
                    .get(120, TimeUnit.SECONDS);

            for (String topic : List.of(qos1Topic, qos2Topic)) {
                List<ConsumerRecord<byte[], byte[]>> records = KafkaTestConsumer.readUntil(bootstrap, topic,
                        read -> payloads(read).containsAll(expected), TIMEOUT);
                Map<String, Long> copies = payloads(records).stream()
                        .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
                assertThat(copies.keySet()).as("nothing lost in %s", topic).containsAll(expected);
                long duplicates = copies.values().stream().mapToLong(c -> c - 1).sum();
                System.out.printf("Scale-out MQTT → Kafka on %s, %s: %d messages, %d duplicates (records written "
                        + "before the kill: %.0f and %.0f; of the stream's %d messages, %d in Kafka before the restart)%n",
                        brokerName, topic, expected.size(), duplicates, firstShare, secondShare, 2 * LABELS,
                        bridgedWhileAway);
            }
        }
    }

    @Test
    void kafkaToMqttLosesNothingWhenOneOfTwoReplicasIsKilledUnderLoad() throws Exception {
        int records = 10_000;
        int batch = 50;
        String root = SharedBrokers.unique("scale-k2m");
        String topic = SharedBrokers.unique("scale-k2m-commands");
        String bootstrap = SharedBrokers.kafka().bootstrapServers();
        KafkaTestProducer.createTopic(bootstrap, topic, 6);
        String bridgeId = SharedBrokers.unique("scale-k2m-bridge");
        String mapping = """
                  kafka-to-mqtt:
                    - name: commands
                      kafka-topic: %s
                      mqtt-topic: %s/{key}
                      qos: 1
                """.formatted(topic, root);

        try (MqttTestSubscriber subscriber = MqttTestSubscriber.subscribe(SharedBrokers.mqtt().port(), 5, 1, root + "/#");
                BridgeProcess first = BridgeProcess.prepare(BridgeProcess.connectionYaml(bridgeId,
                        SharedBrokers.unique("k2m-replica-0"), bootstrap) + mapping, Map.of()).start();
                BridgeProcess second = BridgeProcess.prepare(BridgeProcess.connectionYaml(bridgeId,
                        SharedBrokers.unique("k2m-replica-1"), bootstrap) + mapping, Map.of()).start();
                KafkaTestProducer producer = new KafkaTestProducer(bootstrap)) {
            first.awaitLog("assigned");
            second.awaitLog("assigned");
            Awaitility.await("the group split the partitions between both replicas").atMost(TIMEOUT).until(() ->
                    KafkaGroups.describe(bootstrap, bridgeId).members().stream()
                            .filter(member -> !member.assignment().topicPartitions().isEmpty()).count() == 2);

            List<Future<RecordMetadata>> acks = new CopyOnWriteArrayList<>();
            PacedLoad produced = PacedLoad.start(records / batch, Duration.ofMillis(25), b -> {
                for (int i = b * batch; i < (b + 1) * batch; i++) {
                    acks.add(producer.send(topic, "device-" + (i % 60), ("r-" + i).getBytes(StandardCharsets.UTF_8)));
                }
            });
            Awaitility.await("both replicas publishing").atMost(TIMEOUT).until(() ->
                    first.metric(PUBLISHED, "") > 0 && second.metric(PUBLISHED, "") > 0
                            && KafkaGroups.committedTotal(bootstrap, bridgeId, topic) >= 1_000);
            first.kill();
            assertThat(produced.remainingBatches()).as("killed while records were still being produced").isPositive();
            assertThat(produced.await(Duration.ofSeconds(120))).as("all records produced").isTrue();
            produced.close();
            KafkaTestProducer.flushAndWait(acks);

            first.start();
            Awaitility.await("every record on MQTT after the restart").atMost(TIMEOUT)
                    .until(() -> copies(subscriber).size() == records);
            long duplicates = copies(subscriber).values().stream().mapToLong(c -> c - 1).sum();
            System.out.printf("Scale-out Kafka → MQTT: %d records through two replicas, one killed and restarted, all "
                    + "delivered, %d duplicates%n", records, duplicates);
        }
    }

    private static List<String> labels(String label, int count) {
        return IntStream.range(0, count).mapToObj(i -> label + "-" + i).toList();
    }

    /** Records in {@code topic} now (duplicates included). */
    private static int bridged(String topic) {
        return KafkaTestConsumer.readAvailable(SharedBrokers.kafka().bootstrapServers(), topic, Duration.ofMillis(200))
                .size();
    }

    /** Publishes each label at QoS 1, then at QoS 2, spread over 8 topics; returns the broker's acknowledgements. */
    private static List<CompletableFuture<?>> publish(MqttTestClient publisher, String root, List<String> labels) {
        List<CompletableFuture<?>> acks = new ArrayList<>();
        for (String label : labels) {
            byte[] payload = label.getBytes(StandardCharsets.UTF_8);
            int device = label.hashCode() & 7;
            acks.add(publisher.publish(root + "/q1/d" + device, payload, 1));
            acks.add(publisher.publish(root + "/q2/d" + device, payload, 2));
        }
        return acks;
    }

    /** Records in {@code topics} once two reads a second apart agree: what arrives without a restart. */
    private static int quiescentCount(String... topics) {
        java.util.concurrent.atomic.AtomicInteger last = new java.util.concurrent.atomic.AtomicInteger(-1);
        Awaitility.await("no more records arriving").pollDelay(Duration.ofSeconds(1)).pollInterval(Duration.ofSeconds(1))
                .atMost(TIMEOUT).until(() -> {
                    int now = List.of(topics).stream().mapToInt(ScaleOutIT::bridged).sum();
                    return now == last.getAndSet(now);
                });
        return last.get();
    }

    private static List<String> payloads(List<ConsumerRecord<byte[], byte[]>> records) {
        return records.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
    }

    private static Map<String, Long> copies(MqttTestSubscriber subscriber) {
        return subscriber.received().stream().map(MqttTestSubscriber.Received::text)
                .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
    }
}
