package io.mqttkafka.bridge.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetCommitCallback;
import org.apache.kafka.clients.consumer.RetriableCommitFailedException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.kafka.KafkaConsumers;
import io.mqttkafka.bridge.testing.KafkaBrokerProcess;
import io.mqttkafka.bridge.testing.KafkaGroups;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * An offset commit that fails (here: Kafka, and with it the group coordinator, is away at the moment the records
 * are done) is made again once Kafka is back, although the partition has gone idle and nothing new is done: else
 * the group's lag looks stuck and a restart republishes records that were delivered.
 *
 * <p>Kafka runs as its own process so that it can go away and come back; the MQTT side is a function whose
 * publishes the test acknowledges by hand, so that the records become done exactly while Kafka is away.
 */
class KafkaToMqttCommitRetryTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final int RECORDS = 5;

    @Test
    void aCommitThatFailedIsMadeAgainWhenThePartitionIsIdle() {
        try (KafkaBrokerProcess kafka = KafkaBrokerProcess.start(Map.of())) {
            commitFailsWhileKafkaIsAwayAndIsMadeAgainAfter(kafka);
        }
    }

    private static void commitFailsWhileKafkaIsAwayAndIsMadeAgainAfter(KafkaBrokerProcess kafka) {
        String topic = SharedBrokers.unique("commit-retry");
        String bootstrap = kafka.bootstrapServers();
        KafkaTestProducer.createTopic(bootstrap, topic, 1);
        BridgeConfig config = TestConfigs.forSharedBrokers()
                .set("bridge.kafka.bootstrap-servers", bootstrap)
                .reverseMapping("commands", topic, "devices/{key}/commands", 1, false, null)
                .build();
        AtomicInteger failedCommits = new AtomicInteger();

        try (KafkaTestProducer producer = new KafkaTestProducer(bootstrap)) {
            send(producer, topic);
            try (HandAcknowledgedPipeline handAcknowledged = new HandAcknowledgedPipeline(config,
                    groupId -> countingFailedCommits(KafkaConsumers.create(groupId, bootstrap, Map.of(),
                            "commit-retry-test"), failedCommits),
                    Duration.ofMillis(100))) {
                List<CompletableFuture<Void>> publishes = handAcknowledged.publishes();
                Awaitility.await("every record handed to MQTT").atMost(TIMEOUT).until(() -> publishes.size() == RECORDS);

                kafka.stop();
                publishes.forEach(publish -> publish.complete(null));
                Awaitility.await("the commit of the done records failed while Kafka is away").atMost(TIMEOUT)
                        .until(() -> failedCommits.get() > 0);
                kafka.startAgain();

                Awaitility.await("the offset committed after Kafka came back, with no record done since")
                        .atMost(TIMEOUT).ignoreExceptions()
                        .until(() -> KafkaGroups.committedTotal(bootstrap, handAcknowledged.groupId(), topic) == RECORDS);
                assertThat(publishes).as("nothing new published meanwhile").hasSize(RECORDS);
            }
        }
    }

    /**
     * The partition is taken away and given back (a member joins the group) while the commit of its published records
     * keeps failing: the consumer resumes after what it published, not at the group's stale committed offset, and
     * commits that offset once commits work again. Before, it published the records again (a flaky failure of the
     * test above, when the restarted coordinator made the consumer rejoin).
     */
    @Test
    void aPartitionAssignedAgainAfterAFailedCommitResumesAfterWhatWasPublished() {
        String topic = SharedBrokers.unique("reassigned");
        String bootstrap = SharedBrokers.kafka().bootstrapServers();
        KafkaTestProducer.createTopic(bootstrap, topic, 1);
        BridgeConfig config = TestConfigs.forSharedBrokers()
                .reverseMapping("commands", topic, "devices/{key}/commands", 1, false, null)
                .build();
        AtomicBoolean refuseCommits = new AtomicBoolean();
        AtomicInteger failedCommits = new AtomicInteger();

        try (KafkaTestProducer producer = new KafkaTestProducer(bootstrap)) {
            send(producer, topic);
            try (HandAcknowledgedPipeline handAcknowledged = new HandAcknowledgedPipeline(config,
                    groupId -> refusingCommits(KafkaConsumers.create(groupId, bootstrap, Map.of(), "reassigned-test"),
                            refuseCommits, failedCommits),
                    Duration.ofMillis(100))) {
                List<CompletableFuture<Void>> publishes = handAcknowledged.publishes();
                Awaitility.await("every record handed to MQTT").atMost(TIMEOUT).until(() -> publishes.size() == RECORDS);
                refuseCommits.set(true);
                publishes.forEach(publish -> publish.complete(null));
                Awaitility.await("the commit of the done records failed").atMost(TIMEOUT)
                        .until(() -> failedCommits.get() > 0);

                // A second static member joins and leaves: the eager range assignment revokes the partition and gives
                // it back to the bridge's consumer (its instance id sorts first) each time.
                try (KafkaConsumer<byte[], byte[]> joining = new KafkaConsumer<>(Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                        ConsumerConfig.GROUP_ID_CONFIG, handAcknowledged.groupId(),
                        ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "zz-joining-member",
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"),
                        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                    joining.subscribe(List.of(topic));
                    Awaitility.await("the second member joined").atMost(TIMEOUT).pollInterval(Duration.ofMillis(10))
                            .until(() -> {
                                joining.poll(Duration.ofMillis(100));
                                return KafkaGroups.describe(bootstrap, handAcknowledged.groupId()).members().size() == 2;
                            });
                }
                refuseCommits.set(false);

                Awaitility.await("the offset after the published records committed").atMost(TIMEOUT).ignoreExceptions()
                        .until(() -> KafkaGroups.committedTotal(bootstrap, handAcknowledged.groupId(), topic) == RECORDS);
                assertThat(publishes).as("nothing published again").hasSize(RECORDS);
            }
        }
    }

    /** The consumer as it is, except that while {@code refuse} is set its commits fail, counted in {@code failures}. */
    @SuppressWarnings("unchecked")
    private static Consumer<byte[], byte[]> refusingCommits(Consumer<byte[], byte[]> consumer, AtomicBoolean refuse,
            AtomicInteger failures) {
        return (Consumer<byte[], byte[]>) Proxy.newProxyInstance(Consumer.class.getClassLoader(),
                new Class<?>[] {Consumer.class}, (proxy, method, arguments) -> {
                    if (refuse.get() && method.getName().equals("commitAsync") && arguments != null
                            && arguments.length == 2) {
                        failures.incrementAndGet();
                        ((OffsetCommitCallback) arguments[1]).onComplete((Map<TopicPartition, OffsetAndMetadata>)
                                arguments[0], new RetriableCommitFailedException("test: commit refused"));
                        return null;
                    }
                    if (refuse.get() && method.getName().equals("commitSync")) {
                        failures.incrementAndGet();
                        throw new org.apache.kafka.common.errors.TimeoutException("test: commit refused");
                    }
                    try {
                        return method.invoke(consumer, arguments);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /** The consumer as it is, except that it counts the failed answers to asynchronous commits. */
    @SuppressWarnings("unchecked")
    private static Consumer<byte[], byte[]> countingFailedCommits(Consumer<byte[], byte[]> consumer,
            AtomicInteger failures) {
        return (Consumer<byte[], byte[]>) Proxy.newProxyInstance(Consumer.class.getClassLoader(),
                new Class<?>[] {Consumer.class}, (proxy, method, arguments) -> {
                    if (method.getName().equals("commitAsync") && arguments != null && arguments.length == 2) {
                        OffsetCommitCallback callback = (OffsetCommitCallback) arguments[1];
                        arguments[1] = (OffsetCommitCallback) (offsets, failure) -> {
                            if (failure != null) {
                                failures.incrementAndGet();
                            }
                            callback.onComplete(offsets, failure);
                        };
                    }
                    try {
                        return method.invoke(consumer, arguments);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private static void send(KafkaTestProducer producer, String topic) {
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        for (int i = 0; i < RECORDS; i++) {
            acks.add(producer.send(topic, "dev-" + i, ("command " + i).getBytes(StandardCharsets.UTF_8)));
        }
        KafkaTestProducer.flushAndWait(acks);
    }
}
