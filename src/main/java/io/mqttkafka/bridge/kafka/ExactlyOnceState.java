package io.mqttkafka.bridge.kafka;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Utils;

/**
 * Exactly-once QoS 2 (docs/design.md): the replica's transactional producer and its state topic. {@link #open} fences
 * the producer of the process this one replaces (same {@code transactional.id}), which aborts its open transaction,
 * and only then reads the state topic to its end with {@code read_committed}: the last snapshot for the MQTT client id
 * is the table that goes with the records committed. Each transaction that changes the table carries a snapshot
 * ({@link #stateRecord}), so records and table commit together or not at all.
 *
 * <p>{@code pipeline.ExactlyOnceWriter} uses the producer; {@code BridgeRuntime} opens this before the subscriber
 * connects.
 */
public final class ExactlyOnceState implements AutoCloseable {

    /** Snapshots are small and frequent: small segments keep the part compaction has not reached short to read. */
    static final Map<String, String> STATE_TOPIC_CONFIG = Map.of(
            TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
            TopicConfig.SEGMENT_BYTES_CONFIG, Integer.toString(16 * 1024 * 1024),
            TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_CONFIG, "0.1");

    /** Makes a new transactional producer with the same settings; null for a state made with {@link #over}. */
    private final Supplier<Producer<byte[], byte[]>> producers;
    private volatile Producer<byte[], byte[]> producer;
    private final String stateTopic;
    private final byte[] key;
    private final int partition;
    private final byte[] restored;

    private ExactlyOnceState(Supplier<Producer<byte[], byte[]>> producers, Producer<byte[], byte[]> producer,
            String stateTopic, byte[] key, int partition, byte[] restored) {
        this.producers = producers;
        this.producer = producer;
        this.stateTopic = stateTopic;
        this.key = key;
        this.partition = partition;
        this.restored = restored;
    }

    /** The {@code transactional.id} of a replica's exactly-once producer. */
    public static String transactionalId(String prefix) {
        return prefix + "-mqtt-to-kafka";
    }

    /**
     * Creates the state topic if missing, starts the transactional producer (fencing the previous one with the same id)
     * and restores the last committed snapshot of {@code clientId}.
     *
     * @param userProperties {@code bridge.kafka.properties}; each client gets the keys it knows
     * @param deliveryTimeout {@code bridge.kafka.delivery-timeout}, as for the other QoS 1/2 writes
     * @param timeout bounds the topic creation and the reading of the state
     */
    public static ExactlyOnceState open(String bootstrapServers, Map<String, String> userProperties,
            Duration deliveryTimeout, String transactionalIdPrefix, String stateTopic, String clientId, Duration timeout)
            throws InterruptedException, ExecutionException, TimeoutException {
        Map<String, Object> clientProperties = new HashMap<>(userProperties);
        clientProperties.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        int partitions = ensureTopic(ClientProperties.retainFor(new HashMap<>(clientProperties),
                AdminClientConfig.configNames()), stateTopic, timeout);
        byte[] key = clientId.getBytes(StandardCharsets.UTF_8);
        int partition = Utils.toPositive(Utils.murmur2(key)) % partitions;
        String transactionalId = transactionalId(transactionalIdPrefix);
        // The reliable profile's settings (acks=all, idempotence, its tuned defaults, the user's properties), transactional.
        Map<String, Object> settings = KafkaProducers.settings(ProducerProfile.RELIABLE, bootstrapServers, userProperties,
                transactionalId, deliveryTimeout);
        settings.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        settings.put(ProducerConfig.CLIENT_ID_CONFIG, transactionalId);
        Supplier<Producer<byte[], byte[]>> producers = () -> new KafkaProducer<>(settings, new ByteArraySerializer(),
                new ByteArraySerializer());
        Producer<byte[], byte[]> producer = producers.get();
        try {
            producer.initTransactions();
            byte[] restored = readLast(ClientProperties.retainFor(new HashMap<>(clientProperties),
                    ConsumerConfig.configNames()), new TopicPartition(stateTopic, partition), key, timeout);
            return new ExactlyOnceState(producers, producer, stateTopic, key, partition, restored);
        } catch (RuntimeException | TimeoutException e) {
            producer.close(Duration.ZERO);
            throw e;
        }
    }

