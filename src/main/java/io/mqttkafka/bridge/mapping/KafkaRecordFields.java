package io.mqttkafka.bridge.mapping;

import java.util.Objects;
import java.util.function.Function;

/**
 * The placeholder values of one Kafka record for Kafka → MQTT templates: {@code {key}}, {@code {topic}},
 * {@code {partition}} and {@code {header:NAME}}. Built from plain values so that this package stays free
 * of the Kafka client.
 *
 * <p>Keys and header values are decoded as strict UTF-8: text that is not valid UTF-8 has no value
 * (rather than one with replacement characters that would silently publish to a different topic), and
 * {@link #missingReason(String)} says why.
 *
 * <p>One instance per record, used by one thread.
 */
public final class KafkaRecordFields implements PlaceholderValues {

    /** The placeholders a Kafka → MQTT topic template may use. */
    public static final PlaceholderSet PLACEHOLDERS = PlaceholderSet.of(
            java.util.Set.of("key", "topic", "partition"), java.util.Set.of("header:"));

    private static final String HEADER_PREFIX = "header:";

    private final String topic;
    private final int partition;
    private final byte[] key;
    private final Function<String, byte[]> lastHeader;
    private String decodedKey;

    /**
     * @param topic the record's topic
     * @param partition the record's partition
     * @param key the record key, or null
     * @param lastHeader the value of the last header with a given name, or null when there is none
     */
    public KafkaRecordFields(String topic, int partition, byte[] key, Function<String, byte[]> lastHeader) {
        this.topic = Objects.requireNonNull(topic, "topic");
        this.partition = partition;
        this.key = key;
        this.lastHeader = Objects.requireNonNull(lastHeader, "lastHeader");
    }

    @Override
    public String value(String placeholder) {
        switch (placeholder) {
            case "topic":
                return topic;
            case "partition":
                return Integer.toString(partition);
            case "key":
                if (decodedKey == null && key != null) {
                    decodedKey = StrictUtf8.decode(key);
                }
                return decodedKey;
            default:
                if (placeholder.startsWith(HEADER_PREFIX)) {
                    byte[] header = lastHeader.apply(placeholder.substring(HEADER_PREFIX.length()));
                    return StrictUtf8.decode(header);
                }
                return null;
        }
    }

    /**
     * Why {@link #value(String)} is null for {@code placeholder}, for the dead-letter reason.
     *
     * @return the reason, or null when the placeholder has a value
     */
    public String missingReason(String placeholder) {
        if (value(placeholder) != null) {
            return null;
        }
        if (placeholder.equals("key")) {
            return key == null ? "the record has no key" : "the record key is not valid UTF-8";
        }
        if (placeholder.startsWith(HEADER_PREFIX)) {
            String name = placeholder.substring(HEADER_PREFIX.length());
            return lastHeader.apply(name) == null ? "the record has no header '" + name + "'"
                    : "header '" + name + "' is not valid UTF-8";
        }
        return "unknown placeholder {" + placeholder + "}";
    }
}
