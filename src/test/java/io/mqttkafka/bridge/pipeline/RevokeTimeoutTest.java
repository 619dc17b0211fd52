package io.mqttkafka.bridge.pipeline;

import static io.mqttkafka.bridge.pipeline.ShutdownTimeoutTest.send;
import static io.mqttkafka.bridge.testing.TestBridges.start;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.common.GroupState;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.testing.HoldingMqttBroker;
import io.mqttkafka.bridge.testing.KafkaGroups;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.MqttTestSubscriber;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * Issue 24: on a rebalance, revoked partitions get {@code bridge.kafka.consumer.revoke-timeout} to finish their
 * in-flight records; what is done is committed, the rest is abandoned uncommitted and published again by the
 * partition's next owner (README, "Scale-out and rebalance").
 *
 * <p>Replica A owns the one partition; the broker (HiveMQ with an extension) holds one of its QoS 1 publishes
 * unacknowledged, and, since HiveMQ handles one client's publishes in order, the one behind it. Replica B joins the
 * group. Kafka's default assignor is eager (range), so A's partition is revoked whoever gets it next, and the group
 * completes the rebalance only once A has returned from its revocation and rejoined.
 */
class RevokeTimeoutTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** How often A's consumer hears from the coordinator, so it learns of the rebalance within this. */
    private static final Duration HEARTBEAT = Duration.ofMillis(100);
    /**
     * From B's start to a stable group, besides A's wait: B connects and joins, A hears of the rebalance (one
     * heartbeat), commits synchronously and rejoins; measured 0.1 s to 0.3 s on the 2-core development machine.
     */
    private static final Duration REBALANCE_MARGIN = Duration.ofSeconds(3);
    /** One broker for the class (a start and stop cost seconds); each test holds a payload of its own. */
    private static HoldingMqttBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = HoldingMqttBroker.start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void aRevokedPartitionWhosePublishIsNeverAcknowledgedIsGivenUpAfterTheRevokeTimeout() throws Exception {
        Duration revokeTimeout = Duration.ofSeconds(3);
        try (Replicas replicas = new Replicas(revokeTimeout)) {
            long joined = System.nanoTime();
            replicas.startB();
            Awaitility.await("the rebalance done").atMost(TIMEOUT).until(replicas::stableWithTwoMembers);
            long rebalanceMillis = (System.nanoTime() - joined) / 1_000_000;
            System.out.printf("RevokeTimeoutTest: rebalance took %d ms with revoke-timeout %d ms%n", rebalanceMillis,
                    revokeTimeout.toMillis());
            assertThat(rebalanceMillis).as("A waited the revoke timeout for its held publish, then gave the partition up")
                    .isBetween(revokeTimeout.toMillis(), revokeTimeout.plus(REBALANCE_MARGIN).toMillis());

            // The partition's next owner publishes the abandoned records again (if that is A, once the broker goes on
            // with A's publishes: let the held one go).
            broker.release(replicas.held);
            Awaitility.await("the held record published again by the next owner, then committed").atMost(TIMEOUT)
                    .until(() -> broker.arrivals(replicas.held) == 2 && replicas.committed() == replicas.records.size());
            Awaitility.await("both publishes of the held record delivered").atMost(TIMEOUT)
                    .until(() -> replicas.texts().stream().filter(replicas.held::equals).count() == 2);
        }
    }

    @Test
    void aRevokedPartitionWhosePublishIsAcknowledgedWithinTheRevokeTimeoutIsCommittedAndNotRepublished()
            throws Exception {
        Duration revokeTimeout = Duration.ofSeconds(10);
        try (Replicas replicas = new Replicas(revokeTimeout)) {
            replicas.startB();
            // A hears of the rebalance within a heartbeat and then waits in its revocation: the group waits for it.
            Awaitility.await("A waits in its revocation").atMost(TIMEOUT).during(HEARTBEAT.multipliedBy(5))
                    .until(() -> replicas.group().groupState() == GroupState.PREPARING_REBALANCE);
            long released = System.nanoTime();
            broker.release(replicas.held);
            Awaitility.await("the rebalance done").atMost(TIMEOUT).until(replicas::stableWithTwoMembers);
            long rebalanceMillis = (System.nanoTime() - released) / 1_000_000;

            assertThat(rebalanceMillis).as("the revocation ended when its records were done, not at the timeout")
                    .isLessThan(revokeTimeout.toMillis());
            Awaitility.await("all committed").atMost(TIMEOUT).until(() -> replicas.committed() == replicas.records.size());
            // The revocation committed them, so the next owner publishes nothing again.
            Awaitility.await("delivered once each, no republish").atMost(TIMEOUT).during(Duration.ofSeconds(1))
                    .until(() -> broker.arrivals(replicas.held) == 1 && replicas.texts().size() == replicas.records.size());
            assertThat(replicas.texts()).containsExactlyElementsOf(replicas.records);
        }
    }

    /** Replica A, owning the partition with the held publish; B joins the same group on {@link #startB()}. */
    private static final class Replicas implements AutoCloseable {
        final String held = SharedBrokers.unique(HoldingMqttBroker.HOLD + "2");
        final List<String> records = List.of("ok-0", "ok-1", held, "ok-3");
        final String root = SharedBrokers.unique("revoke");
        final String topic = SharedBrokers.unique("revoke-commands");
        final String bootstrap = SharedBrokers.kafka().bootstrapServers();
        final String groupId = SharedBrokers.unique("revoke-group");
        final Duration revokeTimeout;
        final MqttTestSubscriber subscriber;
        final BridgeRuntime a;
        BridgeRuntime b;

        Replicas(Duration revokeTimeout) {
            this.revokeTimeout = revokeTimeout;
            KafkaTestProducer.createTopic(bootstrap, topic, 1);
            try (KafkaTestProducer producer = new KafkaTestProducer(bootstrap)) {
                send(producer, topic, records);
            }
            subscriber = MqttTestSubscriber.subscribe(broker.port(), 5, 1, root + "/#");
            a = start(replica().build());
            Awaitility.await("A delivered the records before the held one, the held one held").atMost(TIMEOUT)
                    .until(() -> subscriber.count() == 2 && broker.held().contains(held));
            Awaitility.await("A committed the records before the held one").atMost(TIMEOUT)
                    .until(() -> committed() == 2);
        }

        private TestConfigs replica() {
            return TestConfigs.forSharedBrokers()
                    .set("bridge.id", groupId)
                    .set("bridge.mqtt.port", Integer.toString(broker.port()))
                    .set("bridge.kafka.consumer.revoke-timeout", revokeTimeout.toMillis() + "ms")
                    .set("bridge.kafka.properties.heartbeat.interval.ms", Long.toString(HEARTBEAT.toMillis()))
                    .reverseMapping("commands", topic, root + "/{key}", 1, false, null);
        }

        void startB() {
            b = start(replica().build());
        }

        ConsumerGroupDescription group() {
            return KafkaGroups.describe(bootstrap, groupId);
        }

        boolean stableWithTwoMembers() {
            ConsumerGroupDescription group = group();
            return group.groupState() == GroupState.STABLE && group.members().size() == 2;
        }

        long committed() {
            return KafkaGroups.committedTotal(bootstrap, groupId, topic);
        }

        List<String> texts() {
            return subscriber.received().stream().map(MqttTestSubscriber.Received::text).toList();
        }

        @Override
        public void close() {
            if (broker.held().contains(held)) {
                broker.release(held);
            }
            if (b != null) {
                b.close();
            }
            a.close();
            subscriber.close();
        }
    }
}
