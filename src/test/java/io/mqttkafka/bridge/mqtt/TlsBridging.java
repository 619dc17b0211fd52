package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.config.Endpoints;
import io.mqttkafka.bridge.testing.KafkaGroups;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.LogCapture;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.MqttTestSubscriber;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/** What the TLS tests check against any broker: data flows both ways, or a failure is reported as it should be. */
final class TlsBridging {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private TlsBridging() {
    }

    /**
     * Adds mappings under a new topic root (below {@code rootPrefix}) to {@code configs}, starts the bridge, publishes
     * one message at each QoS through the broker's plain listener ({@code plainPort}) and one Kafka record, and checks
     * that each arrives once on the other side.
     */
    static void assertBridgesBothDirections(int plainPort, String rootPrefix, TestConfigs configs, int protocolVersion,
            Function<String, MqttTls> namedTls) throws Exception {
        String root = rootPrefix + SharedBrokers.unique("tls");
        String topic = SharedBrokers.unique("tls-in");
        String commands = SharedBrokers.unique("tls-commands");
        KafkaTestProducer.createTopic(bootstrap(), topic, 1);
        KafkaTestProducer.createTopic(bootstrap(), commands, 1);
        configs.mapping("q0", root + "/q0/+", 0, topic, null)
                .mapping("q1", root + "/q1/+", 1, topic, null)
                .mapping("q2", root + "/q2/+", 2, topic, null)
                .reverseMapping("commands", commands, root + "/commands/{key}", 1, false, null);
        BridgeConfig config = configs.build();

        try (BridgeRuntime bridge = started(config, namedTls);
                MqttTestSubscriber subscriber = MqttTestSubscriber.subscribe(plainPort, protocolVersion, 1,
                        root + "/commands/#");
                MqttTestClient publisher = MqttTestClient.connect(plainPort, protocolVersion);
                KafkaTestProducer producer = new KafkaTestProducer(bootstrap())) {
            // Subscribed first: the bridge's session is new, so the broker keeps nothing for it before that.
            Awaitility.await("bridge connected over TLS and subscribed").atMost(TIMEOUT).until(bridge::isReady);
            for (int qos = 0; qos <= 2; qos++) {
                publisher.publish(root + "/q" + qos + "/dev-1", ("reading at QoS " + qos).getBytes(StandardCharsets.UTF_8),
                        qos).get(30, TimeUnit.SECONDS);
            }
            producer.send(commands, "valve-7", "open".getBytes(StandardCharsets.UTF_8)).get(30, TimeUnit.SECONDS);

            List<ConsumerRecord<byte[], byte[]>> records = KafkaTestConsumer.readAtLeast(bootstrap(), topic, 3, TIMEOUT);
            assertThat(records).extracting(record -> new String(record.value(), StandardCharsets.UTF_8))
                    .containsExactlyInAnyOrder("reading at QoS 0", "reading at QoS 1", "reading at QoS 2");
            Awaitility.await("the Kafka record published over TLS").atMost(TIMEOUT).until(() -> subscriber.count() == 1);
            MqttTestSubscriber.Received received = subscriber.received().get(0);
            assertThat(received.topic()).isEqualTo(root + "/commands/valve-7");
            assertThat(received.text()).isEqualTo("open");
        }
    }

    /**
     * The bridge cannot connect: the cause shows in a warning that names the connection, the broker and
     * {@code expectedCause}; the bridge stays not ready meanwhile and moves no data. A record waits in the Kafka topic
     * of every Kafka → MQTT mapping of {@code config} (made here; the config must name each topic, with the default
     * group): the bridge polls it, but publishes nothing and commits no offset, so the record is still there to go
     * once the connection works.
     */
    static void assertConnectionFailsWith(BridgeConfig config, Function<String, MqttTls> namedTls, int port,
            String expectedCause) throws Exception {
        String clientId = config.mqtt().clientId().orElseThrow();
        List<String> expectedLines = List.of(clientId, clientId + "-pub", clientId + "-status").stream()
                .map(id -> "MQTT connection of " + id + " to 127.0.0.1:" + port + " lost or refused: " + expectedCause)
                .toList();
        List<String> waiting = config.kafkaToMqtt().stream().map(mapping -> mapping.kafkaTopic().orElseThrow()).toList();
        try (KafkaTestProducer producer = new KafkaTestProducer(bootstrap())) {
            for (String topic : waiting) {
                KafkaTestProducer.createTopic(bootstrap(), topic, 1);
                producer.send(topic, "valve-1", "must wait for the connection".getBytes(StandardCharsets.UTF_8))
                        .get(30, TimeUnit.SECONDS);
            }
        }
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (LogCapture log = LogCapture.of(MqttConnection.class.getName());
                BridgeRuntime bridge = started(config, namedTls, registry)) {
            Awaitility.await("the failure logged for each connection").atMost(TIMEOUT)
                    .until(() -> expectedLines.stream().allMatch(line -> !log.containing(line).isEmpty()));
            assertThat(bridge.isReady()).as("ready").isFalse();
            // Once per connection, not at every attempt (the next line comes at the 11th attempt, seconds later).
            assertThat(log.containing("lost or refused")).as("failure lines:\n" + log.all()).hasSize(3);
            assertThat(log.containing("established")).as("connections established").isEmpty();

            Awaitility.await("the waiting records polled").atMost(TIMEOUT)
                    .until(() -> registry.counter("bridge.kafka.records.consumed").count() == waiting.size());
            for (var mapping : config.kafkaToMqtt()) {
                assertThat(bridge.metrics().publishedCount(mapping.name())).as("published by " + mapping.name()).isZero();
            }
            for (var mapping : config.mqttToKafka()) {
                assertThat(bridge.metrics().writtenCount(mapping.name())).as("written by " + mapping.name()).isZero();
            }
            for (String topic : waiting) {
                assertThat(KafkaGroups.committedTotal(bootstrap(), config.id(), topic)).as("committed on " + topic)
                        .isZero();
            }
        }
    }

    static BridgeRuntime started(BridgeConfig config, Function<String, MqttTls> namedTls) {
        return started(config, namedTls, new SimpleMeterRegistry());
    }

    private static BridgeRuntime started(BridgeConfig config, Function<String, MqttTls> namedTls,
            SimpleMeterRegistry registry) {
        BridgeRuntime bridge = new BridgeRuntime(config, Endpoints.from(config), registry, namedTls);
        bridge.start();
        return bridge;
    }

    private static String bootstrap() {
        return SharedBrokers.kafka().bootstrapServers();
    }
}
