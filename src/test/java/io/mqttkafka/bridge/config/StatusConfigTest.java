package io.mqttkafka.bridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.Optional;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * {@code bridge.status.topic} and {@code bridge.status.qos}: defaults, placeholders, the empty topic that turns the
 * status off, and every refusal naming its key (issue 20, section 1).
 */
class StatusConfigTest {

    private static TestConfigs base() {
        return TestConfigs.empty().set("bridge.id", "plant-bridge").set("bridge.mqtt.client-id", "plant-bridge-0");
    }

    @Test
    void defaultsAreOneTopicPerClientIdAndQos1() {
        BridgeConfig config = base().build();

        assertThat(config.status().topic()).contains("mqtt-kafka-bridge/{client-id}/status");
        assertThat(config.status().qos()).isEqualTo(1);
        assertThat(StatusTopic.render(config.status().topic().orElseThrow(), config.id(), ClientIds.of(config)))
                .contains("mqtt-kafka-bridge/plant-bridge-0/status");
    }

    @Test
    void anEmptyTopicTurnsTheStatusOff() {
        BridgeConfig config = base().set("bridge.status.topic", "").build();

        BridgeConfigValidator.validate(config);
        assertThat(config.status().topic()).isEmpty();
        assertThat(StatusTopic.render(config.status().topic().orElse(""), config.id(), ClientIds.of(config))).isEmpty();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "mqtt-kafka-bridge/{client-id}/status | mqtt-kafka-bridge/plant-bridge-0/status",
            "{id}/{client-id}/state               | plant-bridge/plant-bridge-0/state",
            "status/{id}                          | status/plant-bridge",
            "fixed/status                         | fixed/status",
            "literal/{{braces}}/{client-id}       | literal/{braces}/plant-bridge-0",
    })
    void placeholdersAreFilledIn(String template, String expected) {
        BridgeConfig config = base().set("bridge.status.topic", template).build();

        BridgeConfigValidator.validate(config);
        assertThat(StatusTopic.render(template, config.id(), ClientIds.of(config))).isEqualTo(Optional.of(expected));
    }

    @Test
    void theDerivedClientIdIsUsedWhenNoneIsConfigured() {
        BridgeConfig config = TestConfigs.empty().set("bridge.id", "plant-bridge").build();

        assertThat(StatusTopic.render(StatusTopic.DEFAULT_TEMPLATE, config.id(), ClientIds.of(config)).orElseThrow())
                .startsWith("mqtt-kafka-bridge/plant-bridge-").endsWith("/status")
                .isEqualTo("mqtt-kafka-bridge/" + ClientIds.of(config) + "/status");
    }

    static Stream<Arguments> badConfigurations() {
        return Stream.of(
                Arguments.of("unknown placeholder", "bridge.status.topic", "bridges/{clientid}/status",
                        "bridge.status.topic: invalid template 'bridges/{clientid}/status': unknown placeholder "
                                + "{clientid}; allowed: {client-id}, {id}"),
                Arguments.of("unclosed brace", "bridge.status.topic", "bridges/{id/status",
                        "bridge.status.topic: invalid template 'bridges/{id/status': unclosed '{' at index 8 (write '{{' "
                                + "for a literal brace)"),
                Arguments.of("'+' in the fixed text", "bridge.status.topic", "bridges/+/status",
                        "bridge.status.topic: MQTT topic name 'bridges/+/status' contains wildcard '+' at index 8; "
                                + "wildcards are only allowed in topic filters"),
                Arguments.of("'#' in the fixed text", "bridge.status.topic", "bridges/{id}/#",
                        "bridge.status.topic: MQTT topic name 'bridges/plant-bridge/#' contains wildcard '#' at index 21; "
                                + "wildcards are only allowed in topic filters (rendered from 'bridges/{id}/#' with {id} "
                                + "= 'plant-bridge', {client-id} = 'plant-bridge-0')"),
                Arguments.of("'+' from the client id", "bridge.mqtt.client-id", "plant+0",
                        "bridge.status.topic: MQTT topic name 'mqtt-kafka-bridge/plant+0/status' contains wildcard '+' "
                                + "at index 23; wildcards are only allowed in topic filters (rendered from "
                                + "'mqtt-kafka-bridge/{client-id}/status' with {id} = 'plant-bridge', {client-id} = "
                                + "'plant+0')"),
                Arguments.of("leading '$'", "bridge.status.topic", "$SYS/bridge",
                        "bridge.status.topic: MQTT topic name '$SYS/bridge' starts with '$'; such topics are reserved "
                                + "for the broker"),
                Arguments.of("blank", "bridge.status.topic", "  ",
                        "bridge.status.topic: must not be blank; set it to \"\" to turn the status off"),
                Arguments.of("QoS 3", "bridge.status.qos", "3", "bridge.status.qos: must be 0, 1 or 2, was 3"),
                Arguments.of("QoS -1", "bridge.status.qos", "-1", "bridge.status.qos: must be 0, 1 or 2, was -1"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badConfigurations")
    void badStatusSettingsFailStartupNamingTheKey(String description, String key, String value,
            String expectedProblem) {
        BridgeConfig config = base().set(key, value).build();

        ConfigValidationException e = catchThrowableOfType(ConfigValidationException.class,
                () -> BridgeConfigValidator.validate(config));

        assertThat(e).as("refused").isNotNull();
        assertThat(e.problems()).containsExactly(expectedProblem);
    }

    @Test
    void aBadTopicAndABadQosAreReportedTogether() {
        BridgeConfig config = base().set("bridge.status.topic", "a/+").set("bridge.status.qos", "7").build();

        ConfigValidationException e = catchThrowableOfType(ConfigValidationException.class,
                () -> BridgeConfigValidator.validate(config));

        assertThat(e.problems()).containsExactly("bridge.status.qos: must be 0, 1 or 2, was 7",
                "bridge.status.topic: MQTT topic name 'a/+' contains wildcard '+' at index 2; wildcards are only allowed "
                        + "in topic filters");
    }
}
