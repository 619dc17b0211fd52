package io.mqttkafka.bridge.mapping;

import java.util.Objects;
import java.util.Optional;

/**
 * Validation of MQTT topic <em>names</em> (the concrete topic a PUBLISH is sent to, as opposed to a
 * subscription filter).
 *
 * <p>Used by the Kafka → MQTT direction before publishing: a broker disconnects a client that sends a
 * malformed topic name, so a bad name derived from a Kafka record must be caught here, per message,
 * instead of tearing down the shared MQTT connection.
 */
public final class MqttTopicNames {

    /** Maximum length of an MQTT UTF-8 encoded string (MQTT 5 §1.5.4): two-byte length prefix. */
    public static final int MAX_UTF8_BYTES = 65_535;

    private MqttTopicNames() {
    }

    /**
     * Explains why {@code topic} cannot be published to, or returns empty when it can.
     *
     * <p>Rejected: empty names, wildcards {@code +}/{@code #} (only legal in filters), U+0000, a leading
     * {@code $} (reserved for broker topics such as {@code $SYS}), unpaired surrogates (not encodable
     * as UTF-8), the code points MQTT disallows (see {@link #isDisallowedCodePoint(int)}) and names longer
     * than 65535 UTF-8 bytes. Empty levels ({@code a//b}) are legal MQTT and are not rejected; see
     * {@link #hasEmptyLevel(String)}.
     *
     * @param topic the topic name, not null
     * @return the reason the name is invalid, or empty when it is a legal topic name
     */
    public static Optional<String> invalidReason(String topic) {
        Objects.requireNonNull(topic, "topic");
        if (topic.isEmpty()) {
            return Optional.of("MQTT topic name must not be empty");
        }
        if (topic.charAt(0) == '$') {
            return Optional.of("MQTT topic name '" + topic
                    + "' starts with '$'; such topics are reserved for the broker");
        }
        long bytes = 0;
        for (int i = 0; i < topic.length(); i++) {
            char c = topic.charAt(i);
            if (c == '+' || c == '#') {
                return Optional.of("MQTT topic name '" + topic + "' contains wildcard '" + c + "' at index "
                        + i + "; wildcards are only allowed in topic filters");
            }
            if (c == '\u0000') {
                return Optional.of("MQTT topic name contains U+0000 at index " + i);
            }
            int codePoint = c;
            int index = i;
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c)) {
                if (i + 1 < topic.length() && Character.isLowSurrogate(topic.charAt(i + 1))) {
                    codePoint = Character.toCodePoint(c, topic.charAt(i + 1));
                    bytes += 4;
                    i++;
                } else {
                    return Optional.of(unpairedSurrogate("MQTT topic name", c, i));
                }
            } else if (Character.isLowSurrogate(c)) {
                return Optional.of(unpairedSurrogate("MQTT topic name", c, i));
            } else {
                bytes += 3;
            }
            if (isDisallowedCodePoint(codePoint)) {
                return Optional.of("MQTT topic name contains " + codePoint(codePoint) + " at index " + index
                        + ", a control character or Unicode non-character that MQTT disallows; brokers close the"
                        + " connection of a client that publishes to it");
            }
        }
        if (bytes > MAX_UTF8_BYTES) {
            return Optional.of("MQTT topic name is " + bytes + " bytes long in UTF-8; the maximum is "
                    + MAX_UTF8_BYTES);
        }
        return Optional.empty();
    }

    /**
     * The code points MQTT calls disallowed (MQTT 5 § 1.5.4, MQTT 3.1.1 § 1.5.3): controls U+0001..U+001F and
     * U+007F..U+009F, and Unicode non-characters (U+FDD0..U+FDEF, and U+xFFFE/U+xFFFF in every plane). A sender
     * "SHOULD NOT" send them and a receiver may treat them as a malformed packet; Mosquitto 2.0 and HiveMQ CE both close
     * the connection of a client that publishes to such a topic, which would take every publish in flight down with
     * it, again on each retry. U+0000 is not among them: it is a "MUST NOT", checked on its own.
     *
     * @param codePoint a Unicode code point
     * @return true when MQTT disallows it
     */
    static boolean isDisallowedCodePoint(int codePoint) {
        return (codePoint >= 0x01 && codePoint <= 0x1F)
                || (codePoint >= 0x7F && codePoint <= 0x9F)
                || (codePoint >= 0xFDD0 && codePoint <= 0xFDEF)
                || (codePoint & 0xFFFE) == 0xFFFE;
    }

    /**
     * Whether {@code topic} has an empty level: it starts or ends with {@code /} or contains {@code //}.
     *
     * <p>Empty levels are legal MQTT but are usually a sign of a template rendering an empty value; the
     * caller decides whether to warn, reject or publish anyway. The empty string counts as one empty
     * level.
     *
     * @param topic the topic name, not null
     * @return true when at least one level is empty
     */
    public static boolean hasEmptyLevel(String topic) {
        Objects.requireNonNull(topic, "topic");
        return topic.isEmpty()
                || topic.charAt(0) == '/'
                || topic.charAt(topic.length() - 1) == '/'
                || topic.contains("//");
    }

    /**
     * UTF-8 length of {@code s}, or -1 when it contains an unpaired surrogate. Shared with
     * {@link TopicFilter} so filters and names are measured the same way.
     */
    static long utf8Length(String s) {
        long bytes = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c)) {
                if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    bytes += 4;
                    i++;
                } else {
                    return -1;
                }
            } else if (Character.isLowSurrogate(c)) {
                return -1;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    /** Index of the first unpaired surrogate in {@code s}, or -1 when every surrogate is paired. */
    static int firstUnpairedSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    return i;
                }
            } else if (Character.isLowSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    static String unpairedSurrogate(String what, char c, int index) {
        return what + " contains an unpaired surrogate " + codePoint(c) + " at index " + index
                + "; it cannot be encoded as UTF-8";
    }

    static String codePoint(int c) {
        return String.format("U+%04X", c);
    }
}
