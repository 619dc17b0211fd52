package io.mqttkafka.bridge.pipeline;

import static io.mqttkafka.bridge.testing.TestBridges.start;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.apache.kafka.clients.producer.RecordMetadata;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.config.BridgeConfig;
import io.mqttkafka.bridge.testing.KafkaGroups;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.MqttTestSubscriber;
import io.mqttkafka.bridge.testing.PacedLoad;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * Scale-out: two replicas (same bridge id and group, their own MQTT client ids) share the partitions of a
 * topic while records keep coming; one joins mid-stream and the other leaves mid-stream. Both rebalances
 * hand partitions over without losing a record and without committing past one that was not delivered.
 */
class KafkaToMqttScaleOutTest {

    /**
     * Bound on each wait below. Measured: the whole test took 12.7 s in the clean-clone CI run of 2026-12-05 (2 cores,
     * the full suite around it); the longest single wait is a rebalance, which the bridge may hold for its
     * {@code revoke-timeout} (10 s by default) when a publish is unfinished. 120 s covers that wait many times over.
     */
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final int RECORDS = 6000;
    private static final int BATCH = 10;

    @Test
    void replicasShareThePartitionsAndRebalancesLoseNothing() throws Exception {
        String root = SharedBrokers.unique("fleet");
        String topic = SharedBrokers.unique("fleet-commands");
        String bootstrap = SharedBrokers.kafka().bootstrapServers();
        KafkaTestProducer.createTopic(bootstrap, topic, 6);
        TestConfigs replicaA = TestConfigs.forSharedBrokers()
                .reverseMapping("commands", topic, root + "/{key}", 1, false, null);
        String bridgeId = replicaA.build().id();
        BridgeConfig configA = replicaA.build();
        BridgeConfig configB = TestConfigs.forSharedBrokers()
                .set("bridge.id", bridgeId)
                .reverseMapping("commands", topic, root + "/{key}", 1, false, null)
                .build();

        try (MqttTestSubscriber subscriber = MqttTestSubscriber.subscribe(SharedBrokers.mqtt().port(), 5, 1, root + "/#");
                KafkaTestProducer producer = new KafkaTestProducer(bootstrap)) {
            BridgeRuntime a = start(configA);
            BridgeRuntime b = null;
            List<Future<RecordMetadata>> acks = new CopyOnWriteArrayList<>();
            try (PacedLoad produced = PacedLoad.start(RECORDS / BATCH, Duration.ofMillis(20), n -> {
                for (int i = n * BATCH; i < (n + 1) * BATCH; i++) {
                    acks.add(producer.send(topic, "device-" + (i % 60), ("c-" + i).getBytes(StandardCharsets.UTF_8)));
                }
            })) {

                Awaitility.await("first replica delivering").atMost(TIMEOUT).until(() -> subscriber.count() >= 300);
                b = start(configB);
                KafkaToMqttPipeline pipelineA = a.kafkaToMqtt().get(0);
                KafkaToMqttPipeline pipelineB = b.kafkaToMqtt().get(0);
                Awaitility.await("both replicas own partitions").atMost(TIMEOUT)
                        .until(() -> pipelineA.hasAssignment() && pipelineB.hasAssignment());
                assertThat(produced.remainingBatches()).as("the second replica joined mid-stream").isPositive();

                a.close();
                a = null;
                assertThat(produced.remainingBatches()).as("the first replica left mid-stream").isPositive();
                assertThat(produced.await(Duration.ofSeconds(60))).isTrue();
                KafkaTestProducer.flushAndWait(acks);

                Awaitility.await("every record on MQTT").atMost(TIMEOUT).until(() -> copies(subscriber).size() == RECORDS);
                Awaitility.await("every offset committed by the remaining replica").atMost(TIMEOUT)
                        .until(() -> KafkaGroups.committedTotal(bootstrap, bridgeId, topic) == RECORDS);
                long duplicates = copies(subscriber).values().stream().mapToLong(c -> c - 1).sum();
                System.out.printf("Scale-out: %d records across a join and a leave, %d duplicates%n", RECORDS, duplicates);
            } finally {
                if (a != null) {
                    a.close();
                }
                if (b != null) {
                    b.close();
                }
            }
        }
    }

    private static Map<String, Long> copies(MqttTestSubscriber subscriber) {
        return subscriber.received().stream().map(MqttTestSubscriber.Received::text)
                .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
    }
}
