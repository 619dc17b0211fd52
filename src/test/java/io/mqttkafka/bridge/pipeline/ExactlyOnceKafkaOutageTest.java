package io.mqttkafka.bridge.pipeline;

import static io.mqttkafka.bridge.testing.TestBridges.start;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.testing.KafkaBrokerProcess;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * Exactly-once QoS 2 across a Kafka broker restart (issue 22): the broker stops with transactions open and messages
 * flowing, the bridge's commits time out and are retried (or its transactions aborted and written again), nothing is
 * acknowledged meanwhile, and once Kafka is back a {@code read_committed} consumer sees every message once. Kafka runs as
 * its own process so that it can really go away and come back.
 */
class ExactlyOnceKafkaOutageTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(120);
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
    void aKafkaRestartWithTransactionsOpenLosesNothingAndWritesNothingTwice() {
        String root = SharedBrokers.unique("eos-outage");
        String kafkaTopic = SharedBrokers.unique("eos-outage-out");
        String clientId = SharedBrokers.unique("eos-outage-client");
        List<String> expected = new ArrayList<>();
        try (BridgeRuntime bridge = start(TestConfigs.forSharedBrokers()
                .set("bridge.kafka.bootstrap-servers", kafka.bootstrapServers())
                .set("bridge.mqtt.client-id", clientId)
                .set("bridge.kafka.properties.request.timeout.ms", "3000")
                .set("bridge.kafka.delivery-timeout", "5s")
                .set("bridge.kafka.exactly-once-state-topic", clientId + "-state")
                .mapping("exact", root + "/+", 2, kafkaTopic, null)
                .set("bridge.mqtt-to-kafka[0].exactly-once", "true")
                .build());
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5)) {
            expected.addAll(publish(publisher, root, "before", 100));
            readCommittedOnce(kafkaTopic, expected);

            expected.addAll(publish(publisher, root, "stopping", 100));
            kafka.stop();
            List<String> during = publish(publisher, root, "during", 100);
            expected.addAll(during);
            // HiveMQ CE sends nothing more while PUBCOMPs are outstanding, and the bridge holds them until the release
            // is committed: with Kafka down, the flow stops at the broker, with PUBCOMPs (and perhaps messages) waiting.
            double committedWhileDown = bridge.metrics().transactionCount("committed");
            Awaitility.await("nothing committed while Kafka is down")
                    .during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
                    .until(() -> bridge.metrics().transactionCount("committed") == committedWhileDown);
            kafka.startAgain();

            expected.addAll(publish(publisher, root, "after", 100));
            readCommittedOnce(kafkaTopic, expected);
            Awaitility.await("everything acknowledged").atMost(TIMEOUT).until(() -> bridge.mqttToKafkaInFlight() == 0);
            assertThat(bridge.isAlive()).as("the writer did not stop").isTrue();
        }
    }

    private static List<String> publish(MqttTestClient publisher, String root, String label, int count) {
        List<String> payloads = IntStream.range(0, count).mapToObj(i -> label + "-" + i).toList();
        publisher.publishAll(payloads.stream().map(p -> root + "/t" + (p.hashCode() & 3)).toList(),
                payloads.stream().map(p -> p.getBytes(StandardCharsets.UTF_8)).toList(), 2);
        return payloads;
    }

    /** Reads with read_committed until every expected payload is there, then asserts each is there exactly once. */
    private static void readCommittedOnce(String topic, List<String> expected) {
        List<String> read = KafkaTestConsumer.readUntil(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), topic,
                records -> payloads(records).containsAll(expected), TIMEOUT).stream()
                .map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
        Map<String, Long> copies = read.stream().collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
        assertThat(copies.keySet()).as("0 lost").containsExactlyInAnyOrderElementsOf(expected);
        assertThat(read).as("0 duplicates").hasSize(expected.size());
    }

    private static List<String> payloads(List<ConsumerRecord<byte[], byte[]>> records) {
        return records.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
    }
}
