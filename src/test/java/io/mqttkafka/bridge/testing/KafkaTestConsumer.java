package io.mqttkafka.bridge.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.awaitility.Awaitility;

/**
 * Reads whole topics from the beginning, by partition assignment (no consumer group, so no rebalance
 * delay), until a condition holds.
 */
public final class KafkaTestConsumer {

    private KafkaTestConsumer() {
    }

    /** Waits until the topic holds at least {@code count} records, then returns all of them. */
    public static List<ConsumerRecord<byte[], byte[]>> readAtLeast(String bootstrapServers, String topic, int count,
            Duration timeout) {
        return readUntil(bootstrapServers, topic, records -> records.size() >= count, timeout);
    }

    /**
     * Polls the topic (all partitions, from the beginning) until {@code done} accepts what was read, and then up
     * to the partitions' end offsets at that moment, so that extra records (duplicates) already written are seen too.
     */
    public static List<ConsumerRecord<byte[], byte[]>> readUntil(String bootstrapServers, String topic,
            Predicate<List<ConsumerRecord<byte[], byte[]>>> done, Duration timeout) {
        return readUntil(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers), topic, done, timeout);
    }

    /** As {@link #readAtLeast(String, String, int, Duration)}, on a cluster that needs more than its address (SASL). */
    public static List<ConsumerRecord<byte[], byte[]>> readAtLeast(Map<String, Object> clientProperties, String topic,
            int count, Duration timeout) {
        return readUntil(clientProperties, topic, records -> records.size() >= count, timeout);
    }

    /** As {@link #readUntil(String, String, Predicate, Duration)}, with the client properties given (SASL). */
    public static List<ConsumerRecord<byte[], byte[]>> readUntil(Map<String, Object> clientProperties, String topic,
            Predicate<List<ConsumerRecord<byte[], byte[]>>> done, Duration timeout) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        Map<String, Object> settings = new java.util.HashMap<>(clientProperties);
        settings.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        settings.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        settings.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(4 * 1024 * 1024));
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(settings,
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            Awaitility.await("topic " + topic + " to exist").atMost(timeout).until(() -> {
                List<PartitionInfo> info = consumer.partitionsFor(topic, Duration.ofSeconds(2));
                if (info == null || info.isEmpty()) {
                    return false;
                }
                info.forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
                return true;
            });
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Awaitility.await("records in " + topic).atMost(timeout).pollInterval(Duration.ofMillis(10))
                    .pollDelay(Duration.ZERO).until(() -> {
                        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                        return done.test(records);
                    });
            readToEndOffsets(consumer, partitions, records, timeout);
        }
        return records;
    }

    /**
     * Reads on until every partition is read up to its end offset as of now: whatever reached the topic by the time
     * the condition held (a duplicate right behind the expected records included) is in the result, however slowly it
     * is fetched. A fixed extra poll let a late duplicate escape.
     */
    private static void readToEndOffsets(KafkaConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions,
            List<ConsumerRecord<byte[], byte[]>> records, Duration timeout) {
        Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(30));
        Awaitility.await("read up to the end offsets " + ends).atMost(timeout).pollInterval(Duration.ofMillis(10))
                .pollDelay(Duration.ZERO).until(() -> {
                    if (ends.entrySet().stream().allMatch(end -> consumer.position(end.getKey()) >= end.getValue())) {
                        return true;
                    }
                    consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                    return false;
                });
    }

    /** Reads whatever the topic holds now (waiting at most {@code wait} for more), possibly nothing. */
    public static List<ConsumerRecord<byte[], byte[]>> readAvailable(String bootstrapServers, String topic,
            Duration wait) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> info = consumer.partitionsFor(topic, Duration.ofSeconds(5));
            if (info == null || info.isEmpty()) {
                return records;
            }
            List<TopicPartition> partitions = info.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + wait.toNanos();
            while (System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(100)).forEach(records::add);
            }
        }
        return records;
    }

    /** The records' values as UTF-8 text, in order. */
    public static List<String> texts(List<ConsumerRecord<byte[], byte[]>> records) {
        return records.stream().map(r -> new String(r.value(), java.nio.charset.StandardCharsets.UTF_8)).toList();
    }

    public static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        var header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Every header of the record in order, names with their values as UTF-8 (null for a null value). */
    public static List<Map.Entry<String, String>> headers(ConsumerRecord<byte[], byte[]> record) {
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        record.headers().forEach(h -> headers.add(new java.util.AbstractMap.SimpleEntry<>(h.key(),
                h.value() == null ? null : new String(h.value(), java.nio.charset.StandardCharsets.UTF_8))));
        return headers;
    }
}
