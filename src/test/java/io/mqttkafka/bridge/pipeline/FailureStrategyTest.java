package io.mqttkafka.bridge.pipeline;

import static io.mqttkafka.bridge.testing.TestBridges.start;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.testing.KafkaGroups;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.MqttTestSubscriber;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * The per-mapping failure strategies for messages that can never be written: {@code ignore} lets them go
 * (acknowledged or committed, counted, nothing dead-lettered) and {@code fail} stops the direction and
 * reports the bridge not alive, acknowledging and committing nothing from the failed message on. The
 * default, {@code dead-letter}, is covered by the dead-letter tests.
 */
class FailureStrategyTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private static String bootstrap() {
        return SharedBrokers.kafka().bootstrapServers();
    }

    @Test
    void ignoreLetsUnwritableMessagesGoInBothDirections() throws Exception {
        String root = SharedBrokers.unique("ignoring");
        String out = SharedBrokers.unique("ignoring-out");
        String in = SharedBrokers.unique("ignoring-in");
        String deadLetters = SharedBrokers.unique("ignoring-dlq");
        KafkaTestProducer.createTopic(bootstrap(), in, 1);
        TestConfigs configs = TestConfigs.forSharedBrokers()
                .set("bridge.dead-letter-topic", deadLetters)
                .mapping("readings", root + "/{kind}/x", 1, out + ".{kind}", "{kind}")
                .set("bridge.mqtt-to-kafka[0].failure-strategy", "ignore")
                .reverseMapping("commands", in, root + "/cmd/{key}", 1, false, null)
                .set("bridge.kafka-to-mqtt[0].failure-strategy", "ignore");
        String groupId = configs.build().id();

        try (MqttTestSubscriber subscriber = MqttTestSubscriber.subscribe(SharedBrokers.mqtt().port(), 5, 1, root + "/cmd/#");
                BridgeRuntime bridge = start(configs.build());
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5);
                KafkaTestProducer producer = new KafkaTestProducer(bootstrap())) {
            publisher.publish(root + "/bad kind/x", bytes("illegal Kafka topic"), 1).get(30, TimeUnit.SECONDS);
            publisher.publish(root + "/good/x", bytes("fine"), 1).get(30, TimeUnit.SECONDS);
            producer.send(in, (byte[]) null, bytes("no key")).get(30, TimeUnit.SECONDS);
            producer.send(in, "valve-1", bytes("open")).get(30, TimeUnit.SECONDS);

            assertThat(KafkaTestConsumer.readAtLeast(bootstrap(), out + ".good", 1, TIMEOUT)).singleElement()
                    .satisfies(record -> assertThat(new String(record.value(), StandardCharsets.UTF_8)).isEqualTo("fine"));
            Awaitility.await("neighbour published").atMost(TIMEOUT).until(() -> subscriber.count() == 1);
            Awaitility.await("both unwritable messages let go, counted").atMost(TIMEOUT).until(() ->
                    bridge.metrics().ignoredCount("invalid-topic") == 1
                            && bridge.metrics().ignoredCount("invalid-mqtt-topic") == 1);
            Awaitility.await("ignored MQTT message acknowledged, ignored record committed").atMost(TIMEOUT).until(() ->
                    bridge.mqttToKafkaInFlight() == 0 && KafkaGroups.committedTotal(bootstrap(), groupId, in) == 2);
            assertThat(KafkaTestConsumer.readAvailable(bootstrap(), deadLetters, Duration.ofMillis(500)))
                    .as("nothing dead-lettered").isEmpty();
            assertThat(bridge.isAlive()).isTrue();
        }
    }

    @Test
    void failStopsTheDirectionAndReportsTheBridgeNotAlive() throws Exception {
        String root = SharedBrokers.unique("failing");
        String in = SharedBrokers.unique("failing-in");
        KafkaTestProducer.createTopic(bootstrap(), in, 1);
        TestConfigs configs = TestConfigs.forSharedBrokers()
                .reverseMapping("commands", in, root + "/cmd/{key}", 1, false, null)
                .set("bridge.kafka-to-mqtt[0].failure-strategy", "fail");
        String groupId = configs.build().id();

        try (MqttTestSubscriber subscriber = MqttTestSubscriber.subscribe(SharedBrokers.mqtt().port(), 5, 1, root + "/cmd/#");
                BridgeRuntime bridge = start(configs.build());
                KafkaTestProducer producer = new KafkaTestProducer(bootstrap())) {
            producer.send(in, "valve-1", bytes("open")).get(30, TimeUnit.SECONDS);
            Awaitility.await("record before the poison published and committed").atMost(TIMEOUT).until(() ->
                    subscriber.count() == 1 && KafkaGroups.committedTotal(bootstrap(), groupId, in) == 1);
            assertThat(bridge.isAlive()).isTrue();

            producer.send(in, (byte[]) null, bytes("no key")).get(30, TimeUnit.SECONDS);
            producer.send(in, "valve-2", bytes("close")).get(30, TimeUnit.SECONDS);

            Awaitility.await("bridge reports itself not alive").atMost(TIMEOUT).until(() -> !bridge.isAlive());
            Awaitility.await("nothing published or committed from the failed record on").during(Duration.ofSeconds(2))
                    .atMost(Duration.ofSeconds(5)).until(() ->
                            subscriber.count() == 1 && KafkaGroups.committedTotal(bootstrap(), groupId, in) == 1);
            assertThat(subscriber.received()).extracting(MqttTestSubscriber.Received::text).isEqualTo(List.of("open"));
        }
    }

    /**
     * {@code failure-strategy: fail} for MQTT → Kafka: the message that cannot be written and every later one stay
     * unacknowledged with the broker, the direction takes nothing more, and liveness names the mapping.
     */
    @Test
    void failStopsMqttToKafkaLeavingTheMessagesWithTheBroker() throws Exception {
        String root = SharedBrokers.unique("failing-m2k");
        String out = SharedBrokers.unique("failing-m2k-out");
        TestConfigs configs = TestConfigs.forSharedBrokers()
                .mapping("readings", root + "/{kind}/x", 1, out + ".{kind}", "{kind}")
                .set("bridge.mqtt-to-kafka[0].failure-strategy", "fail");

        try (BridgeRuntime bridge = start(configs.build());
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5)) {
            publisher.publish(root + "/good/x", bytes("before"), 1).get(30, TimeUnit.SECONDS);
            assertThat(KafkaTestConsumer.readAtLeast(bootstrap(), out + ".good", 1, TIMEOUT)).hasSize(1);

            publisher.publish(root + "/bad kind/x", bytes("illegal Kafka topic"), 1).get(30, TimeUnit.SECONDS);
            Awaitility.await("bridge reports itself not alive").atMost(TIMEOUT).until(() -> !bridge.isAlive());
            assertThat(bridge.stoppedDirections()).containsOnlyKeys("mqtt-to-kafka");
            assertThat(bridge.stoppedDirections().get("mqtt-to-kafka"))
                    .contains("mapping readings (failure-strategy fail)", "'" + out + ".bad kind'");
            publisher.publish(root + "/good/x", bytes("after"), 1).get(30, TimeUnit.SECONDS);
            Awaitility.await("nothing written after the failed message, which stays unacknowledged")
                    .during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                    .until(() -> bridge.mqttToKafkaInFlight() == 1 && bridge.metrics().writtenCount("readings") == 1);
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
