package io.mqttkafka.bridge.mapping;

import java.util.Objects;

/**
 * One Kafka → MQTT mapping: records of the selected Kafka topics are published to the MQTT topic
 * rendered from {@code mqttTopic}, with the mapping's QoS and retain flag.
 *
 * @param name mapping name, used in logs, metrics and dead-letter headers; not blank
 * @param source the Kafka topics read
 * @param groupId the Kafka consumer group that reads them
 * @param mqttTopic template for the MQTT topic, parsed against {@link KafkaRecordFields#PLACEHOLDERS}
 * @param qos the publish QoS, 0..2
 * @param retain whether messages are published retained (a tombstone then clears the retained message)
 * @param multiLevelValues whether key and header values may contain {@code /} and so add topic levels; when not, a
 *        record whose value would is refused
 */
public record KafkaToMqttRoute(
        String name,
        KafkaTopicSelector source,
        String groupId,
        Template mqttTopic,
        int qos,
        boolean retain,
        boolean multiLevelValues) {

    /** A route whose values must stay within one topic level each (the configuration's default). */
    public KafkaToMqttRoute(String name, KafkaTopicSelector source, String groupId, Template mqttTopic, int qos,
            boolean retain) {
        this(name, source, groupId, mqttTopic, qos, retain, false);
    }

    public KafkaToMqttRoute {
        Objects.requireNonNull(name, "route name must not be null");
        if (name.isBlank()) {
            throw new IllegalArgumentException("route name must not be blank");
        }
        Objects.requireNonNull(source, "route '" + name + "': Kafka topic selector must not be null");
        Objects.requireNonNull(groupId, "route '" + name + "': group id must not be null");
        Objects.requireNonNull(mqttTopic, "route '" + name + "': MQTT topic template must not be null");
        if (qos < 0 || qos > 2) {
            throw new IllegalArgumentException("route '" + name + "': qos must be 0, 1 or 2, but was " + qos);
        }
        for (String placeholder : mqttTopic.placeholders()) {
            KafkaRecordFields.PLACEHOLDERS.rejectReason(placeholder).ifPresent(reason -> {
                throw new IllegalArgumentException("route '" + name + "': MQTT topic template '" + mqttTopic
                        + "': " + reason);
            });
        }
        if (mqttTopic.isConstant()) {
            MqttTopicNames.invalidReason(mqttTopic.render(placeholder -> null)).ifPresent(reason -> {
                throw new IllegalArgumentException("route '" + name + "': " + reason);
            });
        } else {
            // The fixed text is the same for every record: a wildcard there would dead-letter all of them.
            for (String literal : mqttTopic.literals()) {
                for (int i = 0; i < literal.length(); i++) {
                    char c = literal.charAt(i);
                    if (c == '+' || c == '#' || c == '\u0000') {
                        throw new IllegalArgumentException("route '" + name + "': MQTT topic template '" + mqttTopic
                                + "' contains " + (c == '\u0000' ? "U+0000" : "wildcard '" + c + "'")
                                + " in its fixed text; topic names cannot contain it");
                    }
                    int codePoint = literal.codePointAt(i);
                    if (MqttTopicNames.isDisallowedCodePoint(codePoint)) {
                        throw new IllegalArgumentException("route '" + name + "': MQTT topic template '" + mqttTopic
                                + "' contains " + MqttTopicNames.codePoint(codePoint) + " in its fixed text, a control"
                                + " character or Unicode non-character that MQTT disallows");
                    }
                }
            }
            if (mqttTopic.toString().startsWith("$")) {
                throw new IllegalArgumentException("route '" + name + "': MQTT topic template '" + mqttTopic
                        + "' starts with '$'; such topics are reserved for the broker");
            }
        }
    }

    /**
     * Renders the MQTT topic for one record, or explains why the record cannot be published: a
     * placeholder without a value (no key, missing header, bytes that are not UTF-8), an empty topic level
     * produced by an empty value, a result that is not a legal MQTT topic name, or (unless
     * {@code multiLevelValues}) a value with {@code /}, which would add levels to those the template fixes.
     */
    public Rendering render(KafkaRecordFields record) {
        for (String placeholder : mqttTopic.placeholders()) {
            String missing = record.missingReason(placeholder);
            if (missing != null) {
                return Rendering.rejected("MQTT topic template '" + mqttTopic + "' needs {" + placeholder + "}, but "
                        + missing);
            }
        }
        String topic = mqttTopic.render(record);
        String invalid = MqttTopicNames.invalidReason(topic).orElse(null);
        if (invalid != null) {
            return Rendering.rejected("rendered " + invalid);
        }
        if (MqttTopicNames.hasEmptyLevel(topic)
                && emptyLevels(topic) > emptyLevels(mqttTopic.render(placeholder -> "x"))) {
            return Rendering.rejected("rendered MQTT topic '" + topic + "' has an empty level"
                    + emptyPlaceholders(record) + "; publishing it would reach a different topic than intended");
        }
        if (!multiLevelValues) {
            for (String placeholder : mqttTopic.placeholders()) {
                if (record.value(placeholder).indexOf('/') >= 0) {
                    return Rendering.rejected("{" + placeholder + "} contains '/', which would add levels to MQTT "
                            + "topic template '" + mqttTopic + "' (rendered '" + topic + "'); set multi-level-values: "
                            + "true on the mapping to let values span levels");
                }
            }
        }
        return Rendering.of(topic);
    }

    /**
     * Number of empty levels. A rendered topic with more empty levels than the template's own (e.g. a
     * leading '/', which is the user's choice) got them from a value: an empty key, or one with a stray '/'.
     */
    private static int emptyLevels(String topic) {
        int count = 0;
        int levelStart = 0;
        for (int i = 0; i <= topic.length(); i++) {
            if (i == topic.length() || topic.charAt(i) == '/') {
                count += i == levelStart ? 1 : 0;
                levelStart = i + 1;
            }
        }
        return count;
    }

    private String emptyPlaceholders(KafkaRecordFields record) {
        StringBuilder empty = new StringBuilder();
        for (String placeholder : mqttTopic.placeholders()) {
            if (record.value(placeholder).isEmpty()) {
                empty.append(empty.length() == 0 ? " ({" : ", {").append(placeholder).append('}');
            }
        }
        return empty.length() == 0 ? "" : empty.append(" is empty)").toString();
    }

    /**
     * The result of rendering: a topic, or the reason there is none.
     *
     * @param topic the MQTT topic, or null when rejected
     * @param rejectReason why the record cannot be published, or null
     */
    public record Rendering(String topic, String rejectReason) {

        static Rendering of(String topic) {
            return new Rendering(topic, null);
        }

        static Rendering rejected(String reason) {
            return new Rendering(null, reason);
        }

        public boolean isRejected() {
            return rejectReason != null;
        }
    }
}
