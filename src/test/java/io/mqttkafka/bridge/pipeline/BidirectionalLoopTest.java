package io.mqttkafka.bridge.pipeline;

import static io.mqttkafka.bridge.testing.TestBridges.start;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.producer.RecordMetadata;
import org.awaitility.Awaitility;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.MqttTestClient;
import io.mqttkafka.bridge.testing.MqttTestSubscriber;
import io.mqttkafka.bridge.testing.PacedLoad;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * Kafka → MQTT acceptance 5: the bidirectional setup {@code a/#} → Kafka {@code t} and {@code t} →
 * {@code a/{key}} runs with steady input on both sides and the counts on each side stay exactly what was
 * published: nothing circulates.
 *
 * <p>Two guards cut the loop. Records the bridge wrote itself carry its origin header and are not
 * republished (Kafka side). Messages the bridge published come back on its subscriber connection (they
 * left on the other one, so MQTT 5 No Local cannot apply) and are recognised by the origin user property
 * (MQTT side). MQTT 3.1.1 has no user properties, so there each record published to MQTT comes back into
 * Kafka exactly once (marked with the origin) and stops there: bounded, and documented.
 */
class BidirectionalLoopTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final int BATCH = 10;
    private static final int BATCHES = 30;
    private static final int FROM_MQTT = BATCH * BATCHES;
    private static final int FROM_KAFKA = BATCH * BATCHES;

    @ParameterizedTest(name = "MQTT {0}, shared subscription: {1}")
    @CsvSource({"5,false", "5,true", "3,false"})
    void bidirectionalMappingDoesNotLoop(int protocolVersion, boolean shared) throws Exception {
        String root = SharedBrokers.unique("loop");
        String topic = SharedBrokers.unique("loop-t");
        String bootstrap = SharedBrokers.kafka().bootstrapServers();
        KafkaTestProducer.createTopic(bootstrap, topic, 3);
        String filter = (shared ? "$share/" + SharedBrokers.unique("g") + "/" : "") + root + "/#";
        TestConfigs configs = TestConfigs.forSharedBrokers()
                .set("bridge.mqtt.protocol-version", Integer.toString(protocolVersion))
                .mapping("a-to-t", filter, 1, topic, "{1}")
                .reverseMapping("t-to-a", topic, root + "/{key}", 1, false, null);
        int echoes = protocolVersion == 3 ? FROM_KAFKA : 0;

        try (MqttTestSubscriber subscriber = MqttTestSubscriber.subscribe(SharedBrokers.mqtt().port(), 5, 1, root + "/#");
                BridgeRuntime bridge = start(configs.build());
                MqttTestClient publisher = MqttTestClient.connect(SharedBrokers.mqtt().port(), 5);
                KafkaTestProducer producer = new KafkaTestProducer(bootstrap)) {
            // Steady input on both sides at once: a batch of ten per side every 100 ms for three seconds.
            List<CompletableFuture<?>> mqttAcks = new CopyOnWriteArrayList<>();
            List<Future<RecordMetadata>> kafkaAcks = new CopyOnWriteArrayList<>();
            try (PacedLoad load = PacedLoad.start(BATCHES, Duration.ofMillis(100), b -> {
                for (int i = b * BATCH; i < (b + 1) * BATCH; i++) {
                    mqttAcks.add(publisher.publish(root + "/sensor-" + i, text("from-mqtt-" + i), 1));
                    kafkaAcks.add(producer.send(topic, "command-" + i, text("from-kafka-" + i)));
                }
            })) {
                assertThat(load.await(Duration.ofSeconds(60))).isTrue();
            }
            CompletableFuture.allOf(mqttAcks.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            KafkaTestProducer.flushAndWait(kafkaAcks);

            int expectedOnMqtt = FROM_MQTT + FROM_KAFKA;
            int expectedInKafka = FROM_MQTT + FROM_KAFKA + echoes;
            Awaitility.await("both directions delivered").atMost(TIMEOUT).until(() ->
                    subscriber.count() >= expectedOnMqtt && kafkaCount(bootstrap, topic) >= expectedInKafka);
            Awaitility.await("counts stay exactly what was published").during(Duration.ofSeconds(3))
                    .atMost(Duration.ofSeconds(10)).until(() ->
                            subscriber.count() == expectedOnMqtt && kafkaCount(bootstrap, topic) == expectedInKafka);
            assertThat(bridge.metrics().loopSuppressedCount())
                    .as("records the bridge wrote itself, read back and not republished")
                    .isEqualTo(FROM_MQTT + echoes + (protocolVersion == 5 ? FROM_KAFKA : 0));
        }
    }

    private static int kafkaCount(String bootstrap, String topic) {
        return KafkaTestConsumer.readAvailable(bootstrap, topic, Duration.ofMillis(300)).size();
    }

    private static byte[] text(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
