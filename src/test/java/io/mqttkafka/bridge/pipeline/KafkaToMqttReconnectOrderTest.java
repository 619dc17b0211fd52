package io.mqttkafka.bridge.pipeline;

import static io.mqttkafka.bridge.testing.TestBridges.start;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.stream.IntStream;

import org.apache.kafka.clients.producer.RecordMetadata;
import org.awaitility.Awaitility;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.MqttCrashProxy;
import io.mqttkafka.bridge.testing.MqttTestSubscriber;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * Kafka → MQTT keeps the order of a partition on its MQTT topic when the connection drops with publishes in
 * flight. The publishes that were in flight fail (the publishing session ends with the connection) and are
 * published again; the records behind them must not overtake them on the new connection.
 *
 * <p>A proxy swallows the bridge's PUBLISH packets, so the broker sees none of the in-flight window; then the
 * connection is reset and everything is forwarded. Without the ordering, the publishes failed by the reset came
 * back shuffled, each after its own backoff.
 */
class KafkaToMqttReconnectOrderTest {

    private static final int RECORDS = 300;

    @ParameterizedTest(name = "MQTT {0}, QoS {1}")
    @CsvSource({"5, 1", "5, 2", "3, 1"})
    void recordsBehindFailedPublishesDoNotOvertakeThemAfterReconnect(int protocolVersion, int qos) {
        String root = SharedBrokers.unique("reorder");
        String topic = SharedBrokers.unique("reorder-in");
        String bootstrap = SharedBrokers.kafka().bootstrapServers();
        KafkaTestProducer.createTopic(bootstrap, topic, 1);

        try (MqttTestSubscriber subscriber = MqttTestSubscriber.subscribe(SharedBrokers.mqtt().port(), 5, 2, root + "/#");
                KafkaTestProducer producer = new KafkaTestProducer(bootstrap);
                MqttCrashProxy proxy = MqttCrashProxy.start(SharedBrokers.mqtt().port(), Set.of(MqttCrashProxy.PUBLISH))) {
            List<Future<RecordMetadata>> acks = IntStream.range(0, RECORDS)
                    .mapToObj(i -> producer.send(topic, "device-1", Integer.toString(i).getBytes(StandardCharsets.UTF_8)))
                    .toList();
            KafkaTestProducer.flushAndWait(acks);

            try (BridgeRuntime bridge = start(TestConfigs.forSharedBrokers()
                    .set("bridge.mqtt.protocol-version", Integer.toString(protocolVersion))
                    .set("bridge.mqtt.port", Integer.toString(proxy.port()))
                    .set("bridge.mqtt.reconnect-initial-delay", "10ms")
                    // The proxy counts packets of every connection through it; the status connection's are not the point.
                    .set("bridge.status.topic", "")
                    .reverseMapping("ordered", topic, root + "/{key}", qos, false, SharedBrokers.unique("g"))
                    .build())) {
                // The client's in-flight window is full of publishes the broker never saw (all of them when the
                // broker's receive maximum exceeds RECORDS); any others wait behind it.
                Awaitility.await("publishes in flight that the broker never saw").atMost(Duration.ofSeconds(30))
                        .during(Duration.ofMillis(300))
                        .until(() -> proxy.fromClient(MqttCrashProxy.PUBLISH) > 0);
                proxy.swallowFromClient(Set.of());
                proxy.dropConnections();

                Awaitility.await("every record on MQTT").atMost(Duration.ofSeconds(30))
                        .until(() -> received(subscriber, root).stream().distinct().count() == RECORDS);
                assertThat(received(subscriber, root)).as("payloads in arrival order on %s/device-1", root)
                        .containsExactlyElementsOf(IntStream.range(0, RECORDS).mapToObj(Integer::toString).toList());
            }
        }
    }

    private static List<String> received(MqttTestSubscriber subscriber, String root) {
        return subscriber.received().stream().filter(m -> m.topic().equals(root + "/device-1"))
                .map(MqttTestSubscriber.Received::text).toList();
    }
}
