package io.mqttkafka.bridge.testing;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import javax.management.JMException;
import javax.management.ObjectName;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/** Reads consumer group state (committed offsets, members) through the Admin API, and consumers' own metrics. */
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

    /** The group as its coordinator describes it: state, members, their instance ids and assignments. */
    public static ConsumerGroupDescription describe(String bootstrapServers, String groupId) {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
            return admin.describeConsumerGroups(List.of(groupId)).describedGroups().get(groupId).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("Could not describe group " + groupId, e);
        }
    }

    /**
     * The rebalances the consumer with {@code clientId} in this JVM has taken part in (its first join included), from
     * the {@code rebalance-total} metric the Kafka client publishes over JMX (its default metrics reporter). Test client
     * ids need no JMX quoting.
     */
    public static double rebalances(String clientId) {
        try {
            return ((Number) ManagementFactory.getPlatformMBeanServer().getAttribute(new ObjectName(
                    "kafka.consumer:type=consumer-coordinator-metrics,client-id=" + clientId), "rebalance-total"))
                    .doubleValue();
        } catch (JMException e) {
            throw new IllegalStateException("No coordinator metrics of consumer " + clientId, e);
        }
    }
}
