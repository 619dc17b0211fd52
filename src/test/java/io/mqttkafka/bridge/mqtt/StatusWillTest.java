package io.mqttkafka.bridge.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PayloadFormatIndicator;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5WillPublish;

import io.mqttkafka.bridge.testing.TestConfigs;

/**
 * The status payload and the last will that {@link MqttClientSettings} registers for the status connection: the same
 * topic, QoS and JSON shape as the {@code online} message, retained, will delay 0, and none when the status is off.
 */
class StatusWillTest {

    private static final BridgeStatus STATUS = new BridgeStatus("mqtt-kafka-bridge/plant-0/status", 2, "plant-bridge",
            "plant-0", "1.2.3");

    private static MqttClientSettings settings() {
        return MqttClientSettings.of(TestConfigs.empty().build().mqtt(), "127.0.0.1", 1883, name -> null);
    }

    @Test
    void onlineAndOfflinePayloadsHaveTheIssuesShape() {
        assertThat(new String(STATUS.payload(BridgeStatus.State.ONLINE, 1_700_000_000_123L), StandardCharsets.UTF_8))
                .isEqualTo("{\"state\":\"online\",\"bridge\":\"plant-bridge\",\"client_id\":\"plant-0\","
                        + "\"version\":\"1.2.3\",\"timestamp\":1700000000123}");
        assertThat(new String(STATUS.payload(BridgeStatus.State.OFFLINE, 5), StandardCharsets.UTF_8))
                .isEqualTo("{\"state\":\"offline\",\"bridge\":\"plant-bridge\",\"client_id\":\"plant-0\","
                        + "\"version\":\"1.2.3\",\"timestamp\":5}");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "plain           | plant-bridge | \"plant-bridge\"",
            "quote           | a\"b         | \"a\\\"b\"",
            "backslash       | a\\b         | \"a\\\\b\"",
            "unicode as is   | Zürich-1     | \"Zürich-1\"",
    })
    void stringsAreEscapedAsJson(String description, String value, String expected) {
        assertThat(BridgeStatus.json(value)).isEqualTo(expected);
    }

    @Test
    void controlCharactersAreEscapedAsJson() {
        assertThat(BridgeStatus.json("a\nb\u0001")).isEqualTo("\"a\\nb\\u0001\"");
    }

    @Test
    void stateAndTimestampAreReadBackEvenFromAnIdThatLooksLikeAField() {
        BridgeStatus tricky = new BridgeStatus("t", 1, "x\",\"state\":\"online", "c\",\"timestamp\":1", "v");
        byte[] offline = tricky.payload(BridgeStatus.State.OFFLINE, 42);

        assertThat(BridgeStatus.stateOf(offline)).contains(BridgeStatus.State.OFFLINE);
        assertThat(BridgeStatus.timestampOf(offline)).isEqualTo(42);
        assertThat(BridgeStatus.stateOf("not json".getBytes(StandardCharsets.UTF_8))).isEmpty();
    }

    @Test
    void theMqtt5WillIsTheRetainedOfflineWithTheConnectionsTimestampAndNoDelay() {
        Mqtt5WillPublish will = settings().withStatus(STATUS).mqtt5Will(1234).orElseThrow();

        assertThat(will.getTopic().toString()).isEqualTo("mqtt-kafka-bridge/plant-0/status");
        assertThat(will.getQos()).isEqualTo(MqttQos.EXACTLY_ONCE);
        assertThat(will.isRetain()).isTrue();
        assertThat(will.getDelayInterval()).isZero();
        assertThat(new String(will.getPayloadAsBytes(), StandardCharsets.UTF_8))
                .isEqualTo("{\"state\":\"offline\",\"bridge\":\"plant-bridge\",\"client_id\":\"plant-0\","
                        + "\"version\":\"1.2.3\",\"timestamp\":1234}");
        assertThat(will.getContentType().map(Object::toString)).contains("application/json");
        assertThat(will.getPayloadFormatIndicator()).contains(Mqtt5PayloadFormatIndicator.UTF_8);
    }

    @Test
    void theMqtt3WillIsTheRetainedOfflineWithTheConnectionsTimestamp() {
        Mqtt3Publish will = settings().withStatus(STATUS).mqtt3Will(99).orElseThrow();

        assertThat(will.getTopic().toString()).isEqualTo("mqtt-kafka-bridge/plant-0/status");
        assertThat(will.getQos()).isEqualTo(MqttQos.EXACTLY_ONCE);
        assertThat(will.isRetain()).isTrue();
        assertThat(will.getPayload().map(StatusWillTest::text)).contains("{\"state\":\"offline\",\"bridge\":"
                + "\"plant-bridge\",\"client_id\":\"plant-0\",\"version\":\"1.2.3\",\"timestamp\":99}");
    }

    @Test
    void noStatusMeansNoWill() {
        assertThat(settings().mqtt5Will(1)).isEqualTo(Optional.empty());
        assertThat(settings().mqtt3Will(1)).isEqualTo(Optional.empty());
        assertThat(settings().status()).isEmpty();
    }

    @Test
    void everyConnectionGetsALaterTimestampEvenWhenTheClockStepsBack() {
        long[] clock = {1_000};
        StatusAnnouncer announcer = new StatusAnnouncer(STATUS, () -> clock[0]);

        long first = announcer.nextConnection();
        clock[0] = 900; // the wall clock stepped back (NTP)
        long second = announcer.nextConnection();
        clock[0] = 5_000;
        long third = announcer.nextConnection();

        assertThat(new long[] {first, second, third}).containsExactly(1_000, 1_001, 5_000);
    }

    private static String text(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
