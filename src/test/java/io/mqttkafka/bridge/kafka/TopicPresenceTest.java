package io.mqttkafka.bridge.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;

import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TopicPresenceTest {

    private static List<Node> nodes(int count) {
        return IntStream.range(0, count).mapToObj(id -> new Node(id, "kafka-" + id, 9092)).toList();
    }

    @ParameterizedTest(name = "leader={0} replicas={1} isr={2} min.insync.replicas={3} -> {4}")
    @CsvSource(nullValues = "writable", value = {
            // leader, replicas, in-sync, min.insync.replicas, reason (null: writable)
            "true,  3, 3, 2, writable",
            "true,  3, 2, 2, writable",
            "true,  3, 1, 2, 'partition 2 of topic ''readings'' has 1 in-sync replica(s), fewer than min.insync.replicas=2 requires'",
            "true,  2, 1, 2, 'partition 2 of topic ''readings'' has 1 in-sync replica(s), fewer than min.insync.replicas=2 requires'",
            "true,  3, 2, 3, 'partition 2 of topic ''readings'' has 2 in-sync replica(s), fewer than min.insync.replicas=3 requires'",
            // Kafka caps min.insync.replicas at the replication factor.
            "true,  1, 1, 2, writable",
            "true,  2, 2, 3, writable",
            "true,  3, 1, 1, writable",
            "false, 3, 0, 2, partition 2 of topic 'readings' has no leader",
            "false, 1, 0, 1, partition 2 of topic 'readings' has no leader",
    })
    void tellsWhetherAPartitionTakesAcksAllWrites(boolean hasLeader, int replicas, int inSync, int minInSync,
            String expectedReason) {
        List<Node> all = nodes(replicas);
        TopicPartitionInfo info = new TopicPartitionInfo(2, hasLeader ? all.get(0) : null, all, all.subList(0, inSync));

        Optional<String> reason = TopicPresence.unwritableReason("readings", info, minInSync);

        assertThat(reason).isEqualTo(Optional.ofNullable(expectedReason));
    }
}
