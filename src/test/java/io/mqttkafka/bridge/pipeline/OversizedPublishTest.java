package io.mqttkafka.bridge.pipeline;

import static io.mqttkafka.bridge.testing.KafkaTestConsumer.header;
import static io.mqttkafka.bridge.testing.TestBridges.start;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.stream.IntStream;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.kafka.BridgeHeaders;
import io.mqttkafka.bridge.testing.KafkaGroups;
import io.mqttkafka.bridge.testing.KafkaTestConsumer;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.MosquittoProcess;
import io.mqttkafka.bridge.testing.MqttTestSubscriber;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * The second scenario of issue 23: Mosquitto with {@code message_size_limit 1000} (a common hardening setting that
 * CONNACK does not announce), one 2,000-byte record and then 20 small ones, at QoS 1. Mosquitto answers the oversized
 * MQTT 5 publish with PUBACK reason code 0x95, which is not a valid PUBACK code, so the client ends the connection as
 * a protocol error. Before, every publish in flight was retried, the big one again: the connection was lost 19 times
 * in 40 s, the small records arrived 140 times, and the big one was never dead-lettered.
 *
 * <p>Now, without configuration, the big record is dead-lettered once it has ended {@value
 * KafkaToMqttPipeline#MAX_CONNECTIONS_ENDED} connections as the only publish in flight, and the small ones arrive; with
 * {@code bridge.mqtt.maximum-message-size} it is dead-lettered before it is sent, and nothing is lost or repeated.
 */
class OversizedPublishTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final int SMALL = 20;
    private static MosquittoProcess mosquitto;

    @BeforeAll
    static void startMosquitto() {
        MosquittoProcess.assumeInstalledUnlessCi("this test needs Mosquitto's message_size_limit.");
        mosquitto = MosquittoProcess.start("message_size_limit 1000\n");
    }

    @AfterAll
    static void stopMosquitto() {
        if (mosquitto != null) {
            mosquitto.close();
        }
    }

    @ParameterizedTest(name = "bridge.mqtt.maximum-message-size set: {0}")
    @ValueSource(booleans = {false, true})
    void anOversizedRecordIsDeadLetteredAndTheRestOfThePartitionArrives(boolean maximumMessageSizeSet) throws Exception {
        String root = SharedBrokers.unique("oversized");
        String in = SharedBrokers.unique("oversized-in");
        String deadLetterTopic = SharedBrokers.unique("oversized-dlq");
        KafkaTestProducer.createTopic(bootstrap(), in, 1);
        TestConfigs configs = TestConfigs.forSharedBrokers()
                .set("bridge.mqtt.port", Integer.toString(mosquitto.port()))
                .set("bridge.dead-letter-topic", deadLetterTopic)
                .reverseMapping("commands", in, root + "/cmd/{key}", 1, false, null);
        if (maximumMessageSizeSet) {
            configs.set("bridge.mqtt.maximum-message-size", "1000");
        }
        String groupId = configs.build().id();

        try (MqttTestSubscriber subscriber = MqttTestSubscriber.subscribe(mosquitto.port(), 5, 1, root + "/cmd/#");
                BridgeRuntime bridge = start(configs.build());
                KafkaTestProducer producer = new KafkaTestProducer(bootstrap())) {
            int connectionsBefore = publisherConnections(bridge);
            List<Future<RecordMetadata>> acks = new ArrayList<>();
            acks.add(producer.send(in, "big", new byte[2000]));
            for (int i = 0; i < SMALL; i++) {
                acks.add(producer.send(in, "small", bytes("small-" + i)));
            }
            KafkaTestProducer.flushAndWait(acks);

            List<ConsumerRecord<byte[], byte[]>> deadLetters = KafkaTestConsumer.readAtLeast(bootstrap(), deadLetterTopic,
                    1, TIMEOUT);
            assertThat(deadLetters).singleElement().satisfies(record -> {
                assertThat(record.value()).hasSize(2000);
                assertThat(header(record, BridgeHeaders.DLQ_REASON)).startsWith(maximumMessageSizeSet
                        ? "message-too-large:" : "publish-ends-connection:");
                assertThat(header(record, BridgeHeaders.DLQ_SOURCE_OFFSET)).isEqualTo("0");
            });
            Awaitility.await("every record done and committed").atMost(TIMEOUT)
                    .until(() -> KafkaGroups.committedTotal(bootstrap(), groupId, in) == SMALL + 1);
            List<String> expected = IntStream.range(0, SMALL).mapToObj(i -> "small-" + i).toList();
            Awaitility.await("every small record published").atMost(TIMEOUT).until(() ->
                    subscriber.received().stream().map(MqttTestSubscriber.Received::text).toList().containsAll(expected));
            List<String> received = subscriber.received().stream().map(MqttTestSubscriber.Received::text).toList();
            int reconnects = publisherConnections(bridge) - connectionsBefore;
            if (maximumMessageSizeSet) {
                assertThat(received).as("nothing lost, repeated or reordered").containsExactlyElementsOf(expected);
                assertThat(reconnects).as("the connection never ended").isZero();
            } else {
                // The small records in flight with the big one on the first connection it ended are published again
                // (at least once); after that the big one is sent alone until it is dead-lettered.
                assertThat(received).as("each small record at most twice").hasSizeLessThanOrEqualTo(2 * SMALL);
                assertThat(reconnects).as("the first connection the big record ended, with the small ones in flight, "
                        + "then one per connection it ended alone").isEqualTo(1 + KafkaToMqttPipeline.MAX_CONNECTIONS_ENDED);
            }
            assertThat(bridge.isAlive()).isTrue();
        }
    }

    /** Connections Mosquitto accepted from the bridge's publisher so far, read from its log. */
    private static int publisherConnections(BridgeRuntime bridge) {
        String needle = " as " + bridge.clientId() + "-pub ";
        return (int) mosquitto.log().lines().filter(line -> line.contains("New client connected") && line.contains(needle))
                .count();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String bootstrap() {
        return SharedBrokers.kafka().bootstrapServers();
    }
}
