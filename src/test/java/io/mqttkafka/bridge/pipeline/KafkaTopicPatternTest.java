package io.mqttkafka.bridge.pipeline;

import static io.mqttkafka.bridge.testing.TestBridges.start;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.testing.KafkaGroups;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.MqttTestSubscriber;
import io.mqttkafka.bridge.testing.MqttTestSubscriber.Received;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * Issue 24: {@code kafka-topic-pattern} end to end. Every topic whose whole name matches is published, a topic
 * created while the bridge runs included; a topic that only contains a match is not.
 */
class KafkaTopicPatternTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /**
     * The consumer sees a new topic only when it refreshes its metadata, at the latest {@code metadata.max.age.ms}
     * after the topic exists. The bridge leaves it at Kafka's default (5 minutes); the test lowers it.
     */
    private static final Duration METADATA_MAX_AGE = Duration.ofSeconds(1);
    /**
     * After the refresh: the consumer rejoins its group (one member) for the new topic, fetches from the earliest
     * offset and publishes; the whole took 2.4 s after the topic was created on the 2-core development machine.
     */
    private static final Duration NEW_TOPIC_MARGIN = Duration.ofSeconds(5);

    @Test
    void everyMatchingTopicIsPublishedIncludingOneCreatedWhileTheBridgeRuns() throws Exception {
        String bootstrap = SharedBrokers.kafka().bootstrapServers();
        String prefix = SharedBrokers.unique("pattern");
        String root = SharedBrokers.unique("pattern-out");
        String existing = prefix + ".existing";
        String later = prefix + ".later";
        // Contains a match, but the whole name does not match.
        String containing = "x" + prefix + ".other";
        KafkaTestProducer.createTopic(bootstrap, existing, 2);
        KafkaTestProducer.createTopic(bootstrap, containing, 1);
        TestConfigs configs = TestConfigs.forSharedBrokers()
                .set("bridge.kafka.properties.metadata.max.age.ms", Long.toString(METADATA_MAX_AGE.toMillis()))
                .reverseMapping("by-pattern", "~" + prefix + "\\..+", root + "/{topic}/{key}", 1, false, null);
        String groupId = configs.build().id();

        try (MqttTestSubscriber subscriber = MqttTestSubscriber.subscribe(SharedBrokers.mqtt().port(), 5, 1, root + "/#");
                BridgeRuntime bridge = start(configs.build());
                KafkaTestProducer producer = new KafkaTestProducer(bootstrap)) {
            producer.send(containing, "k", bytes("not matched")).get();
            producer.send(existing, "k", bytes("from existing")).get();
            Awaitility.await("the existing topic's record").atMost(TIMEOUT).until(() -> subscriber.count() == 1);

            KafkaTestProducer.createTopic(bootstrap, later, 1);
            long created = System.nanoTime();
            producer.send(later, "k", bytes("from later")).get();
            Awaitility.await("the new topic's record").atMost(METADATA_MAX_AGE.plus(NEW_TOPIC_MARGIN))
                    .until(() -> subscriber.count() == 2);
            System.out.printf("KafkaTopicPatternTest: a topic created while running was published after %d ms%n",
                    (System.nanoTime() - created) / 1_000_000);

            Awaitility.await("both committed").atMost(TIMEOUT)
                    .until(() -> KafkaGroups.committedTotal(bootstrap, groupId, existing) == 1
                            && KafkaGroups.committedTotal(bootstrap, groupId, later) == 1);
            assertThat(KafkaGroups.committedTotal(bootstrap, groupId, containing)).as("never read").isZero();
            assertThat(subscriber.received()).extracting(Received::topic, Received::text).containsExactly(
                    tuple(root + "/" + existing + "/k", "from existing"),
                    tuple(root + "/" + later + "/k", "from later"));
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
