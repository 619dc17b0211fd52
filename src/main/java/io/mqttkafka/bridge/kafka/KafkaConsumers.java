package io.mqttkafka.bridge.kafka;

import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Creates the Kafka → MQTT direction's consumers, one per consumer group. */
public final class KafkaConsumers {

    /**
     * Defaults that {@code bridge.kafka.properties} may override. A new group starts at the earliest
     * offset, so commands produced before the bridge's first start are not skipped; records of aborted
     * transactions are never published to devices.
     */
    static final Map<String, String> DEFAULTS = Map.of(
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");

    private KafkaConsumers() {
    }

    /**
     * The effective consumer settings: defaults, then the user's properties (only those a consumer knows, and the
     * config-provider keys: {@link ClientProperties}), then what
     * the delivery guarantee depends on: offsets are committed by the bridge, never automatically.
     */
    static Map<String, Object> settings(String groupId, String bootstrapServers, Map<String, String> userProperties,
            String clientId) {
        Map<String, Object> settings = new HashMap<>(DEFAULTS);
        settings.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId + "-consumer-" + groupId);
        // Static membership, keyed like the MQTT session on the replica's stable client id: a replica that
        // crashes and comes back within session.timeout.ms takes its partitions back without a rebalance,
        // and two replicas misconfigured with the same id fence each other instead of sharing a session.
        settings.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, clientId);
        userProperties.forEach((key, value) -> {
            if (ClientProperties.belongsTo(key, ConsumerConfig.configNames())) {
                settings.put(key, value);
            }
        });
        settings.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        settings.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        settings.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return settings;
    }

    /**
     * Checks the consumer settings of a group as Kafka's consumer would, without making one (no thread, no connection):
     * the consumers are made later, on their poll threads, where a property only a consumer knows (e.g. a
     * {@code fetch.min.bytes} that is not a number) would otherwise stop the direction after a successful startup
     * instead of failing it.
     *
     * @throws org.apache.kafka.common.config.ConfigException naming the property, as creating the consumer would
     */
    public static void validate(String groupId, String bootstrapServers, Map<String, String> userProperties,
            String clientId) {
        Map<String, Object> settings = settings(groupId, bootstrapServers, userProperties, clientId);
        settings.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        settings.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        new ConsumerConfig(settings);
    }

    public static Consumer<byte[], byte[]> create(String groupId, String bootstrapServers,
            Map<String, String> userProperties, String clientId) {
        return new KafkaConsumer<>(settings(groupId, bootstrapServers, userProperties, clientId),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
}
