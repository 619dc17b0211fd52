package io.mqttkafka.bridge.benchmark;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads one topic from its current end and feeds every record into an {@link ArrivalCounter}, on its own thread.
 * Assigned, not subscribed: no group rebalance delays the first record.
 */
final class KafkaArrivals implements AutoCloseable {

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread poller;

    private KafkaArrivals(KafkaConsumer<byte[], byte[]> consumer, ArrivalCounter counter, String topic) {
        this.consumer = consumer;
        this.poller = new Thread(() -> poll(counter), "kafka-arrivals-" + topic);
    }

    /**
     * Positions a consumer at the end of every partition of {@code topic} and starts counting. Returns only once
     * the end offsets are resolved, so everything the caller sends afterwards is counted.
     */
    static KafkaArrivals fromEnd(String bootstrapServers, String topic, ArrivalCounter counter) {
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                // Count only what a downstream consumer with the safe setting would see. The exactly-once cases rely
                // on it: a record of an aborted transaction must count neither as an arrival nor as a duplicate, and a
                // committed one arrives when its transaction commits, not when it is written.
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                .map(info -> new TopicPartition(topic, info.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        // seekToEnd is lazy: position() resolves it now, before the case starts sending.
        partitions.forEach(partition -> consumer.position(partition, Duration.ofSeconds(30)));
        KafkaArrivals arrivals = new KafkaArrivals(consumer, counter, topic);
        arrivals.poller.start();
        return arrivals;
    }

    private void poll(ArrivalCounter counter) {
        try {
            while (running.get()) {
                var records = consumer.poll(Duration.ofMillis(100));
                long now = System.nanoTime();
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    if (record.value() != null) {
                        counter.record(ByteBuffer.wrap(record.value()), now);
                    }
                }
            }
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        poller.join(Duration.ofSeconds(30).toMillis());
    }
}