    /**
     * A state over a transactional producer made elsewhere ({@code initTransactions()} already called), with the state
     * topic's partition 0 and a snapshot restored by the caller: for tests of the transactions' users, with Kafka's
     * {@code MockProducer}.
     */
    public static ExactlyOnceState over(Producer<byte[], byte[]> producer, String stateTopic, String clientId,
            byte[] restored) {
        return over(producer, null, stateTopic, clientId, restored);
    }

    /**
     * As {@link #over(Producer, String, String, byte[])}, with {@code renewals} for {@link #renewProducer()} (null: it
     * cannot renew).
     */
    public static ExactlyOnceState over(Producer<byte[], byte[]> producer, Supplier<Producer<byte[], byte[]>> renewals,
            String stateTopic, String clientId, byte[] restored) {
        return new ExactlyOnceState(renewals, producer, stateTopic, clientId.getBytes(StandardCharsets.UTF_8), 0,
                restored);
    }

    /** The last committed snapshot of this client id, or null if it never committed one. */
    public byte[] restoredSnapshot() {
        return restored;
    }

    public Producer<byte[], byte[]> producer() {
        return producer;
    }

    /**
     * Replaces a producer that Kafka's client put in a fatal state without another process being involved (e.g.
     * {@code InvalidTxnStateException} at a commit after the coordinator aborted the transaction for outliving
     * {@code transaction.timeout.ms}): closes it and starts a new one with the same {@code transactional.id}, whose
     * {@code initTransactions()} aborts whatever the old one left open. Never for {@code ProducerFencedException}: that
     * means another process owns the id, and taking it back would fence that process in turn.
     *
     * @throws org.apache.kafka.common.KafkaException when the new producer cannot be initialised (Kafka unreachable:
     *         try again later)
     * @throws IllegalStateException for a state made with {@link #over} (no settings to make a producer with)
     */
    public Producer<byte[], byte[]> renewProducer() {
        if (producers == null) {
            throw new IllegalStateException("this exactly-once state cannot make a new producer");
        }
        producer.close(Duration.ZERO);
        Producer<byte[], byte[]> renewed = producers.get();
        try {
            renewed.initTransactions();
        } catch (RuntimeException e) {
            // Kept so that the next renewal closes it; until then the writer has no usable producer and waits.
            producer = renewed;
            throw e;
        }
        producer = renewed;
        return renewed;
    }

    /** The record that carries {@code snapshot} in the open transaction. */
    public ProducerRecord<byte[], byte[]> stateRecord(byte[] snapshot) {
        return new ProducerRecord<>(stateTopic, partition, key, snapshot);
    }

    private static int ensureTopic(Map<String, Object> clientProperties, String topic, Duration timeout)
            throws InterruptedException, ExecutionException, TimeoutException {
        try (Admin admin = Admin.create(clientProperties)) {
            try {
                // The creation's own answer: a topic just created may not be in every broker's metadata yet.
                return admin.createTopics(List.of(new NewTopic(topic, 1, (short) -1).configs(STATE_TOPIC_CONFIG)))
                        .numPartitions(topic).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
            return admin.describeTopics(Set.of(topic)).allTopicNames().get(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    .get(topic).partitions().size();
        }
    }

    /** Reads the partition from its start to its last stable offset; the last value under {@code key} wins. */
    private static byte[] readLast(Map<String, Object> clientProperties, TopicPartition partition, byte[] key,
            Duration timeout) throws TimeoutException {
        Map<String, Object> settings = new HashMap<>(clientProperties);
        settings.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        settings.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        settings.remove(ConsumerConfig.GROUP_ID_CONFIG);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(settings, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition), timeout).get(partition);
            long deadline = System.nanoTime() + timeout.toNanos();
            byte[] last = null;
            while (consumer.position(partition, timeout) < end) {
                if (System.nanoTime() > deadline) {
                    throw new TimeoutException("reading the exactly-once state " + partition + " to offset " + end
                            + " took longer than " + timeout);
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (Arrays.equals(record.key(), key)) {
                        last = record.value();
                    }
                }
            }
            return last;
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
