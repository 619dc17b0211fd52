package io.mqttkafka.bridge.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.mqttkafka.bridge.testing.FreePorts;
import io.mqttkafka.bridge.dev.EmbeddedKafkaBroker;
import io.mqttkafka.bridge.testing.SharedBrokers;

class TopicPresenceTest {

    /**
     * Nothing listens on the bootstrap port, so no question is answered before the check timeout: questions
     * asked meanwhile must share the one in flight, and afterwards a new question starts a new request.
     */
    @Test
    void concurrentQuestionsAboutOneTopicOrPartitionShareOneRequest() {
        try (TopicPresence presence = new TopicPresence("127.0.0.1:" + FreePorts.next(), Map.of(), "coalescing-test",
                Duration.ofMillis(500), Duration.ofSeconds(30))) {
            CompletableFuture<Optional<String>> first = presence.unwritableReason("readings", 2);
            CompletableFuture<Boolean> firstMissing = presence.checkMissing("readings");

            assertThat(presence.unwritableReason("readings", 2)).isSameAs(first);
            assertThat(presence.unwritableReason("readings", 1)).isNotSameAs(first);
            assertThat(presence.unwritableReason("other", 2)).isNotSameAs(first);
            assertThat(presence.checkMissing("readings")).isSameAs(firstMissing);

            assertThat(first.orTimeout(30, TimeUnit.SECONDS).join()).as("no answer is an outage, not a reason").isEmpty();
            assertThat(firstMissing.orTimeout(30, TimeUnit.SECONDS).join()).as("no answer is not missing").isFalse();
            assertThat(presence.unwritableReason("readings", 2)).isNotSameAs(first);
            assertThat(presence.checkMissing("readings")).isNotSameAs(firstMissing);
        }
    }

    /**
     * Per-device poison topic names must not grow the memory of missing topics without bound: past the cap the
     * oldest are forgotten (a message to one of them costs one more lookup), the newest are still known.
     */
    @Test
    void remembersABoundedNumberOfMissingTopics() {
        int cap = 8;
        try (EmbeddedKafkaBroker withoutAutoCreation = EmbeddedKafkaBroker.start(Map.of("auto.create.topics.enable", "false"));
                TopicPresence presence = new TopicPresence(withoutAutoCreation.bootstrapServers(), Map.of(),
                "bounded-test", Duration.ofSeconds(10), Duration.ofMinutes(10), cap)) {
            List<String> names = IntStream.range(0, 5 * cap).mapToObj(i -> SharedBrokers.unique("no-such-device")).toList();

            for (String name : names) {
                assertThat(presence.checkMissing(name).orTimeout(30, TimeUnit.SECONDS).join()).as(name).isTrue();
                assertThat(presence.rememberedMissing()).isLessThanOrEqualTo(cap);
            }

            assertThat(names.subList(names.size() - cap, names.size())).allMatch(presence::isKnownMissing);
            assertThat(names.subList(0, names.size() - cap)).noneMatch(presence::isKnownMissing);
        }
    }

    /**
     * With auto-creation on, a topic that does not exist yet is created by the producer's next metadata request: it is
     * not missing. (A metadata wait that timed out while the cluster was away, and is checked just as it comes back,
     * must not send the message to the failure strategy; before, it did, and a dead-letter topic not yet created
     * stopped the direction.)
     */
    @Test
    void aTopicThatDoesNotExistYetIsNotMissingWhenTheClusterCreatesTopicsOnDemand() {
        try (TopicPresence presence = new TopicPresence(SharedBrokers.kafka().bootstrapServers(), Map.of(),
                "auto-creation-test", Duration.ofSeconds(10), Duration.ofMinutes(10))) {
            String name = SharedBrokers.unique("created-on-demand");
            assertThat(presence.exists(name).orTimeout(30, TimeUnit.SECONDS).join()).as("exists").contains(false);
            assertThat(presence.checkMissing(name).orTimeout(30, TimeUnit.SECONDS).join()).as("missing").isFalse();
            assertThat(presence.isKnownMissing(name)).isFalse();
        }
    }

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
