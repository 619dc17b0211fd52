package io.mqttkafka.bridge.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;

import io.mqttkafka.bridge.testing.SharedBrokers;

/**
 * The Kafka half of exactly-once QoS 2 against a real broker: records and the state snapshot commit together; a
 * restarted replica (same transactional id) fences the process it replaces, whose open transaction is aborted, and
 * restores the last committed snapshot; the fenced process can commit nothing more.
 */
class ExactlyOnceStateTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final Duration DELIVERY_TIMEOUT = Duration.ofMinutes(2);

    @Test
    void aRestartFencesTheOldProducerAbortsItsOpenTransactionAndRestoresTheLastCommittedSnapshot() throws Exception {
        String bootstrap = SharedBrokers.kafka().bootstrapServers();
        Map<String, Object> client = Map.of("bootstrap.servers", bootstrap);
        String dataTopic = SharedBrokers.unique("eos-data");
        String stateTopic = SharedBrokers.unique("eos-state");
        String prefix = SharedBrokers.unique("eos-replica");
        try (Admin admin = Admin.create(client)) {
            admin.createTopics(List.of(new NewTopic(dataTopic, 1, (short) 1))).all().get();
        }

        ExactlyOnceState crashed = ExactlyOnceState.open(bootstrap, Map.of(), DELIVERY_TIMEOUT, prefix, stateTopic, "bridge-1", TIMEOUT);
        assertThat(crashed.restoredSnapshot()).isNull();
        crashed.producer().beginTransaction();
        crashed.producer().send(new ProducerRecord<>(dataTopic, bytes("committed")));
        crashed.producer().send(crashed.stateRecord(bytes("snapshot-1")));
        crashed.producer().commitTransaction();
        crashed.producer().beginTransaction();
        crashed.producer().send(new ProducerRecord<>(dataTopic, bytes("never committed")));
        crashed.producer().send(crashed.stateRecord(bytes("snapshot-2")));
        crashed.producer().flush(); // in the log, in an open transaction: then the process "dies"

        try (ExactlyOnceState restarted = ExactlyOnceState.open(bootstrap, Map.of(), DELIVERY_TIMEOUT, prefix, stateTopic, "bridge-1", TIMEOUT)) {
            assertThat(restarted.restoredSnapshot()).asString(StandardCharsets.UTF_8).isEqualTo("snapshot-1");
            assertThat(readCommitted(bootstrap, dataTopic)).containsExactly("committed");

            // The zombie learns it was fenced at its next transactional call; nothing of it becomes visible.
            assertThatThrownBy(() -> crashed.producer().commitTransaction()).isInstanceOf(ProducerFencedException.class);
            crashed.producer().close(Duration.ZERO);

            restarted.producer().beginTransaction();
            restarted.producer().send(new ProducerRecord<>(dataTopic, bytes("after restart")));
            restarted.producer().send(restarted.stateRecord(bytes("snapshot-3")));
            restarted.producer().commitTransaction();
        }
        assertThat(readCommitted(bootstrap, dataTopic)).containsExactly("committed", "after restart");
        try (ExactlyOnceState again = ExactlyOnceState.open(bootstrap, Map.of(), DELIVERY_TIMEOUT, prefix, stateTopic, "bridge-1", TIMEOUT);
                ExactlyOnceState other = ExactlyOnceState.open(bootstrap, Map.of(), DELIVERY_TIMEOUT, SharedBrokers.unique("eos-replica"), stateTopic,
                        "bridge-2", TIMEOUT);
                Admin admin = Admin.create(client)) {
            assertThat(again.restoredSnapshot()).asString(StandardCharsets.UTF_8).isEqualTo("snapshot-3");
            assertThat(other.restoredSnapshot()).isNull();
            var config = admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, stateTopic)))
                    .all().get().values().iterator().next();
            assertThat(config.get(TopicConfig.CLEANUP_POLICY_CONFIG).value()).isEqualTo("compact");
        }
    }

    private static List<String> readCommitted(String bootstrap, String topic) {
        TopicPartition partition = new TopicPartition(topic, 0);
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition), TIMEOUT).get(partition);
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (consumer.position(partition, TIMEOUT) < end) {
                assertThat(System.nanoTime()).as("read %s to offset %d in time", partition, end).isLessThan(deadline);
                consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(new String(r.value(), StandardCharsets.UTF_8)));
            }
        }
        return values;
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
