package io.mqttkafka.bridge.mapping;

import java.util.Objects;
import java.util.Optional;

/**
 * Where one MQTT message goes for one route: the rendered Kafka topic and record key.
 *
 * @param route the route that matched
 * @param kafkaTopic the rendered Kafka topic name
 * @param key the rendered record key (the MQTT topic when the route has no key template)
 */
public record RouteTarget(MqttToKafkaRoute route, String kafkaTopic, String key) {

    /** Rejects nulls so that a target can always be handed to a producer as is. */
    public RouteTarget {
        Objects.requireNonNull(route, "route must not be null");
        Objects.requireNonNull(kafkaTopic, "kafkaTopic must not be null");
        Objects.requireNonNull(key, "key must not be null");
    }

    /**
     * Why the rendered Kafka topic is not a legal Kafka topic name, or empty when it is.
     *
     * <p>A topic rendered from MQTT levels (e.g. a level containing a space) can be illegal even though
     * the template was valid; the pipeline should check this before producing and dead-letter or drop the
     * message rather than let the producer fail.
     *
     * @return the reason from {@link KafkaTopicNames#invalidReason(String)}, prefixed with the route name
     */
    public Optional<String> invalidKafkaTopicReason() {
        return KafkaTopicNames.invalidReason(kafkaTopic)
                .map(reason -> "route '" + route.name() + "' rendered an invalid Kafka topic: " + reason);
    }
}
