package io.mqttkafka.bridge.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class KafkaTopicNamesTest {

    @ParameterizedTest
    @ValueSource(strings = {"a", "orders", "mqtt.plant-1_s2", "A.B-C_d.9", "...", ".a", "_", "-"})
    void acceptsLegalNames(String name) {
        assertThat(KafkaTopicNames.invalidReason(name)).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("legalLongest")
    void acceptsLongestName(String name) {
        assertThat(KafkaTopicNames.invalidReason(name)).isEmpty();
    }

    static Stream<String> legalLongest() {
        return Stream.of("x".repeat(249));
    }

    static Stream<Arguments> illegalNames() {
        return Stream.of(
                Arguments.of("", "Kafka topic name must not be empty"),
                Arguments.of(".", "Kafka topic name must not be '.' or '..'"),
                Arguments.of("..", "Kafka topic name must not be '.' or '..'"),
                Arguments.of("x".repeat(250), "Kafka topic name is 250 characters long; the maximum is 249"),
                Arguments.of("a/b", "Kafka topic name 'a/b' contains illegal character '/' at index 1;"
                        + " allowed are ASCII letters, digits, '.', '_' and '-'"),
                Arguments.of("ab c", "illegal character U+0020 at index 2"),
                Arguments.of("caf\u00e9", "illegal character U+00E9 at index 3"),
                Arguments.of("a\tb", "illegal character U+0009 at index 1"),
                Arguments.of("x+y#z", "illegal character '+' at index 1"),
                Arguments.of("{site}", "illegal character '{' at index 0"));
    }

    @ParameterizedTest
    @MethodSource("illegalNames")
    void rejectsIllegalNames(String name, String reason) {
        assertThat(KafkaTopicNames.invalidReason(name)).hasValueSatisfying(r -> assertThat(r).contains(reason));
    }

    @ParameterizedTest
    @CsvSource({
        "a.b, a_b, true",
        "a_b, a.b, true",
        "a.b, a.b, true",
        "a.b, a-b, false",
        "a.b.c, a_b.c, true",
        "ab, a_b, false",
    })
    void detectsMetricNameCollisions(String a, String b, boolean collides) {
        assertThat(KafkaTopicNames.collides(a, b)).isEqualTo(collides);
    }
}
