package io.mqttkafka.bridge.mapping;

import java.util.Objects;
import java.util.Optional;

/**
 * Validation of Kafka topic names, mirroring the broker's own rules ({@code org.apache.kafka.common.internals.Topic}).
 *
 * <p>Kept here rather than relying on the Kafka client because names are rendered from MQTT topics
 * per message: an illegal name must be detected (and the message dead-lettered or dropped) before the
 * producer is asked for metadata of a topic that can never exist.
 */
public final class KafkaTopicNames {

    /** Longest legal Kafka topic name, in characters. */
    public static final int MAX_LENGTH = 249;

    private KafkaTopicNames() {
    }

    /**
     * Explains why {@code name} is not a legal Kafka topic name, or returns empty when it is.
     *
     * @param name the candidate topic name, not null
     * @return the reason, naming the first offending character and its index where relevant
     */
    public static Optional<String> invalidReason(String name) {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty()) {
            return Optional.of("Kafka topic name must not be empty");
        }
        if (name.equals(".") || name.equals("..")) {
            return Optional.of("Kafka topic name must not be '.' or '..'");
        }
        if (name.length() > MAX_LENGTH) {
            return Optional.of("Kafka topic name is " + name.length() + " characters long; the maximum is "
                    + MAX_LENGTH);
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!isLegalChar(c)) {
                return Optional.of("Kafka topic name '" + name + "' contains illegal character "
                        + describeChar(c) + " at index " + i
                        + "; allowed are ASCII letters, digits, '.', '_' and '-'");
            }
        }
        return Optional.empty();
    }

    /**
     * Whether two topic names collide in Kafka's metric names, where {@code .} and {@code _} are
     * interchangeable; Kafka refuses to create a topic that collides with an existing one. Identical
     * names collide as well, as in Kafka's own {@code Topic.hasCollision}.
     *
     * @param a a topic name, not null
     * @param b another topic name, not null
     * @return true when the names are equal after replacing every {@code .} with {@code _}
     */
    public static boolean collides(String a, String b) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
        return a.replace('.', '_').equals(b.replace('.', '_'));
    }

    /** Whether {@code c} may appear in a Kafka topic name: {@code [a-zA-Z0-9._-]}. */
    static boolean isLegalChar(char c) {
        return (c >= 'a' && c <= 'z')
                || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9')
                || c == '.' || c == '_' || c == '-';
    }

    /** Printable characters quoted, others (controls, whitespace, non-ASCII) as U+XXXX so they are visible. */
    static String describeChar(char c) {
        if (c > 0x20 && c < 0x7F) {
            return "'" + c + "'";
        }
        return MqttTopicNames.codePoint(c);
    }
}
