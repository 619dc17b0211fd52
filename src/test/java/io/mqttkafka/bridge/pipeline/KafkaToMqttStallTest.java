package io.mqttkafka.bridge.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;

import org.apache.kafka.clients.producer.RecordMetadata;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.kafka.KafkaConsumers;
import io.mqttkafka.bridge.testing.KafkaGroups;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * Issue 23, item 3: a record whose publish never completes must not let its partition run ahead without bound. Before,
 * the records behind it were published and acknowledged while the committed offset stayed at it; the watermarks
 * (which count records whose publishes are out) never paused the consumer, the offset tracker kept one entry per later
 * record until the heap was gone, and a restart republished them all (devices re-execute commands).
 *
 * <p>Real Kafka; the MQTT side is a function whose publishes the test acknowledges by hand, all but the first.
 */
class KafkaToMqttStallTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final int HIGH = 100;
    private static final int LOW = 50;
    private static final int MAX_POLL_RECORDS = 40;

    /** Every publish but the first is acknowledged at once: the first stays out. */
    @Test
    void recordsBehindAStuckRecordAreBoundedByTheWatermarks() throws Exception {
        int records = 2_000;
        String topic = SharedBrokers.unique("stuck-head");
        BridgeConfig config = config(topic, "5M");

        try (HandAcknowledgedPipeline handAcknowledged = start(config, topic, records)) {
            List<CompletableFuture<Void>> publishes = handAcknowledged.publishes();
            acknowledgeAllButTheFirst(publishes, Duration.ofSeconds(3));
            assertThat(publishes.size()).as("publishes behind the stuck record")
                    .isLessThanOrEqualTo(HIGH + MAX_POLL_RECORDS);
            assertThat(handAcknowledged.pipeline().stalledPartitions()).as("not stalled yet: 5 minutes").isEmpty();

            publishes.get(0).complete(null);
            Awaitility.await("everything published once the stuck record is done").atMost(TIMEOUT).until(() -> {
                publishes.forEach(publish -> publish.complete(null));
                return KafkaGroups.committedTotal(SharedBrokers.kafka().bootstrapServers(), handAcknowledged.groupId(),
                        topic) == records;
            });
        }
    }

    /** The first record waits longer than {@code bridge.stall-timeout}: its partition is paused, counted and reported. */
    @Test
    void aPartitionWhoseOldestRecordWaitsPastTheStallTimeoutIsPausedAndReported() throws Exception {
        int records = 300;
        String topic = SharedBrokers.unique("stalled-head");
        BridgeConfig config = config(topic, "1s");

        try (HandAcknowledgedPipeline handAcknowledged = start(config, topic, records)) {
            KafkaToMqttPipeline pipeline = handAcknowledged.pipeline();
            List<CompletableFuture<Void>> publishes = handAcknowledged.publishes();
            Awaitility.await("the partition reported stalled").atMost(TIMEOUT).until(() -> {
                publishes.stream().skip(1).forEach(publish -> publish.complete(null));
                return !pipeline.stalledPartitions().isEmpty();
            });
            assertThat(pipeline.stalledPartitions()).singleElement().asString()
                    .startsWith(topic + "-0: record at offset 0 not done for");
            acknowledgeAllButTheFirst(publishes, Duration.ofSeconds(2));
            assertThat(publishes.size()).as("nothing more published while stalled").isLessThan(records);

            publishes.get(0).complete(null);
            Awaitility.await("resumed and done once the stalled record is").atMost(TIMEOUT).until(() -> {
                publishes.forEach(publish -> publish.complete(null));
                return KafkaGroups.committedTotal(SharedBrokers.kafka().bootstrapServers(), handAcknowledged.groupId(),
                        topic) == records;
            });
            assertThat(pipeline.stalledPartitions()).isEmpty();
        }
    }

    /** Acknowledges every publish but the first as it comes, until no new publish came for {@code quiet}. */
    private static void acknowledgeAllButTheFirst(List<CompletableFuture<Void>> publishes, Duration quiet) {
        int[] seen = {-1};
        Awaitility.await("no new publish for " + quiet).atMost(TIMEOUT).pollInterval(Duration.ofMillis(50))
                .during(quiet).until(() -> {
                    publishes.stream().skip(1).forEach(publish -> publish.complete(null));
                    boolean unchanged = publishes.size() == seen[0];
                    seen[0] = publishes.size();
                    return unchanged;
                });
    }

    private static BridgeConfig config(String topic, String stallTimeout) {
        return TestConfigs.forSharedBrokers()
                .set("bridge.kafka.consumer.high-watermark", Integer.toString(HIGH))
                .set("bridge.kafka.consumer.low-watermark", Integer.toString(LOW))
                .set("bridge.stall-timeout", stallTimeout)
                .reverseMapping("commands", topic, "devices/{key}/commands", 1, false, null)
                .build();
    }

    private static HandAcknowledgedPipeline start(BridgeConfig config, String topic, int records) {
        String bootstrap = SharedBrokers.kafka().bootstrapServers();
        KafkaTestProducer.createTopic(bootstrap, topic, 1);
        try (KafkaTestProducer producer = new KafkaTestProducer(bootstrap)) {
            List<Future<RecordMetadata>> acks = new ArrayList<>();
            for (int i = 0; i < records; i++) {
                acks.add(producer.send(topic, "dev-" + (i % 5), ("command " + i).getBytes(StandardCharsets.UTF_8)));
            }
            KafkaTestProducer.flushAndWait(acks);
        }
        return new HandAcknowledgedPipeline(config, groupId -> KafkaConsumers.create(groupId, bootstrap,
                Map.of("max.poll.records", Integer.toString(MAX_POLL_RECORDS)), "stall-test"), Duration.ofMillis(100));
    }
}
