package io.mqttkafka.bridge.pipeline;

import static io.mqttkafka.bridge.testing.TestBridges.start;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import io.mqttkafka.bridge.BridgeRuntime;
import io.mqttkafka.bridge.testing.KafkaGroups;
import io.mqttkafka.bridge.testing.KafkaTestProducer;
import io.mqttkafka.bridge.testing.MqttTestSubscriber;
import io.mqttkafka.bridge.testing.SharedBrokers;
import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * Issue 24: the Kafka → MQTT consumers read with {@code isolation.level=read_committed} by default (README,
 * configuration): records of an aborted transaction never reach devices, those of committed ones do, and the
 * partition is committed past the aborted ones.
 */
class ReadCommittedTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Test
    void recordsOfAnAbortedTransactionAreNeverPublished() throws Exception {
        String bootstrap = SharedBrokers.kafka().bootstrapServers();
        String topic = SharedBrokers.unique("tx-commands");
        String root = SharedBrokers.unique("tx");
        KafkaTestProducer.createTopic(bootstrap, topic, 1);
        TestConfigs configs = TestConfigs.forSharedBrokers()
                .reverseMapping("commands", topic, root + "/{key}", 1, false, null);
        String groupId = configs.build().id();

        try (MqttTestSubscriber subscriber = MqttTestSubscriber.subscribe(SharedBrokers.mqtt().port(), 5, 1, root + "/#");
                BridgeRuntime bridge = start(configs.build());
                KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                        ProducerConfig.TRANSACTIONAL_ID_CONFIG, SharedBrokers.unique("tx-producer")),
                        new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            transaction(producer, topic, "committed", 0, 3, true);
            transaction(producer, topic, "aborted", 0, 3, false);
            RecordMetadata last = transaction(producer, topic, "committed", 3, 6, true);

            Awaitility.await("the committed records published").atMost(TIMEOUT)
                    .until(() -> subscriber.received().stream().anyMatch(m -> m.text().equals("committed-5")));
            // One partition, published in offset order: the aborted records, between the two committed transactions,
            // would have come before the last one.
            assertThat(subscriber.received()).extracting(MqttTestSubscriber.Received::text).containsExactly(
                    "committed-0", "committed-1", "committed-2", "committed-3", "committed-4", "committed-5");
            Awaitility.await("committed past the aborted records").atMost(TIMEOUT)
                    .until(() -> KafkaGroups.committedTotal(bootstrap, groupId, topic) == last.offset() + 1);
        }
    }

    /** Sends records {@code label-from} .. {@code label-(to-1)} in one transaction; returns the last one's metadata. */
    private static RecordMetadata transaction(KafkaProducer<byte[], byte[]> producer, String topic, String label, int from,
            int to, boolean commit) throws Exception {
        producer.beginTransaction();
        List<Future<RecordMetadata>> sent = IntStream.range(from, to)
                .mapToObj(i -> producer.send(new ProducerRecord<>(topic, bytes("k"), bytes(label + "-" + i))))
                .toList();
        // Written to the log before the transaction ends: an aborted record is there, marked as aborted.
        producer.flush();
        RecordMetadata last = sent.get(sent.size() - 1).get(30, TimeUnit.SECONDS);
        if (commit) {
            producer.commitTransaction();
        } else {
            producer.abortTransaction();
        }
        return last;
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
