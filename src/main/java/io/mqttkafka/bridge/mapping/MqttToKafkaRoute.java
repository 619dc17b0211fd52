package io.mqttkafka.bridge.mapping;

import java.util.Objects;

/**
 * One MQTT → Kafka mapping: messages on topics matching {@code filter} are produced to the Kafka topic
 * rendered from {@code kafkaTopic}, keyed by {@code key}.
 *
 * <p>Validated on construction so a misconfigured route fails at startup: templates may only use
 * placeholders the filter provides, and the fixed characters of the Kafka topic template must be legal
 * in a Kafka topic name (a constant template must be a fully legal name).
 *
 * @param name route name, used in logs, metrics and error messages; not blank
 * @param filter the MQTT topic filter to subscribe to
 * @param qos the subscription QoS, 0..2
 * @param kafkaTopic template for the Kafka topic, parsed against {@link PlaceholderSet#forFilter(TopicFilter)}
 * @param key template for the record key, or null to use the MQTT topic as the key
 * @param retainedEmptyAsTombstone whether a retained message with an empty payload (MQTT's "clear
 *     retained") is produced as a Kafka tombstone (null value) so compacted topics drop the key
 * @param exactlyOnce whether QoS 2 messages of this route are written exactly once, in Kafka transactions
 *     ({@code exactly-once}; the delivery policy decides what that means per message)
 */
public record MqttToKafkaRoute(
        String name,
        TopicFilter filter,
        int qos,
        Template kafkaTopic,
        Template key,
        boolean retainedEmptyAsTombstone,
        boolean exactlyOnce) {

    /** A route without {@code exactly-once}. */
    public MqttToKafkaRoute(String name, TopicFilter filter, int qos, Template kafkaTopic, Template key,
            boolean retainedEmptyAsTombstone) {
        this(name, filter, qos, kafkaTopic, key, retainedEmptyAsTombstone, false);
    }

    /** Validates the route; every message names the route and the offending part. */
    public MqttToKafkaRoute {
        Objects.requireNonNull(name, "route name must not be null");
        if (name.isBlank()) {
            throw new IllegalArgumentException("route name must not be blank");
        }
        if (filter == null) {
            throw new NullPointerException("route '" + name + "': topic filter must not be null");
        }
        if (qos < 0 || qos > 2) {
            throw new IllegalArgumentException("route '" + name + "': qos must be 0, 1 or 2, but was " + qos);
        }
        if (kafkaTopic == null) {
            throw new NullPointerException("route '" + name + "': Kafka topic template must not be null");
        }
        PlaceholderSet allowed = PlaceholderSet.forFilter(filter);
        checkPlaceholders(name, "Kafka topic", kafkaTopic, allowed);
        if (key != null) {
            checkPlaceholders(name, "key", key, allowed);
        }
        if (kafkaTopic.isConstant()) {
            String topic = kafkaTopic.literals().get(0);
            KafkaTopicNames.invalidReason(topic).ifPresent(reason -> {
                throw new IllegalArgumentException("route '" + name + "': Kafka topic '" + topic
                        + "' is invalid: " + reason);
            });
        } else {
            for (String literal : kafkaTopic.literals()) {
                for (int i = 0; i < literal.length(); i++) {
                    char c = literal.charAt(i);
                    if (!KafkaTopicNames.isLegalChar(c)) {
                        throw new IllegalArgumentException("route '" + name + "': Kafka topic template '"
                                + kafkaTopic + "' contains " + KafkaTopicNames.describeChar(c)
                                + ", which is not legal in a Kafka topic name"
                                + " (allowed are ASCII letters, digits, '.', '_' and '-')");
                    }
                }
            }
        }
    }

    private static void checkPlaceholders(String name, String what, Template template, PlaceholderSet allowed) {
        for (String placeholder : template.placeholders()) {
            allowed.rejectReason(placeholder).ifPresent(reason -> {
                throw new IllegalArgumentException("route '" + name + "': " + what + " template '" + template
                        + "' does not fit topic filter '" + filter(allowed) + "': " + reason);
            });
        }
    }

    private static String filter(PlaceholderSet allowed) {
        return allowed.filter().map(TopicFilter::toString).orElse("");
    }

    /**
     * Renders where a matched message goes, for callers that already hold a match (e.g. from their own
     * subscription callback).
     *
     * @param match a match of this route's filter
     * @return the rendered Kafka topic and key
     * @throws IllegalArgumentException when {@code match} comes from a different filter
     */
    public RouteTarget target(TopicMatch match) {
        Objects.requireNonNull(match, "match");
        if (!match.filter().equals(filter)) {
            throw new IllegalArgumentException("route '" + name + "': match of topic filter '" + match.filter()
                    + "' cannot be rendered by a route for topic filter '" + filter + "'");
        }
        return new RouteTarget(this, kafkaTopic.render(match), key == null ? match.topic() : key.render(match));
    }
}
