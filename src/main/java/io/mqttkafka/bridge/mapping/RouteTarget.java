package io.mqttkafka.bridge.mapping;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;

/**
 * Where one MQTT message goes for one route: the rendered Kafka topic and record key.
 *
 * <p>A target depends only on the MQTT topic, and {@link RouteTable} caches it per topic, so what the pipeline
 * derives from it for every message (the key's bytes, whether the topic name is legal) is derived here once.
 */
public final class RouteTarget {

    private final MqttToKafkaRoute route;
    private final String kafkaTopic;
    private final String key;
    private final byte[] keyBytes;
    private final Optional<String> invalidKafkaTopicReason;

    /**
     * @param route the route that matched
     * @param kafkaTopic the rendered Kafka topic name
     * @param key the rendered record key (the MQTT topic when the route has no key template)
     */
    public RouteTarget(MqttToKafkaRoute route, String kafkaTopic, String key) {
        this.route = Objects.requireNonNull(route, "route must not be null");
        this.kafkaTopic = Objects.requireNonNull(kafkaTopic, "kafkaTopic must not be null");
        this.key = Objects.requireNonNull(key, "key must not be null");
        this.keyBytes = key.getBytes(StandardCharsets.UTF_8);
        this.invalidKafkaTopicReason = KafkaTopicNames.invalidReason(kafkaTopic);
    }

    /** The route that matched. */
    public MqttToKafkaRoute route() {
        return route;
    }

    /** The rendered Kafka topic name. */
    public String kafkaTopic() {
        return kafkaTopic;
    }

    /** The rendered record key (the MQTT topic when the route has no key template). */
    public String key() {
        return key;
    }

    /**
     * The key as UTF-8, the same array on every call: shared by every record written for this target, so it must
     * not be modified (the Kafka producer only copies it into its batch).
     */
    public byte[] keyBytes() {
        return keyBytes;
    }

    /**
     * Why the rendered Kafka topic is not a legal Kafka topic name, or empty when it is.
     *
     * <p>A topic rendered from MQTT levels (e.g. a level containing a space) can be illegal even though the
     * template was valid; the pipeline checks this before producing and applies the route's failure strategy
     * rather than let the producer fail.
     *
     * @return the reason from {@link KafkaTopicNames#invalidReason(String)}
     */
    public Optional<String> invalidKafkaTopicReason() {
        return invalidKafkaTopicReason;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof RouteTarget target && target.route.equals(route)
                && target.kafkaTopic.equals(kafkaTopic) && target.key.equals(key);
    }

    @Override
    public int hashCode() {
        return Objects.hash(route, kafkaTopic, key);
    }

    @Override
    public String toString() {
        return "RouteTarget[route=" + route.name() + ", kafkaTopic=" + kafkaTopic + ", key=" + key + "]";
    }
}
