package io.mqttkafka.bridge.kafka;

import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** One Kafka producer per {@link ProducerProfile}, shared by all mappings (batching works across them). */
public final class KafkaProducers implements AutoCloseable {

    private final Map<ProducerProfile, Producer<byte[], byte[]>> producers = new EnumMap<>(ProducerProfile.class);

    /**
     * @param deliveryTimeout {@code delivery.timeout.ms} of the QoS 1/2 producer
     *        ({@code bridge.kafka.delivery-timeout}); the QoS 0 producer keeps its own short one
     */
    public KafkaProducers(String bootstrapServers, Map<String, String> userProperties, String clientIdPrefix,
            Duration deliveryTimeout) {
        try {
            for (ProducerProfile profile : ProducerProfile.values()) {
                producers.put(profile, new KafkaProducer<>(
                        settings(profile, bootstrapServers, userProperties, clientIdPrefix, deliveryTimeout),
                        new ByteArraySerializer(), new ByteArraySerializer()));
            }
        } catch (RuntimeException refused) {
            // The profiles differ (idempotence, acks), so a property can suit one producer and not the next: the
            // producers already made must not keep their threads and connections.
            close(Duration.ZERO);
            throw refused;
        }
    }

    /**
     * The effective producer settings: the profile's tuned defaults, then the user's properties, then the
     * settings the guarantee depends on (which the configuration validator already refused to take from
     * the user).
     */
    static Map<String, Object> settings(ProducerProfile profile, String bootstrapServers,
            Map<String, String> userProperties, String clientIdPrefix, Duration deliveryTimeout) {
        Map<String, Object> settings = new HashMap<>(profile.defaults());
        settings.put(ProducerConfig.CLIENT_ID_CONFIG, clientIdPrefix + "-" + profile.name().toLowerCase(java.util.Locale.ROOT));
        settings.putAll(userProperties);
        settings.putAll(profile.policySettings());
        if (profile == ProducerProfile.RELIABLE) {
            settings.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Long.toString(deliveryTimeout.toMillis()));
        }
        settings.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return settings;
    }

    public Producer<byte[], byte[]> get(ProducerProfile profile) {
        return producers.get(profile);
    }

    /** Waits up to {@code timeout} for records already sent, then closes. */
    public void close(Duration timeout) {
        for (Producer<byte[], byte[]> producer : producers.values()) {
            producer.close(timeout);
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(5));
    }
}
