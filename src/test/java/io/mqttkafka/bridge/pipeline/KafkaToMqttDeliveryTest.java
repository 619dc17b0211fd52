package io.mqttkafka.bridge.pipeline;

import static io.mqttkafka.bridge.testing.KafkaTestConsumer.header;
import static io.mqttkafka.bridge.testing.KafkaTestProducer.header;
import static io.mqttkafka.bridge.testing.TestBridges.start;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Future;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.kafka.BridgeHeaders;
import io.mqttkafka.bridge.testing.KafkaGroups;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.MqttTestSubscriber;
import io.mqttkafka.bridge.testing.MqttTestSubscriber.Received;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * Kafka → MQTT acceptance 1, 2 and 6 against real brokers: exact payloads, QoS, retain and properties for
 * MQTT 5 and 3.1.1; a tombstone clearing a retained message; invalid rendered topics dead-lettered while
 * their neighbours are delivered and committed.
 */
class KafkaToMqttDeliveryTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private static String bootstrap() {
        return SharedBrokers.kafka().bootstrapServers();
    }

    @ParameterizedTest(name = "MQTT {0}, QoS {1}")
    @CsvSource({"5,0", "5,1", "5,2", "3,0", "3,1", "3,2"})
    void publishesRecordsWithExactPayloadsQosAndProperties(int protocolVersion, int qos) throws Exception {
        String root = SharedBrokers.unique("devices");
        String topic = SharedBrokers.unique("commands");
        String broadcastTopic = SharedBrokers.unique("broadcasts");
        KafkaTestProducer.createTopic(bootstrap(), topic, 3);
        KafkaTestProducer.createTopic(bootstrap(), broadcastTopic, 1);
        TestConfigs configs = TestConfigs.forSharedBrokers()
                .set("bridge.mqtt.protocol-version", Integer.toString(protocolVersion))
                .reverseMapping("commands", topic, root + "/{key}/cmd", qos, false, null)
                // Records without a key, to a topic that does not use one.
                .reverseMapping("broadcasts", broadcastTopic, root + "/broadcast/{partition}", qos, false, null)
                // The key site/dev-3 below spans two levels, by choice.
                .set("bridge.kafka-to-mqtt[0].multi-level-values", "true");
        byte[] binary = new byte[4096];
        new Random(qos * 17L + protocolVersion).nextBytes(binary);
        byte[] correlation = {0, 1, 2, (byte) 0xff};

        try (MqttTestSubscriber subscriber = MqttTestSubscriber.subscribe(SharedBrokers.mqtt().port(), protocolVersion, 2,
                root + "/#");
                BridgeRuntime bridge = start(configs.build());
                KafkaTestProducer producer = new KafkaTestProducer(bootstrap())) {
            producer.sendAll(List.of(
                    new ProducerRecord<>(topic, null, bytes("dev-1"), binary, List.of(
                            header("trace-id", "abc-123"),
                            header(BridgeHeaders.MQTT_CONTENT_TYPE, "application/octet-stream"),
                            header(BridgeHeaders.MQTT_RESPONSE_TOPIC, root + "/replies"),
                            new org.apache.kafka.common.header.internals.RecordHeader(BridgeHeaders.MQTT_CORRELATION_DATA, correlation),
                            header(BridgeHeaders.MQTT_PAYLOAD_FORMAT, "0"),
                            header(BridgeHeaders.MQTT_MESSAGE_EXPIRY, "3600"),
                            header(BridgeHeaders.MQTT_TOPIC, "forged/topic"),
                            header(BridgeHeaders.ORIGIN, "some-other-bridge"))),
                    new ProducerRecord<>(topic, null, bytes("dev-2"), new byte[0]),
                    new ProducerRecord<>(topic, null, bytes("site/dev-3"), bytes("{\"on\":true}")),
                    new ProducerRecord<>(broadcastTopic, null, null, bytes("to all"))));

            Awaitility.await("four messages on MQTT").atMost(TIMEOUT).until(() -> subscriber.count() >= 4);
            List<Received> received = subscriber.received();
            assertThat(received).extracting(Received::topic).containsExactlyInAnyOrder(
                    root + "/dev-1/cmd", root + "/dev-2/cmd", root + "/site/dev-3/cmd", root + "/broadcast/0");
            assertThat(byTopic(received, root + "/broadcast/0").text()).isEqualTo("to all");
            Received first = byTopic(received, root + "/dev-1/cmd");
            assertThat(first.payload()).as("binary payload byte for byte").isEqualTo(binary);
            assertThat(byTopic(received, root + "/dev-2/cmd").payload()).isEmpty();
            assertThat(byTopic(received, root + "/site/dev-3/cmd").text()).isEqualTo("{\"on\":true}");
            assertThat(received).allSatisfy(message -> {
                assertThat(message.qos()).isEqualTo(qos);
                assertThat(message.retain()).isFalse();
            });
            if (protocolVersion == 5) {
                assertThat(first.userProperties())
                        .containsEntry("trace-id", "abc-123")
                        .containsEntry(BridgeHeaders.ORIGIN, configs.build().id())
                        .doesNotContainKey(BridgeHeaders.MQTT_TOPIC);
                assertThat(first.contentType()).isEqualTo("application/octet-stream");
                assertThat(first.responseTopic()).isEqualTo(root + "/replies");
                assertThat(first.correlationData()).isEqualTo(correlation);
                assertThat(first.payloadFormatUtf8()).isFalse();
                assertThat(first.messageExpiry()).isBetween(3500L, 3600L);
            } else {
                assertThat(first.userProperties()).isEmpty();
                assertThat(first.contentType()).isNull();
            }
            String groupId = configs.build().id();
            Awaitility.await("offsets committed after the broker's acks").atMost(TIMEOUT)
                    .until(() -> KafkaGroups.committedTotal(bootstrap(), groupId, topic) == 3
                            && KafkaGroups.committedTotal(bootstrap(), groupId, broadcastTopic) == 1);
        }
    }

    /**
     * With {@code retain: true} a record is published retained and a tombstone clears the retained message, over either
     * MQTT version of the bridge, for subscribers of either version.
     */
    @ParameterizedTest(name = "MQTT {0}")
    @ValueSource(ints = {5, 3})
    void tombstoneWithRetainClearsTheRetainedMessage(int protocolVersion) throws Exception {
        String root = SharedBrokers.unique("lamps");
        String topic = SharedBrokers.unique("lamp-state");
        KafkaTestProducer.createTopic(bootstrap(), topic, 1);
        TestConfigs configs = TestConfigs.forSharedBrokers()
                .set("bridge.mqtt.protocol-version", Integer.toString(protocolVersion))
                .reverseMapping("lamp-state", topic, root + "/{key}/state", 1, true, null);
        int port = SharedBrokers.mqtt().port();

        try (BridgeRuntime bridge = start(configs.build());
                KafkaTestProducer producer = new KafkaTestProducer(bootstrap())) {
            producer.send(topic, "lamp", bytes("on")).get();
            Awaitility.await("retained message acknowledged by the broker").atMost(TIMEOUT)
                    .until(() -> publishedCount(bridge, "lamp-state") == 1);
            for (int subscriberVersion : new int[] {5, 3}) {
                try (MqttTestSubscriber before = MqttTestSubscriber.subscribe(port, subscriberVersion, 1,
                        root + "/lamp/state")) {
                    Awaitility.await("a new MQTT " + subscriberVersion + " subscriber gets the retained message")
                            .atMost(TIMEOUT).until(() -> before.count() == 1);
                    assertThat(before.received().get(0).retain()).isTrue();
                    assertThat(before.received().get(0).text()).isEqualTo("on");
                }
            }

            producer.send(topic, "lamp", null).get();
            Awaitility.await("empty retained message acknowledged by the broker").atMost(TIMEOUT)
                    .until(() -> publishedCount(bridge, "lamp-state") == 2);
            // The broker sends retained messages right after the subscription: 2 s of nothing is long enough.
            try (MqttTestSubscriber after5 = MqttTestSubscriber.subscribe(port, 5, 1, root + "/lamp/state");
                    MqttTestSubscriber after3 = MqttTestSubscriber.subscribe(port, 3, 1, root + "/lamp/state")) {
                Awaitility.await("subscribers after the tombstone get nothing").during(Duration.ofSeconds(2))
                        .atMost(Duration.ofSeconds(5)).until(() -> after5.count() == 0 && after3.count() == 0);
            }
        }
    }

    /**
     * With {@code retain: false} a tombstone has no MQTT meaning: it is skipped, counted, and committed; the records
     * around it are published.
     */
    @Test
    void tombstoneWithoutRetainIsSkippedCountedAndCommitted() throws Exception {
        String root = SharedBrokers.unique("events");
        String topic = SharedBrokers.unique("events-in");
        KafkaTestProducer.createTopic(bootstrap(), topic, 1);
        TestConfigs configs = TestConfigs.forSharedBrokers()
                .reverseMapping("events", topic, root + "/{key}", 1, false, null);
        String groupId = configs.build().id();

        try (MqttTestSubscriber subscriber = MqttTestSubscriber.subscribe(SharedBrokers.mqtt().port(), 5, 1, root + "/#");
                BridgeRuntime bridge = start(configs.build());
                KafkaTestProducer producer = new KafkaTestProducer(bootstrap())) {
            List<Future<RecordMetadata>> acks = new ArrayList<>();
            acks.add(producer.send(topic, "door", bytes("opened")));
            acks.add(producer.send(topic, "door", null));
            acks.add(producer.send(topic, "door", bytes("closed")));
            KafkaTestProducer.flushAndWait(acks);

            Awaitility.await("all three committed").atMost(TIMEOUT)
                    .until(() -> KafkaGroups.committedTotal(bootstrap(), groupId, topic) == 3);
            Awaitility.await("the two records around it published").atMost(TIMEOUT).until(() -> subscriber.count() == 2);
            assertThat(subscriber.received()).extracting(Received::text).containsExactly("opened", "closed");
            assertThat(bridge.metrics().skippedCount("tombstone-not-retained")).isEqualTo(1);
            assertThat(publishedCount(bridge, "events")).isEqualTo(2);
        }
    }

    @Test
    void invalidRenderedTopicsAreDeadLetteredAndNeighboursDelivered() throws Exception {
        String root = SharedBrokers.unique("valves");
        String topic = SharedBrokers.unique("valve-commands");
        String deadLetterTopic = SharedBrokers.unique("dlq");
        KafkaTestProducer.createTopic(bootstrap(), topic, 1);
        TestConfigs configs = TestConfigs.forSharedBrokers()
                .set("bridge.dead-letter-topic", deadLetterTopic)
                .reverseMapping("valves", topic, root + "/{key}/set", 1, false, null);
        String groupId = configs.build().id();

        try (MqttTestSubscriber subscriber = MqttTestSubscriber.subscribe(SharedBrokers.mqtt().port(), 5, 1, root + "/#");
                BridgeRuntime bridge = start(configs.build());
                KafkaTestProducer producer = new KafkaTestProducer(bootstrap())) {
            List<Future<RecordMetadata>> acks = new ArrayList<>();
            acks.add(producer.send(topic, "v-1", bytes("open")));
            acks.add(producer.send(topic, (byte[]) null, bytes("no key")));
            acks.add(producer.send(topic, "a+b", bytes("wildcard")));
            acks.add(producer.send(topic, "", bytes("empty key")));
            acks.add(producer.send(topic, new byte[] {(byte) 0xff, (byte) 0xfe}, bytes("not utf-8")));
            acks.add(producer.send(topic, "v-2", bytes("close")));
            KafkaTestProducer.flushAndWait(acks);

            List<ConsumerRecord<byte[], byte[]>> deadLetters = KafkaTestConsumer.readAtLeast(bootstrap(), deadLetterTopic,
                    4, TIMEOUT);
            Awaitility.await("neighbours delivered").atMost(TIMEOUT).until(() -> subscriber.count() >= 2);
            assertThat(subscriber.received()).extracting(Received::topic, Received::text)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(root + "/v-1/set", "open"),
                            org.assertj.core.groups.Tuple.tuple(root + "/v-2/set", "close"));

            deadLetters.sort(Comparator.comparing(r -> header(r, BridgeHeaders.DLQ_SOURCE_OFFSET)));
            assertThat(deadLetters).hasSize(4);
            assertThat(deadLetters).extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
                    .containsExactly("no key", "wildcard", "empty key", "not utf-8");
            assertThat(deadLetters).extracting(r -> header(r, BridgeHeaders.DLQ_SOURCE_OFFSET))
                    .containsExactly("1", "2", "3", "4");
            assertThat(header(deadLetters.get(0), BridgeHeaders.DLQ_REASON))
                    .startsWith("invalid-mqtt-topic: ").contains("needs {key}, but the record has no key");
            assertThat(header(deadLetters.get(1), BridgeHeaders.DLQ_REASON)).contains("contains wildcard '+'");
            assertThat(header(deadLetters.get(2), BridgeHeaders.DLQ_REASON))
                    .contains("'" + root + "//set' has an empty level ({key} is empty)");
            assertThat(header(deadLetters.get(3), BridgeHeaders.DLQ_REASON)).contains("the record key is not valid UTF-8");
            assertThat(deadLetters).allSatisfy(r -> {
                assertThat(header(r, BridgeHeaders.DLQ_MAPPING)).isEqualTo("valves");
                assertThat(header(r, BridgeHeaders.DLQ_SOURCE_TOPIC)).isEqualTo(topic);
                assertThat(header(r, BridgeHeaders.DLQ_SOURCE_PARTITION)).isEqualTo("0");
                assertThat(header(r, BridgeHeaders.DLQ_TARGET_TOPIC)).isEqualTo(root + "/{key}/set");
            });
            assertThat(bridge.metrics().deadLetteredCount("invalid-mqtt-topic")).isEqualTo(4);
            Awaitility.await("every offset committed, dead letters included").atMost(TIMEOUT)
                    .until(() -> KafkaGroups.committedTotal(bootstrap(), groupId, topic) == 6);
        }
    }

    static double publishedCount(BridgeRuntime bridge, String mapping) {
        return bridge.metrics().publishedCount(mapping);
    }

    private static Received byTopic(List<Received> received, String topic) {
        return received.stream().filter(r -> r.topic().equals(topic)).findFirst().orElseThrow();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
