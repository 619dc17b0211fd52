package io.mqttkafka.bridge.pipeline;

import static io.mqttkafka.bridge.testing.TestBridges.start;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.dev.EmbeddedMqttBroker;
import io.mqttkafka.bridge.testing.FreePorts;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.MqttCrashProxy;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * Exactly-once QoS 2, MQTT → Kafka, end to end against the embedded HiveMQ broker (MQTT 5) and the in-process Kafka
 * cluster: a {@code read_committed} consumer sees every QoS 2 message of an exactly-once mapping once, also when the
 * bridge dies at the moment plain QoS 2 writes a message twice (its records committed, its PUBREC never reaching the
 * broker) and when it dies with the broker's PUBRELs answered but the PUBCOMPs lost.
 *
 * <p>The crash is made exact by {@link MqttCrashProxy}: it swallows the bridge's PUBRECs (or PUBCOMPs) and then resets
 * the connection, with no DISCONNECT, as a killed process leaves it. The restarted bridge has the same client id and
 * transactional id, and the broker resumes the session.
 */
class ExactlyOnceTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Test
    void aReadCommittedConsumerSeesEveryQos2MessageOnceAndPlainMappingsKeepTheirPath() {
        String root = SharedBrokers.unique("eos");
        String exactTopic = SharedBrokers.unique("eos-out");
        String plainTopic = SharedBrokers.unique("eos-plain");
        TestConfigs config = exactlyOnce(root + "/exact/+", exactTopic, SharedBrokers.unique("eos-client"))
                .mapping("plain", root + "/plain/+", 2, plainTopic, null);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5);
                BridgeRuntime bridge = start(config.build(), registry)) {
            List<String> exact = publish(publisher, root + "/exact", "e", 0, 300);
            List<String> plain = publish(publisher, root + "/plain", "p", 0, 100);

            assertOnceEach(readCommitted(exactTopic, exact), exact);
            assertOnceEach(readCommitted(plainTopic, plain), plain);
            assertThat(bridge.metrics().writtenCount("exact")).isEqualTo(300);
            assertThat(bridge.metrics().transactionCount("committed")).isPositive();
            assertThat(bridge.metrics().transactionCount("aborted")).isZero();
            assertThat(bridge.metrics().redeliveriesRecognisedCount()).isZero();
            Awaitility.await("every message acknowledged").atMost(TIMEOUT).until(() -> bridge.mqttToKafkaInFlight() == 0);
        }
    }

    /**
     * @param swallowed {@link MqttCrashProxy#PUBREC}: the crash comes after the transaction committed and before the
     *        broker got the PUBREC, so the broker redelivers every message the crashed bridge wrote;
     *        {@link MqttCrashProxy#PUBCOMP}: after the PUBRELs, so the broker sends them again to a process that
     *        never saw those messages
     */
    @ParameterizedTest(name = "crash with the bridge''s packets of type {0} lost")
    @ValueSource(ints = {MqttCrashProxy.PUBREC, MqttCrashProxy.PUBCOMP})
    void aCrashAfterTheCommitWritesNothingTwiceAndLosesNothing(int swallowed) {
        String root = SharedBrokers.unique("eos-crash");
        String kafkaTopic = SharedBrokers.unique("eos-crash-out");
        String clientId = SharedBrokers.unique("eos-crash-client");
        KafkaTestProducer.createTopic(SharedBrokers.kafka().bootstrapServers(), kafkaTopic, 1);
        List<String> expected = new ArrayList<>();
        int acknowledgedBeforeCrash;
        try (MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5);
                MqttCrashProxy proxy = MqttCrashProxy.start(SharedBrokers.mqtt().port(), Set.of(swallowed))) {
            try (BridgeRuntime crashing = start(exactlyOnce(root + "/+", kafkaTopic, clientId)
                    .set("bridge.mqtt.port", Integer.toString(proxy.port()))
                    .set("bridge.shutdown-timeout", "1s")
                    .build())) {
                expected.addAll(publish(publisher, root, "before", 0, 100));
                // Every PUBLISH the broker sent is answered; with PUBRECs swallowed, each answer left only after the
                // transaction holding the message committed, and the broker never got it.
                Awaitility.await("the bridge answered every PUBLISH and the answers were lost").atMost(TIMEOUT)
                        .during(Duration.ofMillis(500))
                        .until(() -> proxy.fromBroker(MqttCrashProxy.PUBLISH) > 0
                                && proxy.fromClient(swallowed) == proxy.fromBroker(MqttCrashProxy.PUBLISH));
                acknowledgedBeforeCrash = proxy.fromClient(MqttCrashProxy.PUBREC);
                List<String> committed = payloads(KafkaTestConsumer.readUntil(readCommitted(), kafkaTopic,
                        read -> read.size() >= acknowledgedBeforeCrash, TIMEOUT));
                assertThat(committed).as("the records of every message answered are committed before the crash")
                        .hasSize(acknowledgedBeforeCrash).doesNotHaveDuplicates();
                proxy.crash();
            }
            if (swallowed == MqttCrashProxy.PUBCOMP) {
                assertThat(proxy.fromBroker(MqttCrashProxy.PUBREL)).as("the broker released what it got PUBRECs for")
                        .isPositive();
            }

            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            try (BridgeRuntime restarted = start(exactlyOnce(root + "/+", kafkaTopic, clientId).build(), registry)) {
                expected.addAll(publish(publisher, root, "after", 100, 100));

                assertOnceEach(readCommitted(kafkaTopic, expected), expected);
                double recognised = restarted.metrics().redeliveriesRecognisedCount();
                if (swallowed == MqttCrashProxy.PUBREC) {
                    assertThat(recognised).as("every redelivery of a written message recognised")
                            .isEqualTo(acknowledgedBeforeCrash);
                } else {
                    assertThat(recognised).as("released messages are not redelivered").isZero();
                }
                assertThat(restarted.metrics().stateMismatchCount()).isZero();
                Awaitility.await("every message acknowledged").atMost(TIMEOUT)
                        .until(() -> restarted.mqttToKafkaInFlight() == 0);
            }
        }
    }

    /**
     * The connection drops (reset, no DISCONNECT) three times while messages flow and commits are under way; the bridge
     * reconnects to its session through the same proxy. Within one process the MQTT client answers or merges the
     * broker's resends itself, and what the bridge acknowledged on a lost connection is resent: still once each.
     */
    @Test
    void connectionsLostWithCommitsInFlightWriteNothingTwice() {
        String root = SharedBrokers.unique("eos-drop");
        String kafkaTopic = SharedBrokers.unique("eos-drop-out");
        List<String> expected = new ArrayList<>();
        try (MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5);
                MqttCrashProxy proxy = MqttCrashProxy.start(SharedBrokers.mqtt().port(), Set.of());
                BridgeRuntime bridge = start(exactlyOnce(root + "/+", kafkaTopic, SharedBrokers.unique("eos-drop-client"))
                        .set("bridge.mqtt.port", Integer.toString(proxy.port()))
                        .build())) {
            for (int round = 0; round < 3; round++) {
                int answeredBefore = proxy.fromClient(MqttCrashProxy.PUBREC);
                expected.addAll(publish(publisher, root, "round" + round, 0, 100));
                Awaitility.await("some of round " + round + " answered").atMost(TIMEOUT)
                        .until(() -> proxy.fromClient(MqttCrashProxy.PUBREC) > answeredBefore);
                proxy.dropConnections();
            }
            expected.addAll(publish(publisher, root, "last", 0, 100));

            assertOnceEach(readCommitted(kafkaTopic, expected), expected);
            Awaitility.await("every message acknowledged").atMost(TIMEOUT).until(() -> bridge.mqttToKafkaInFlight() == 0);
        }
    }

    /**
     * The MQTT broker (HiveMQ CE, which keeps sessions and queued messages across a stop and start) restarts while the
     * bridge has flows in flight with it: messages written and acknowledged, PUBRELs answered, PUBCOMPs held for a
     * commit. The bridge reconnects to its session: still once each. A broker of the test's own, so that the shared one
     * keeps running for the other tests.
     */
    @Test
    void anMqttBrokerRestartWithItsSessionsWritesNothingTwice() {
        String root = SharedBrokers.unique("eos-mqtt-restart");
        String kafkaTopic = SharedBrokers.unique("eos-mqtt-restart-out");
        List<String> expected = new ArrayList<>();
        try (EmbeddedMqttBroker broker = FreePorts.startOnFreePort(EmbeddedMqttBroker::start);
                BridgeRuntime bridge = start(exactlyOnce(root + "/+", kafkaTopic,
                        SharedBrokers.unique("eos-mqtt-restart-client"))
                        .set("bridge.mqtt.port", Integer.toString(broker.port()))
                        .build())) {
            try (MqttTestClient publisher = MqttTestClient.connect(broker.port(), 5)) {
                expected.addAll(publish(publisher, root, "before", 0, 200));
            }
            Awaitility.await("transactions committed before the restart").atMost(TIMEOUT)
                    .until(() -> bridge.metrics().transactionCount("committed") > 0);
            broker.stop();
            broker.startAgain();
            try (MqttTestClient publisher = MqttTestClient.connect(broker.port(), 5)) {
                expected.addAll(publish(publisher, root, "after", 0, 100));
            }

            assertOnceEach(readCommitted(kafkaTopic, expected), expected);
            Awaitility.await("every message acknowledged").atMost(TIMEOUT).until(() -> bridge.mqttToKafkaInFlight() == 0);
        }
    }

    /**
     * A zombie: the first bridge loses its MQTT connection (the proxy refuses it from then on) but keeps running with a
     * transaction open; its successor with the same client id and transactional id starts, which fences it. The zombie's
     * next commit fails, it stops for good and says why; what it had written is aborted, and the successor writes the
     * broker's redeliveries: each message once.
     */
    @Test
    void aZombieIsFencedByItsSuccessorAndNothingItWroteBecomesVisible() {
        String root = SharedBrokers.unique("eos-zombie");
        String kafkaTopic = SharedBrokers.unique("eos-zombie-out");
        String clientId = SharedBrokers.unique("eos-zombie-client");
        KafkaTestProducer.createTopic(SharedBrokers.kafka().bootstrapServers(), kafkaTopic, 1);
        try (MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5);
                MqttCrashProxy proxy = MqttCrashProxy.start(SharedBrokers.mqtt().port(), Set.of());
                BridgeRuntime zombie = start(exactlyOnce(root + "/+", kafkaTopic, clientId)
                        .set("bridge.mqtt.port", Integer.toString(proxy.port()))
                        // Its transaction stays open until well after the successor started.
                        .set("bridge.kafka.transaction-interval", "15s")
                        .set("bridge.shutdown-timeout", "1s")
                        .build())) {
            List<String> expected = publish(publisher, root, "zombie", 0, 20);
            Awaitility.await("the zombie has messages in its open transaction").atMost(TIMEOUT)
                    .until(() -> zombie.mqttToKafkaInFlight() > 0
                            && zombie.mqttToKafkaInFlight() == proxy.fromBroker(MqttCrashProxy.PUBLISH));
            assertThat(proxy.fromClient(MqttCrashProxy.PUBREC)).as("nothing acknowledged yet").isZero();
            proxy.crash();

            try (BridgeRuntime successor = start(exactlyOnce(root + "/+", kafkaTopic, clientId).build())) {
                Awaitility.await("the zombie fenced at its next commit").atMost(TIMEOUT)
                        .until(() -> !zombie.isAlive());
                assertThat(zombie.stoppedDirections().get("mqtt-to-kafka"))
                        .contains("another process took over the Kafka transactional id");
                assertThat(zombie.metrics().transactionCount("committed")).isZero();

                assertOnceEach(readCommitted(kafkaTopic, expected), expected);
                assertThat(successor.isAlive()).isTrue();
            }
        }
    }

    /** A bridge with one exactly-once mapping, {@code exact}, from {@code filter} to {@code kafkaTopic}. */
    private static TestConfigs exactlyOnce(String filter, String kafkaTopic, String clientId) {
        return TestConfigs.forSharedBrokers()
                .set("bridge.mqtt.client-id", clientId)
                // The proxy counts the packets of every connection through it; the status connection's are not the point.
                .set("bridge.status.topic", "")
                .set("bridge.kafka.transaction-interval", "50ms")
                .set("bridge.kafka.exactly-once-state-topic", clientId + "-state")
                .mapping("exact", filter, 2, kafkaTopic, null)
                .set("bridge.mqtt-to-kafka[0].exactly-once", "true");
    }

    /** Publishes {@code count} QoS 2 messages {@code <label>-<i>} to four topics under {@code root}. */
    private static List<String> publish(MqttTestClient publisher, String root, String label, int from, int count) {
        List<String> payloads = IntStream.range(from, from + count).mapToObj(i -> label + "-" + i).toList();
        publisher.publishAll(payloads.stream().map(p -> root + "/t" + (p.hashCode() & 3)).toList(),
                payloads.stream().map(p -> p.getBytes(StandardCharsets.UTF_8)).toList(), 2);
        return payloads;
    }

    private static Map<String, Object> readCommitted() {
        return Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedBrokers.kafka().bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    }

    /** What a read_committed consumer sees once it saw every expected payload, up to the end of the topic then. */
    private static List<String> readCommitted(String topic, List<String> expected) {
        return payloads(KafkaTestConsumer.readUntil(readCommitted(), topic,
                read -> payloads(read).containsAll(expected), TIMEOUT));
    }

    private static void assertOnceEach(List<String> read, List<String> expected) {
        Map<String, Long> copies = read.stream().collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
        assertThat(copies.keySet()).as("0 lost, nothing unexpected").containsExactlyInAnyOrderElementsOf(expected);
        assertThat(copies.entrySet().stream().filter(copy -> copy.getValue() > 1).map(Map.Entry::getKey).toList())
                .as("0 duplicates").isEmpty();
        assertThat(read).hasSize(expected.size());
    }

    private static List<String> payloads(List<ConsumerRecord<byte[], byte[]>> records) {
        return records.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
    }
}
