package io.mqttkafka.bridge.pipeline;

import static io.mqttkafka.bridge.testing.TestBridges.start;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.kafka.clients.producer.RecordMetadata;
import org.awaitility.Awaitility;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.testing.MqttCrashProxy;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.MqttTestSubscriber;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * Kafka → MQTT QoS 2 across a bridge crash at the worst moment: the broker has answered the bridge's QoS 2
 * publishes with PUBREC, and the bridge dies before its PUBREL leaves. A broker must treat a later PUBLISH
 * with one of those packet ids, from the same session, as a duplicate: drop it, yet complete the handshake.
 * A restarted bridge that resumed that session would reuse the ids, see every publish acknowledged, commit
 * the offsets, and the records would be lost. The publishing connection therefore never resumes a session.
 *
 * <p>The crash is made exact by a proxy that swallows the bridge's PUBREL packets and then resets the
 * connection: a real {@code kill -9} hits that window only by chance ({@code FaultInjectionIT} saw it once).
 */
class KafkaToMqttCrashTest {

    private static final int RECORDS = 40;

    @ParameterizedTest(name = "MQTT {0}")
    @ValueSource(ints = {5, 3})
    void publishesOfARestartedBridgeAreNotSwallowedByItsPredecessorsHalfDoneQos2(int protocolVersion) throws Exception {
        String root = SharedBrokers.unique("crash");
        String before = SharedBrokers.unique("crash-before");
        String after = SharedBrokers.unique("crash-after");
        String bootstrap = SharedBrokers.kafka().bootstrapServers();
        KafkaTestProducer.createTopic(bootstrap, before, 1);
        KafkaTestProducer.createTopic(bootstrap, after, 1);
        String clientId = SharedBrokers.unique("crash-client");

        try (MqttTestSubscriber subscriber = MqttTestSubscriber.subscribe(SharedBrokers.mqtt().port(), 5, 2, root + "/#");
                KafkaTestProducer producer = new KafkaTestProducer(bootstrap);
                MqttCrashProxy proxy = MqttCrashProxy.start(SharedBrokers.mqtt().port(), Set.of(MqttCrashProxy.PUBREL))) {
            send(producer, before, "before");
            try (BridgeRuntime crashing = start(TestConfigs.forSharedBrokers()
                    .set("bridge.mqtt.protocol-version", Integer.toString(protocolVersion))
                    .set("bridge.mqtt.port", Integer.toString(proxy.port()))
                    .set("bridge.mqtt.client-id", clientId)
                    // The proxy counts packets of every connection through it; the status connection's are not the point.
                    .set("bridge.status.topic", "")
                    .set("bridge.shutdown-timeout", "1s")
                    .reverseMapping("before", before, root + "/before/{key}", 2, false, SharedBrokers.unique("g"))
                    .build())) {
                // The broker answered PUBREC to every publish that got through, the bridge's PUBRELs were swallowed:
                // the bridge waits for PUBCOMPs that never come, and the broker for PUBRELs.
                Awaitility.await("broker holds QoS 2 publishes awaiting PUBREL").atMost(Duration.ofSeconds(30))
                        .during(Duration.ofMillis(500))
                        .until(() -> proxy.fromBroker(MqttCrashProxy.PUBREC) > 0
                                && proxy.fromBroker(MqttCrashProxy.PUBREC) == proxy.fromClient(MqttCrashProxy.PUBLISH)
                                && proxy.fromClient(MqttCrashProxy.PUBREL) == proxy.fromBroker(MqttCrashProxy.PUBREC));
                proxy.crash();
            }
            assertThat(proxy.fromBroker(MqttCrashProxy.PUBCOMP)).as("no QoS 2 handshake was completed").isZero();

            send(producer, after, "after");
            try (BridgeRuntime restarted = start(TestConfigs.forSharedBrokers()
                    .set("bridge.mqtt.protocol-version", Integer.toString(protocolVersion))
                    .set("bridge.mqtt.client-id", clientId)
                    .reverseMapping("after", after, root + "/after/{key}", 2, false, SharedBrokers.unique("g"))
                    .build())) {
                Set<String> expected = IntStream.range(0, RECORDS).mapToObj(i -> "after-" + i).collect(Collectors.toSet());
                Awaitility.await("every record of the restarted bridge on MQTT").atMost(Duration.ofSeconds(30))
                        .untilAsserted(() -> assertThat(received(subscriber, root + "/after/"))
                                .as("records published by the restarted bridge").containsAll(expected));
                assertThat(received(subscriber, root + "/after/")).containsExactlyInAnyOrderElementsOf(expected);
            }
        }
    }

    private static void send(KafkaTestProducer producer, String topic, String label) {
        List<Future<RecordMetadata>> acks = IntStream.range(0, RECORDS)
                .mapToObj(i -> producer.send(topic, "k" + i, (label + "-" + i).getBytes(StandardCharsets.UTF_8)))
                .toList();
        KafkaTestProducer.flushAndWait(acks);
    }

    private static List<String> received(MqttTestSubscriber subscriber, String prefix) {
        return subscriber.received().stream().filter(m -> m.topic().startsWith(prefix))
                .map(MqttTestSubscriber.Received::text).toList();
    }
}
