package io.mqttkafka.bridge.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class MqttTopicNamesTest {

    static Stream<String> legalTopics() {
        return Stream.of("a", "a/b/c", "a//b", "/a", "a/", "/", "caf\u00e9/\uD83D\uDE00", "a b/c{d}", "a$",
                "x".repeat(65_535), "\u00e9".repeat(32_767),
                // Next to the disallowed code points: '~', U+00A0, U+FDCF, U+FDF0, U+FFFD, U+10000.
                "a~\u00a0\uFDCF\uFDF0\uFFFD\uD800\uDC00");
    }

    @ParameterizedTest
    @MethodSource("legalTopics")
    void acceptsLegalTopicNames(String topic) {
        assertThat(MqttTopicNames.invalidReason(topic)).isEmpty();
    }

    static Stream<Arguments> illegalTopics() {
        return Stream.of(
                Arguments.of("", "MQTT topic name must not be empty"),
                Arguments.of("a/+/c", "MQTT topic name 'a/+/c' contains wildcard '+' at index 2;"
                        + " wildcards are only allowed in topic filters"),
                Arguments.of("a/#", "contains wildcard '#' at index 2"),
                Arguments.of("a+", "contains wildcard '+' at index 1"),
                Arguments.of("a\u0000b", "contains U+0000 at index 1"),
                Arguments.of("$SYS/x", "MQTT topic name '$SYS/x' starts with '$'"),
                Arguments.of("a/\uD800", "unpaired surrogate U+D800 at index 2; it cannot be encoded as UTF-8"),
                Arguments.of("\uDC00a", "unpaired surrogate U+DC00 at index 0"),
                Arguments.of("\uD800\uD800\uDC00", "unpaired surrogate U+D800 at index 0"),
                Arguments.of("x".repeat(65_536), "MQTT topic name is 65536 bytes long in UTF-8; the maximum is 65535"),
                Arguments.of("\u00e9".repeat(32_768), "is 65536 bytes long in UTF-8"),
                Arguments.of("\u20ac".repeat(21_846), "is 65538 bytes long in UTF-8"),
                Arguments.of("\uD83D\uDE00".repeat(16_384), "is 65536 bytes long in UTF-8"),
                // Disallowed code points (MQTT 5 § 1.5.4): Mosquitto and HiveMQ close the connection on them.
                Arguments.of("a/\u0001", "MQTT topic name contains U+0001 at index 2, a control character or Unicode"
                        + " non-character that MQTT disallows; brokers close the connection of a client that publishes"
                        + " to it"),
                Arguments.of("a\tb", "contains U+0009 at index 1"),
                Arguments.of("a\nb", "contains U+000A at index 1"),
                Arguments.of("a\u001Fb", "contains U+001F at index 1"),
                Arguments.of("a\u007Fb", "contains U+007F at index 1"),
                Arguments.of("a\u0085b", "contains U+0085 at index 1"),
                Arguments.of("a\u009Fb", "contains U+009F at index 1"),
                Arguments.of("a\uFDD0b", "contains U+FDD0 at index 1"),
                Arguments.of("a\uFDEFb", "contains U+FDEF at index 1"),
                Arguments.of("a\uFFFEb", "contains U+FFFE at index 1"),
                Arguments.of("a\uFFFF", "contains U+FFFF at index 1"),
                Arguments.of("\u00e9/\uD83F\uDFFF", "contains U+1FFFF at index 2"),
                Arguments.of("a/\uDBFF\uDFFE", "contains U+10FFFE at index 2"));
    }

    @ParameterizedTest
    @MethodSource("illegalTopics")
    void rejectsIllegalTopicNames(String topic, String reason) {
        assertThat(MqttTopicNames.invalidReason(topic)).hasValueSatisfying(r -> assertThat(r).contains(reason));
    }

    @ParameterizedTest
    @CsvSource({
        "a/b/c, false",
        "a, false",
        "a//b, true",
        "/a, true",
        "a/, true",
        "/, true",
        "'', true",
    })
    void detectsEmptyLevels(String topic, boolean empty) {
        assertThat(MqttTopicNames.hasEmptyLevel(topic)).isEqualTo(empty);
    }
}
