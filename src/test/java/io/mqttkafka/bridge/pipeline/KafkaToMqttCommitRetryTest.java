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
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetCommitCallback;
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
