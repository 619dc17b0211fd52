package io.mqttkafka.bridge.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Stream;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

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
        public int payloadSize() {
            return 0;
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

    // ---- Kafka → MQTT: decode ----

    private static final byte[] NOT_UTF8 = {(byte) 0xC3, 0x28};

    /** Headers from alternating name, value pairs; a value is a String (UTF-8), a byte[] or null. */
    private static List<Header> headers(Object... nameValues) {
        List<Header> headers = new ArrayList<>();
        for (int i = 0; i < nameValues.length; i += 2) {
            Object value = nameValues[i + 1];
            headers.add(new RecordHeader((String) nameValues[i],
                    value instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : (byte[]) value));
        }
        return headers;
    }

    private static final Map.Entry<String, String> ORIGIN = Map.entry("bridge.origin", BRIDGE_ID);

    private static Arguments property(String name, Object value, Function<Mqtt5Properties, Object> property,
            Object expected) {
        return Arguments.of(name, value, property, expected);
    }

    static Stream<Arguments> mqttHeadersToProperties() {
        Function<Mqtt5Properties, Object> contentType = Mqtt5Properties::contentType;
        Function<Mqtt5Properties, Object> responseTopic = Mqtt5Properties::responseTopic;
        Function<Mqtt5Properties, Object> correlation = Mqtt5Properties::correlationData;
        Function<Mqtt5Properties, Object> payloadFormat = Mqtt5Properties::payloadFormatUtf8;
        Function<Mqtt5Properties, Object> expiry = Mqtt5Properties::messageExpirySeconds;
        return Stream.of(
                property("mqtt.content-type", "application/json", contentType, "application/json"),
                property("mqtt.content-type", "", contentType, ""),
                property("mqtt.content-type", "text/plain; charset=\u00e9", contentType, "text/plain; charset=\u00e9"),
                property("mqtt.response-topic", "replies/dev-42", responseTopic, "replies/dev-42"),
                property("mqtt.response-topic", "/a//b/", responseTopic, "/a//b/"),
                property("mqtt.correlation-data", new byte[] {0x00, (byte) 0xFF, 0x10}, correlation,
                        new byte[] {0x00, (byte) 0xFF, 0x10}),
                // Correlation data is binary: bytes that are not UTF-8 are carried unchanged.
                property("mqtt.correlation-data", NOT_UTF8, correlation, NOT_UTF8),
                property("mqtt.correlation-data", null, correlation, new byte[0]),
                property("mqtt.payload-format-indicator", "1", payloadFormat, Boolean.TRUE),
                property("mqtt.payload-format-indicator", "0", payloadFormat, Boolean.FALSE),
                property("mqtt.message-expiry-interval", "0", expiry, 0L),
                property("mqtt.message-expiry-interval", "3600", expiry, 3600L),
                property("mqtt.message-expiry-interval", "4294967295", expiry, 4_294_967_295L));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("mqttHeadersToProperties")
    void mqttHeadersBecomeTheirProperties(String name, Object value, Function<Mqtt5Properties, Object> property,
            Object expected) {
        MqttHeaderCodec.Decoded decoded = codec.decode(headers(name, value));

        assertThat(property.apply(decoded.properties())).isEqualTo(expected);
        assertThat(decoded.skipped()).isZero();
        assertThat(decoded.properties().userProperties()).containsExactly(ORIGIN);
    }

    static Stream<Arguments> invalidMqttHeaders() {
        Function<Mqtt5Properties, Object> contentType = Mqtt5Properties::contentType;
        Function<Mqtt5Properties, Object> responseTopic = Mqtt5Properties::responseTopic;
        Function<Mqtt5Properties, Object> payloadFormat = Mqtt5Properties::payloadFormatUtf8;
        Function<Mqtt5Properties, Object> expiry = Mqtt5Properties::messageExpirySeconds;
        return Stream.of(
                property("mqtt.content-type", NOT_UTF8, contentType, null),
                property("mqtt.content-type", "a\u0000b", contentType, null),
                // MQTT 5 § 1.5.4 disallows these; Mosquitto and HiveMQ close the connection on them.
                property("mqtt.content-type", "text/plain\n", contentType, null),
                property("mqtt.response-topic", "replies/\u0007", responseTopic, null),
                property("mqtt.content-type", null, contentType, null),
                property("mqtt.response-topic", NOT_UTF8, responseTopic, null),
                property("mqtt.response-topic", "replies/+", responseTopic, null),
                property("mqtt.response-topic", "replies/#", responseTopic, null),
                property("mqtt.response-topic", "", responseTopic, null),
                property("mqtt.response-topic", "a\u0000", responseTopic, null),
                property("mqtt.response-topic", null, responseTopic, null),
                property("mqtt.payload-format-indicator", "2", payloadFormat, null),
                property("mqtt.payload-format-indicator", "true", payloadFormat, null),
                property("mqtt.payload-format-indicator", "", payloadFormat, null),
                property("mqtt.payload-format-indicator", " 1", payloadFormat, null),
                property("mqtt.payload-format-indicator", NOT_UTF8, payloadFormat, null),
                property("mqtt.message-expiry-interval", "-1", expiry, null),
                property("mqtt.message-expiry-interval", "x", expiry, null),
                property("mqtt.message-expiry-interval", "4294967296", expiry, null),
                property("mqtt.message-expiry-interval", "99999999999999999999", expiry, null),
                property("mqtt.message-expiry-interval", "1.5", expiry, null),
                property("mqtt.message-expiry-interval", "", expiry, null),
                property("mqtt.message-expiry-interval", null, expiry, null));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("invalidMqttHeaders")
    void invalidMqttHeadersAreSkippedAndCounted(String name, Object value, Function<Mqtt5Properties, Object> property,
            Object expected) {
        MqttHeaderCodec.Decoded decoded = codec.decode(headers(name, value, "kept", "yes"));

        assertThat(property.apply(decoded.properties())).isEqualTo(expected);
        assertThat(decoded.skipped()).isEqualTo(1);
        // Neither does it turn into a user property.
        assertThat(decoded.properties().userProperties()).containsExactly(Map.entry("kept", "yes"), ORIGIN);
    }

    @ParameterizedTest
    @CsvSource({
        "mqtt.topic",
        "mqtt.qos",
        "mqtt.retain",
        "mqtt.some-future-header",
        "dlq.reason",
        "dlq.exception",
        "dlq.mapping",
        "dlq.source-topic",
        "bridge.origin",
    })
    void otherReservedHeadersAreDroppedWithoutCounting(String name) {
        MqttHeaderCodec.Decoded valid = codec.decode(headers(name, "someone-else", "kept", "yes"));
        MqttHeaderCodec.Decoded notUtf8 = codec.decode(headers(name, NOT_UTF8));
        MqttHeaderCodec.Decoded nullValue = codec.decode(headers(name, null));

        assertThat(valid.properties().userProperties()).containsExactly(Map.entry("kept", "yes"), ORIGIN);
        assertThat(valid.skipped()).isZero();
        assertThat(notUtf8.properties().userProperties()).containsExactly(ORIGIN);
        assertThat(notUtf8.skipped()).isZero();
        assertThat(nullValue.properties().userProperties()).containsExactly(ORIGIN);
        assertThat(nullValue.skipped()).isZero();
    }

    @Test
    void ordinaryHeadersBecomeUserPropertiesInOrder() {
        MqttHeaderCodec.Decoded decoded = codec.decode(headers(
                "unit", "celsius",
                "trace", "t-1",
                "unit", "kelvin",
                "empty", "",
                "absent", null,
                "mqtt-like", "kept",
                "caf\u00e9", "\u00b0C \uD83D\uDE00"));

        assertThat(decoded.properties().userProperties()).containsExactly(
                Map.entry("unit", "celsius"),
                Map.entry("trace", "t-1"),
                Map.entry("unit", "kelvin"),
                Map.entry("empty", ""),
                Map.entry("absent", ""),
                Map.entry("mqtt-like", "kept"),
                Map.entry("caf\u00e9", "\u00b0C \uD83D\uDE00"),
                ORIGIN);
        assertThat(decoded.skipped()).isZero();
        assertThat(decoded.properties().contentType()).isNull();
        assertThat(decoded.properties().responseTopic()).isNull();
        assertThat(decoded.properties().correlationData()).isNull();
        assertThat(decoded.properties().payloadFormatUtf8()).isNull();
        assertThat(decoded.properties().messageExpirySeconds()).isNull();
    }

    static Stream<Arguments> userPropertiesMqttCannotCarry() {
        return Stream.of(
                Arguments.of("value not UTF-8", headers("a", "1", "bad", NOT_UTF8, "b", "2")),
                Arguments.of("value with U+0000", headers("a", "1", "bad", "x\u0000y", "b", "2")),
                Arguments.of("name with U+0000", headers("a", "1", "b\u0000ad", "v", "b", "2")),
                Arguments.of("name with an unpaired surrogate", headers("a", "1", "bad\uD800", "v", "b", "2")),
                // Disallowed by MQTT 5 § 1.5.4: Mosquitto and HiveMQ close the connection on them, so a header with a
                // newline used to take the publishing connection down instead of being left out.
                Arguments.of("value with a newline", headers("a", "1", "bad", "line 1\nline 2", "b", "2")),
                Arguments.of("value with U+009F", headers("a", "1", "bad", "x\u009Fy", "b", "2")),
                Arguments.of("value with a non-character", headers("a", "1", "bad", "x\uFDD0", "b", "2")),
                Arguments.of("value with a supplementary non-character", headers("a", "1", "bad", "\uD83F\uDFFF", "b",
                        "2")),
                Arguments.of("name with a tab", headers("a", "1", "b\tad", "v", "b", "2")));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("userPropertiesMqttCannotCarry")
    void userPropertiesMqttCannotCarryAreSkippedAndCounted(String description, List<Header> headers) {
        MqttHeaderCodec.Decoded decoded = codec.decode(headers);

        assertThat(decoded.properties().userProperties())
                .containsExactly(Map.entry("a", "1"), Map.entry("b", "2"), ORIGIN);
        assertThat(decoded.skipped()).isEqualTo(1);
    }

    @Test
    void skippedHeadersAreCountedOneByOne() {
        MqttHeaderCodec.Decoded decoded = codec.decode(headers(
                "mqtt.content-type", NOT_UTF8,
                "mqtt.response-topic", "a/+",
                "mqtt.payload-format-indicator", "2",
                "mqtt.message-expiry-interval", "-1",
                "x", NOT_UTF8,
                "y", NOT_UTF8,
                "mqtt.qos", NOT_UTF8,
                "dlq.reason", NOT_UTF8,
                "ok", "fine"));

        assertThat(decoded.skipped()).isEqualTo(6);
        assertThat(decoded.properties().userProperties()).containsExactly(Map.entry("ok", "fine"), ORIGIN);
    }

    @Test
    void theLastMqttHeaderWins() {
        MqttHeaderCodec.Decoded decoded = codec.decode(headers(
                "mqtt.content-type", "text/plain",
                "mqtt.content-type", "application/json",
                "mqtt.message-expiry-interval", "10",
                "mqtt.message-expiry-interval", "20"));

        assertThat(decoded.properties().contentType()).isEqualTo("application/json");
        assertThat(decoded.properties().messageExpirySeconds()).isEqualTo(20L);
        assertThat(decoded.skipped()).isZero();
    }

    @Test
    void theBridgesOriginIsAlwaysAddedLast() {
        assertThat(codec.decode(List.of()).properties().userProperties()).containsExactly(ORIGIN);
        assertThat(codec.decode(new RecordHeaders()).properties().userProperties()).containsExactly(ORIGIN);
        assertThat(codec.decode(headers("bridge.origin", "other-bridge", "z", "1")).properties().userProperties())
                .containsExactly(Map.entry("z", "1"), ORIGIN);
        assertThat(new MqttHeaderCodec("second").decode(headers("a", "b")).properties().userProperties())
                .containsExactly(Map.entry("a", "b"), Map.entry("bridge.origin", "second"));
        assertThat(codec.decode(headers("a", "b")).properties().userProperty("bridge.origin")).isEqualTo(BRIDGE_ID);
    }

    /** What the MQTT → Kafka direction writes, the Kafka → MQTT direction reads back as the same properties. */
    @Test
    void decodeReadsBackWhatEncodeWrote() {
        byte[] correlation = {0x00, (byte) 0xFF, 0x10, (byte) 0x80};
        Mqtt5Properties original = new Mqtt5Properties("application/json", "replies/dev-42", correlation,
                Boolean.FALSE, 3600L, List.of(Map.entry("unit", "celsius"), Map.entry("unit", "kelvin"),
                        Map.entry("empty", "")));
        Header[] encoded = new MqttHeaderCodec("other-bridge")
                .encode(new Message("sensors/dev-42", 1, true, Optional.of(original)));

        MqttHeaderCodec.Decoded decoded = codec.decode(Arrays.asList(encoded));

        Mqtt5Properties properties = decoded.properties();
        assertThat(decoded.skipped()).isZero();
        assertThat(properties.contentType()).isEqualTo("application/json");
        assertThat(properties.responseTopic()).isEqualTo("replies/dev-42");
        assertThat(properties.correlationData()).isEqualTo(correlation);
        assertThat(properties.payloadFormatUtf8()).isFalse();
        assertThat(properties.messageExpirySeconds()).isEqualTo(3600L);
        assertThat(properties.userProperties()).containsExactly(
                Map.entry("unit", "celsius"), Map.entry("unit", "kelvin"), Map.entry("empty", ""), ORIGIN);
    }
}
