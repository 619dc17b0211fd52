package io.mqttkafka.bridge.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.mqttkafka.bridge.mqtt.InboundMessage;
import io.mqttkafka.bridge.mqtt.Mqtt5Properties;

class MqttHeaderCodecTest {

    private static final String BRIDGE_ID = "bridge-under-test";

    private final MqttHeaderCodec codec = new MqttHeaderCodec(BRIDGE_ID);

    /** A received message without an MQTT client behind it. */
    private record Message(String topic, int qos, boolean retain, Optional<Mqtt5Properties> properties)
            implements InboundMessage {

        @Override
        public byte[] payload() {
            return new byte[0];
        }

        @Override
        public long receivedAtMillis() {
            return 0;
        }

        @Override
        public void acknowledge() {
        }
    }

    private static String text(Header header) {
        return new String(header.value(), StandardCharsets.UTF_8);
    }

    private static List<String> names(Header[] headers) {
        return Arrays.stream(headers).map(Header::key).toList();
    }

    @ParameterizedTest
    @CsvSource({
            "sensors/plant-1/temp, 0, false",
            "sensors/plant-1/temp, 1, true",
            "a,                    2, false",
            "capteurs/été/°C,      1, false",
    })
    void mqtt311MessageHasExactlyTheFourBaseHeaders(String topic, int qos, boolean retain) {
        Header[] headers = codec.encode(new Message(topic, qos, retain, Optional.empty()));

        assertThat(headers).extracting(Header::key, MqttHeaderCodecTest::text).containsExactly(
                tuple("mqtt.topic", topic),
                tuple("mqtt.qos", Integer.toString(qos)),
                tuple("mqtt.retain", Boolean.toString(retain)),
                tuple("bridge.origin", BRIDGE_ID));
        assertThat(headers[0].value()).isEqualTo(topic.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void mqtt5MessageWithEveryProperty() {
        byte[] correlation = {0x00, (byte) 0xFF, 0x10, (byte) 0x80};
        Mqtt5Properties properties = new Mqtt5Properties("application/json", "replies/dev-42", correlation,
                Boolean.TRUE, 3600L, List.of(
                        Map.entry("unit", "celsius"),
                        Map.entry("trace", "t-1"),
                        Map.entry("unit", "kelvin"),
                        Map.entry("empty", "")));

        Header[] headers = codec.encode(new Message("sensors/dev-42", 2, true, Optional.of(properties)));

        assertThat(names(headers)).containsExactly(
                "mqtt.topic", "mqtt.qos", "mqtt.retain", "bridge.origin",
                "mqtt.content-type", "mqtt.response-topic", "mqtt.correlation-data",
                "mqtt.payload-format-indicator", "mqtt.message-expiry-interval",
                "unit", "trace", "unit", "empty");
        assertThat(text(headers[0])).isEqualTo("sensors/dev-42");
        assertThat(text(headers[1])).isEqualTo("2");
        assertThat(text(headers[2])).isEqualTo("true");
        assertThat(text(headers[3])).isEqualTo(BRIDGE_ID);
        assertThat(text(headers[4])).isEqualTo("application/json");
        assertThat(text(headers[5])).isEqualTo("replies/dev-42");
        assertThat(headers[6].value()).containsExactly(0x00, (byte) 0xFF, 0x10, (byte) 0x80);
        assertThat(text(headers[7])).isEqualTo("1");
        assertThat(text(headers[8])).isEqualTo("3600");
        assertThat(Arrays.copyOfRange(headers, 9, 13)).extracting(Header::key, MqttHeaderCodecTest::text)
                .containsExactly(tuple("unit", "celsius"), tuple("trace", "t-1"), tuple("unit", "kelvin"),
                        tuple("empty", ""));
    }

    @Test
    void userPropertiesCannotForgeTheBridgesOwnHeaders() {
        Mqtt5Properties forged = new Mqtt5Properties(null, null, null, null, null, List.of(
                Map.entry("bridge.origin", "someone-else"),
                Map.entry("mqtt.topic", "elsewhere"),
                Map.entry("dlq.reason", "fake"),
                Map.entry("mqtt-like", "kept"),
                Map.entry("origin", "kept")));

        Header[] headers = codec.encode(new Message("real/topic", 1, false, Optional.of(forged)));

        assertThat(headers).extracting(Header::key, MqttHeaderCodecTest::text).containsExactly(
                tuple("mqtt.topic", "real/topic"),
                tuple("mqtt.qos", "1"),
                tuple("mqtt.retain", "false"),
                tuple("bridge.origin", BRIDGE_ID),
                tuple("mqtt-like", "kept"),
                tuple("origin", "kept"));
    }

    @Test
    void mqtt5MessageWithoutPropertiesHasOnlyTheBaseHeaders() {
        Mqtt5Properties none = new Mqtt5Properties(null, null, null, null, null, null);

        Header[] headers = codec.encode(new Message("t", 1, false, Optional.of(none)));

        assertThat(names(headers)).containsExactly("mqtt.topic", "mqtt.qos", "mqtt.retain", "bridge.origin");
    }

    @ParameterizedTest
    @CsvSource({"true, 1", "false, 0"})
    void payloadFormatIndicator(boolean utf8, String expected) {
        Mqtt5Properties properties = new Mqtt5Properties(null, null, null, utf8, null, List.of());

        Header[] headers = codec.encode(new Message("t", 1, false, Optional.of(properties)));

        assertThat(headers).hasSize(5);
        assertThat(headers[4].key()).isEqualTo(BridgeHeaders.MQTT_PAYLOAD_FORMAT);
        assertThat(text(headers[4])).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource({"0, 0", "1, 1", "3600, 3600", "4294967295, 4294967295"})
    void messageExpiryAsDecimalSeconds(long seconds, String expected) {
        Mqtt5Properties properties = new Mqtt5Properties(null, null, null, null, seconds, List.of());

        Header[] headers = codec.encode(new Message("t", 1, false, Optional.of(properties)));

        assertThat(headers).hasSize(5);
        assertThat(headers[4].key()).isEqualTo(BridgeHeaders.MQTT_MESSAGE_EXPIRY);
        assertThat(text(headers[4])).isEqualTo(expected);
    }

    @Test
    void correlationDataIsCopiedAsRawBytesNotText() {
        byte[] correlation = {(byte) 0xC3, 0x28}; // invalid UTF-8: must survive unchanged
        Mqtt5Properties properties = new Mqtt5Properties(null, null, correlation, null, null, List.of());

        Header[] headers = codec.encode(new Message("t", 0, false, Optional.of(properties)));

        assertThat(headers).hasSize(5);
        assertThat(headers[4].key()).isEqualTo(BridgeHeaders.MQTT_CORRELATION_DATA);
        assertThat(headers[4].value()).containsExactly((byte) 0xC3, 0x28);
    }
}
