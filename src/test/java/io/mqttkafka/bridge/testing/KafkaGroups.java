package io.mqttkafka.bridge.testing;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/** Reads consumer group state (committed offsets) through the Admin API. */
public final class KafkaGroups {

    private KafkaGroups() {
    }

    /** The group's committed offset for {@code topic}, summed over its partitions (0 when nothing committed). */
    public static long committedTotal(String bootstrapServers, String groupId, String topic) {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(groupId)
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            return offsets.entrySet().stream()
                    .filter(e -> e.getKey().topic().equals(topic) && e.getValue() != null)
                    .mapToLong(e -> e.getValue().offset())
                    .sum();
        } catch (Exception e) {
            throw new IllegalStateException("Could not read offsets of group " + groupId, e);
        }
    }
}
