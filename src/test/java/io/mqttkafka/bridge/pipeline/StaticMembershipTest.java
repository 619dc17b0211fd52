package io.mqttkafka.bridge.pipeline;

import static io.mqttkafka.bridge.testing.TestBridges.start;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.kafka.KafkaConsumers;
import io.mqttkafka.bridge.testing.KafkaGroups;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.MqttTestSubscriber;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * Issue 24: Kafka → MQTT consumers are static members ({@code group.instance.id} = the replica's MQTT client id,
 * {@code KafkaConsumers}), so a replica that crashed and comes back within {@code session.timeout.ms} takes its
 * partitions back without a rebalance: the other replica keeps its partitions and never rejoins.
 *
 * <p>The crashed life of replica A is the consumer the bridge makes for it ({@link KafkaConsumers#create}, same group,
 * same client id), closed the way a killed process leaves the group: without a LeaveGroup request (a bridge that
 * stops gracefully leaves on purpose). Its next life, and replica B, are whole bridges.
 */
class StaticMembershipTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final int PARTITIONS = 4;
    /** The coordinator keeps the crashed member's place this long; A must be back well within it. */
    private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(20);
    /**
     * From A's restart to its consumer owning partitions: the bridge connects to MQTT, its consumer finds the
     * coordinator and rejoins under its instance id (about 1 s here). Well below the session timeout, after which a
     * rebalance would hand A's partitions out anew.
     */
    private static final Duration REJOIN_BOUND = Duration.ofSeconds(8);

    @Test
    void aReplicaRestartedWithinTheSessionTimeoutTakesItsPartitionsBackWithoutARebalance() throws Exception {
        String bootstrap = SharedBrokers.kafka().bootstrapServers();
        String topic = SharedBrokers.unique("static-commands");
        String root = SharedBrokers.unique("static");
        String groupId = SharedBrokers.unique("static-group");
        String clientIdA = SharedBrokers.unique("replica-a");
        String clientIdB = SharedBrokers.unique("replica-b");
        KafkaTestProducer.createTopic(bootstrap, topic, PARTITIONS);
        Map<String, String> kafkaProperties = Map.of("session.timeout.ms", Long.toString(SESSION_TIMEOUT.toMillis()),
                "heartbeat.interval.ms", "500");

        try (MqttTestSubscriber subscriber = MqttTestSubscriber.subscribe(SharedBrokers.mqtt().port(), 5, 1, root + "/#");
                BridgeRuntime b = start(replica(groupId, clientIdB, topic, root, kafkaProperties))) {
            Set<TopicPartition> assignedToA;
            Consumer<byte[], byte[]> crashing = KafkaConsumers.create(groupId, bootstrap, kafkaProperties, clientIdA);
            try {
                crashing.subscribe(Set.of(topic));
                Awaitility.await("A's first life and B share the partitions").atMost(TIMEOUT).pollInSameThread()
                        .until(() -> {
                            crashing.poll(Duration.ofMillis(100));
                            return !crashing.assignment().isEmpty() && isStable(KafkaGroups.describe(bootstrap, groupId));
                        });
                assignedToA = Set.copyOf(crashing.assignment());
            } finally {
                crashing.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP));
            }
            String consumerOfB = consumerClientId(clientIdB, groupId);
            double rebalancesOfB = KafkaGroups.rebalances(consumerOfB);
            Set<TopicPartition> assignedToB = assignment(KafkaGroups.describe(bootstrap, groupId), clientIdB);
            assertThat(assignedToA).hasSize(PARTITIONS / 2);
            assertThat(assignedToB).hasSize(PARTITIONS / 2).doesNotContainAnyElementsOf(assignedToA);

            long restarted = System.nanoTime();
            try (BridgeRuntime a = start(replica(groupId, clientIdA, topic, root, kafkaProperties))) {
                Awaitility.await("A's next life owns partitions").atMost(REJOIN_BOUND)
                        .until(() -> a.kafkaToMqtt().get(0).hasAssignment());
                System.out.printf("StaticMembershipTest: the restarted replica owned its partitions after %d ms%n",
                        (System.nanoTime() - restarted) / 1_000_000);

                ConsumerGroupDescription group = KafkaGroups.describe(bootstrap, groupId);
                assertThat(group.groupState()).isEqualTo(GroupState.STABLE);
                assertThat(group.members()).hasSize(2);
                assertThat(assignment(group, clientIdA)).as("A's partitions back").isEqualTo(assignedToA);
                assertThat(assignment(group, clientIdB)).as("B's unchanged").isEqualTo(assignedToB);
                Awaitility.await("B took part in no rebalance").atMost(TIMEOUT).during(Duration.ofSeconds(1))
                        .until(() -> KafkaGroups.rebalances(consumerOfB) == rebalancesOfB);

                // Both publish their partitions' records.
                try (KafkaTestProducer producer = new KafkaTestProducer(bootstrap)) {
                    producer.sendAll(IntStream.range(0, PARTITIONS)
                            .mapToObj(partition -> new ProducerRecord<>(topic, partition, bytes("k"), bytes("to-" + partition)))
                            .toList());
                }
                Awaitility.await("a record of every partition published").atMost(TIMEOUT)
                        .until(() -> subscriber.count() == PARTITIONS);
                assertThat(subscriber.received()).extracting(MqttTestSubscriber.Received::text)
                        .containsExactlyInAnyOrder("to-0", "to-1", "to-2", "to-3");
                assertThat(KafkaGroups.rebalances(consumerOfB)).isEqualTo(rebalancesOfB);
                assertThat(KafkaGroups.describe(bootstrap, groupId).members())
                        .extracting(MemberDescription::groupInstanceId).as("static members, keyed on the client ids")
                        .containsExactlyInAnyOrder(Optional.of(clientIdA), Optional.of(clientIdB));
            }
        }
    }

    private static BridgeConfig replica(String groupId, String clientId, String topic,
            String root, Map<String, String> kafkaProperties) {
        TestConfigs configs = TestConfigs.forSharedBrokers()
                .set("bridge.id", groupId)
                .set("bridge.mqtt.client-id", clientId)
                .reverseMapping("commands", topic, root + "/{key}", 1, false, null);
        kafkaProperties.forEach((key, value) -> configs.set("bridge.kafka.properties." + key, value));
        return configs.build();
    }

    private static boolean isStable(ConsumerGroupDescription group) {
        return group.groupState() == GroupState.STABLE && group.members().size() == 2;
    }

    /** The partitions of the member that is the consumer of the replica with this MQTT client id. */
    private static Set<TopicPartition> assignment(ConsumerGroupDescription group, String replicaClientId) {
        return group.members().stream()
                .filter(member -> member.clientId().equals(consumerClientId(replicaClientId, group.groupId())))
                .map(MemberDescription::assignment)
                .flatMap(assignment -> assignment.topicPartitions().stream())
                .collect(Collectors.toSet());
    }

    /** The {@code client.id} of a replica's consumer, as {@code KafkaConsumers} names it. */
    private static String consumerClientId(String replicaClientId, String groupId) {
        return replicaClientId + "-consumer-" + groupId;
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
