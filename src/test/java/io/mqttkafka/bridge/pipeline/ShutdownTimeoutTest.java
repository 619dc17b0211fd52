package io.mqttkafka.bridge.pipeline;

import static io.mqttkafka.bridge.testing.TestBridges.start;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Future;

import org.apache.kafka.clients.producer.RecordMetadata;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.testing.HoldingMqttBroker;
import io.mqttkafka.bridge.testing.KafkaGroups;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.MqttTestSubscriber;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * Issue 24: a graceful stop waits for the MQTT broker's acknowledgements of the records in flight for at most
 * {@code bridge.shutdown-timeout}, commits what is done, and leaves the rest uncommitted, so that the next start
 * publishes it. The broker (HiveMQ with an extension) holds one QoS 1 publish unacknowledged throughout.
 */
class ShutdownTimeoutTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(2);
    /**
     * What {@code close()} does besides that wait: the consumer leaves its group and closes, the MQTT connection
     * disconnects, the producers close (each bounded by 5 s in the code, each well under 1 s here: a close without a
     * held publish took 0.2 s to 0.5 s in this test's setup on the 2-core development machine).
     */
    private static final Duration CLOSE_MARGIN = Duration.ofSeconds(3);

    @Test
    void closeWaitsAtMostTheShutdownTimeoutAndLeavesTheUnacknowledgedRecordUncommitted() throws Exception {
        String root = SharedBrokers.unique("shutdown");
        String topic = SharedBrokers.unique("shutdown-commands");
        String bootstrap = SharedBrokers.kafka().bootstrapServers();
        KafkaTestProducer.createTopic(bootstrap, topic, 1);
        String held = HoldingMqttBroker.HOLD + "2";

        try (HoldingMqttBroker broker = HoldingMqttBroker.start();
                MqttTestSubscriber subscriber = MqttTestSubscriber.subscribe(broker.port(), 5, 1, root + "/#");
                KafkaTestProducer producer = new KafkaTestProducer(bootstrap)) {
            BridgeConfig config = TestConfigs.forSharedBrokers()
                    .set("bridge.mqtt.port", Integer.toString(broker.port()))
                    .set("bridge.shutdown-timeout", SHUTDOWN_TIMEOUT.toMillis() + "ms")
                    .reverseMapping("commands", topic, root + "/{key}", 1, false, null)
                    .build();
            String groupId = config.id();
            // Offsets 0 and 1 are acknowledged, 2 is held by the broker, and 3 behind it, since HiveMQ handles the
            // publishes of one client in order.
            send(producer, topic, List.of("ok-0", "ok-1", held, "ok-3"));

            BridgeRuntime bridge = start(config);
            long closeMillis;
            try {
                Awaitility.await("the records before the held one delivered, the held one held").atMost(TIMEOUT)
                        .until(() -> subscriber.count() == 2 && broker.held().equals(Set.of(held)));
                Awaitility.await("the records before the held one committed").atMost(TIMEOUT)
                        .until(() -> KafkaGroups.committedTotal(bootstrap, groupId, topic) == 2);
            } finally {
                long started = System.nanoTime();
                bridge.close();
                closeMillis = (System.nanoTime() - started) / 1_000_000;
            }
            System.out.printf("ShutdownTimeoutTest: close took %d ms with shutdown-timeout %d ms%n", closeMillis,
                    SHUTDOWN_TIMEOUT.toMillis());

            assertThat(subscriber.received()).extracting(MqttTestSubscriber.Received::text)
                    .containsExactly("ok-0", "ok-1");
            assertThat(closeMillis).as("close waited for the held publish, and no longer than the shutdown timeout")
                    .isBetween(SHUTDOWN_TIMEOUT.toMillis(), SHUTDOWN_TIMEOUT.plus(CLOSE_MARGIN).toMillis());
            assertThat(broker.held()).as("still unacknowledged after close").containsExactly(held);
            assertThat(KafkaGroups.committedTotal(bootstrap, groupId, topic))
                    .as("committed up to the held record, not past it").isEqualTo(2);

            // The group's next consumer publishes it (the broker lets the second publish of the payload through), and
            // the one behind it. It is another replica (its own client id): HiveMQ would hand the publishes of a
            // reconnected client id to the same ordered queue, behind the publish it still holds from the first one.
            BridgeConfig nextReplica = TestConfigs.forSharedBrokers()
                    .set("bridge.id", groupId)
                    .set("bridge.mqtt.port", Integer.toString(broker.port()))
                    .reverseMapping("commands", topic, root + "/{key}", 1, false, null)
                    .build();
            try (BridgeRuntime next = start(nextReplica)) {
                Awaitility.await("the held record published by the next start, then committed").atMost(TIMEOUT)
                        .until(() -> KafkaGroups.committedTotal(bootstrap, groupId, topic) == 4);
                assertThat(subscriber.received()).extracting(MqttTestSubscriber.Received::text)
                        .containsExactly("ok-0", "ok-1", held, "ok-3");
            }
        }
    }

    /**
     * With the MQTT connection down nothing in flight can be acknowledged, so close does not wait the shutdown timeout
     * for it (a bridge that cannot reach its broker stops at once on SIGTERM); the polled record stays uncommitted.
     */
    @Test
    void closeDoesNotWaitForPublishesWhileTheMqttConnectionIsDown() throws Exception {
        String root = SharedBrokers.unique("shutdown-down");
        String topic = SharedBrokers.unique("shutdown-down-commands");
        String bootstrap = SharedBrokers.kafka().bootstrapServers();
        KafkaTestProducer.createTopic(bootstrap, topic, 1);
        int nothingListens;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            nothingListens = socket.getLocalPort();
        }
        Duration shutdownTimeout = Duration.ofSeconds(20);
        BridgeConfig config = TestConfigs.forSharedBrokers()
                .set("bridge.mqtt.port", Integer.toString(nothingListens))
                .set("bridge.shutdown-timeout", shutdownTimeout.toSeconds() + "s")
                .reverseMapping("commands", topic, root + "/{key}", 1, false, null)
                .build();
        try (KafkaTestProducer producer = new KafkaTestProducer(bootstrap)) {
            send(producer, topic, List.of("waits-for-mqtt"));
        }

        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        BridgeRuntime bridge = new BridgeRuntime(config, registry);
        long closeMillis;
        try {
            bridge.start();
            Awaitility.await("the record polled").atMost(TIMEOUT)
                    .until(() -> registry.counter("bridge.kafka.records.consumed").count() == 1);
        } finally {
            long started = System.nanoTime();
            bridge.close();
            closeMillis = (System.nanoTime() - started) / 1_000_000;
        }

        assertThat(bridge.isReady()).isFalse();
        assertThat(closeMillis).as("close did not wait the shutdown timeout for a connection that is down")
                .isLessThan(CLOSE_MARGIN.plusSeconds(2).toMillis());
        assertThat(KafkaGroups.committedTotal(bootstrap, config.id(), topic)).as("nothing committed").isZero();
    }

    static void send(KafkaTestProducer producer, String topic, List<String> payloads) {
        List<Future<RecordMetadata>> acks = payloads.stream()
                .map(payload -> producer.send(topic, "k", payload.getBytes(StandardCharsets.UTF_8)))
                .toList();
        KafkaTestProducer.flushAndWait(acks);
    }
}
