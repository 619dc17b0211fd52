package io.mqttkafka.bridge.kafka;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

import io.mqttkafka.bridge.mapping.MqttTopicNames;
import io.mqttkafka.bridge.mapping.StrictUtf8;
import io.mqttkafka.bridge.mqtt.InboundMessage;
import io.mqttkafka.bridge.mqtt.Mqtt5Properties;

/**
 * Translates between an MQTT message's metadata and Kafka headers (see {@link BridgeHeaders} for the
 * names), in both directions.
 *
 * <p>MQTT → Kafka: user properties with a reserved name are left out: a publisher must not be able to forge
 * the bridge's own headers (a fake {@code bridge.origin} would defeat the loop guard, a fake
 * {@code mqtt.topic} would lie about where the message came from).
 *
 * <p>Kafka → MQTT 5: the {@code mqtt.*} headers become the MQTT 5 properties they came from, other headers
 * become user properties, and the bridge's origin is added so that its own subscriptions can recognise the
 * message. MQTT strings must be valid UTF-8 without U+0000, so a header that cannot be expressed as one is
 * left out and counted rather than altered.
 */
public final class MqttHeaderCodec {

    private static final byte[][] QOS_VALUES = {bytes("0"), bytes("1"), bytes("2")};
    private static final byte[] TRUE = bytes("true");
    private static final byte[] FALSE = bytes("false");
    private static final byte[] PAYLOAD_FORMAT_UTF8 = bytes("1");
    private static final byte[] PAYLOAD_FORMAT_BYTES = bytes("0");

    private final Header originHeader;
    private final String bridgeId;

    public MqttHeaderCodec(String bridgeId) {
        this.bridgeId = bridgeId;
        this.originHeader = new RecordHeader(BridgeHeaders.ORIGIN, bytes(bridgeId));
    }

    /**
     * The headers for one message. The array is shared by all records written for the message: the
     * producer copies headers into each record, so sharing is safe.
     */
    public Header[] encode(InboundMessage message) {
        Mqtt5Properties properties = message.properties().orElse(null);
        List<Header> headers = new ArrayList<>(properties == null ? 4 : 8 + properties.userProperties().size());
        headers.add(new RecordHeader(BridgeHeaders.MQTT_TOPIC, bytes(message.topic())));
        headers.add(new RecordHeader(BridgeHeaders.MQTT_QOS, QOS_VALUES[message.qos()]));
        headers.add(new RecordHeader(BridgeHeaders.MQTT_RETAIN, message.retain() ? TRUE : FALSE));
        headers.add(originHeader);
        if (properties != null) {
            addIfPresent(headers, BridgeHeaders.MQTT_CONTENT_TYPE, properties.contentType());
            addIfPresent(headers, BridgeHeaders.MQTT_RESPONSE_TOPIC, properties.responseTopic());
            if (properties.correlationData() != null) {
                headers.add(new RecordHeader(BridgeHeaders.MQTT_CORRELATION_DATA, properties.correlationData()));
            }
            if (properties.payloadFormatUtf8() != null) {
                headers.add(new RecordHeader(BridgeHeaders.MQTT_PAYLOAD_FORMAT,
                        properties.payloadFormatUtf8() ? PAYLOAD_FORMAT_UTF8 : PAYLOAD_FORMAT_BYTES));
            }
            if (properties.messageExpirySeconds() != null) {
                headers.add(new RecordHeader(BridgeHeaders.MQTT_MESSAGE_EXPIRY,
                        bytes(Long.toString(properties.messageExpirySeconds()))));
            }
            for (Map.Entry<String, String> property : properties.userProperties()) {
                if (!BridgeHeaders.isReserved(property.getKey())) {
                    headers.add(new RecordHeader(property.getKey(), bytes(property.getValue())));
                }
            }
        }
        return headers.toArray(new Header[0]);
    }

    /**
     * The MQTT 5 properties for a Kafka record's headers.
     *
     * @param headers the record's headers, in order
     * @return the properties (with this bridge's origin as a user property) and how many headers were left out
     */
    public Decoded decode(Iterable<Header> headers) {
        String contentType = null;
        String responseTopic = null;
        byte[] correlationData = null;
        Boolean payloadFormatUtf8 = null;
        Long messageExpiry = null;
        List<Map.Entry<String, String>> userProperties = new ArrayList<>();
        int skipped = 0;
        for (Header header : headers) {
            String name = header.key();
            byte[] value = header.value();
            switch (name) {
                // A repeated header: the last valid value wins; an invalid one is skipped, not a reset.
                case BridgeHeaders.MQTT_CONTENT_TYPE -> {
                    String type = mqttString(value);
                    contentType = type != null ? type : contentType;
                    skipped += type == null ? 1 : 0;
                }
                case BridgeHeaders.MQTT_RESPONSE_TOPIC -> {
                    String topic = mqttString(value);
                    boolean valid = topic != null && MqttTopicNames.invalidReason(topic).isEmpty();
                    responseTopic = valid ? topic : responseTopic;
                    skipped += valid ? 0 : 1;
                }
                case BridgeHeaders.MQTT_CORRELATION_DATA -> correlationData = value == null ? new byte[0] : value;
                case BridgeHeaders.MQTT_PAYLOAD_FORMAT -> {
                    String indicator = mqttString(value);
                    Boolean utf8 = "1".equals(indicator) ? Boolean.TRUE : "0".equals(indicator) ? Boolean.FALSE : null;
                    payloadFormatUtf8 = utf8 != null ? utf8 : payloadFormatUtf8;
                    skipped += utf8 == null ? 1 : 0;
                }
                case BridgeHeaders.MQTT_MESSAGE_EXPIRY -> {
                    Long expiry = expirySeconds(mqttString(value));
                    messageExpiry = expiry != null ? expiry : messageExpiry;
                    skipped += expiry == null ? 1 : 0;
                }
                default -> {
                    if (BridgeHeaders.isReserved(name)) {
                        continue; // the bridge's own bookkeeping (topic, QoS, origin, dead-letter reason)
                    }
                    String text = value == null ? "" : mqttString(value);
                    if (text == null || !StrictUtf8.isMqttString(name)) {
                        skipped++;
                    } else {
                        userProperties.add(Map.entry(name, text));
                    }
                }
            }
        }
        userProperties.add(Map.entry(BridgeHeaders.ORIGIN, bridgeId));
        return new Decoded(new Mqtt5Properties(contentType, responseTopic, correlationData, payloadFormatUtf8,
                messageExpiry, userProperties), skipped);
    }

    /**
     * MQTT 5 properties decoded from Kafka headers.
     *
     * @param properties the properties to publish with
     * @param skipped headers left out because MQTT cannot carry their value
     */
    public record Decoded(Mqtt5Properties properties, int skipped) {
    }

    /** Text MQTT can carry as a UTF-8 string, or null. */
    private static String mqttString(byte[] value) {
        String text = StrictUtf8.decode(value);
        return text != null && StrictUtf8.isMqttString(text) ? text : null;
    }

    private static Long expirySeconds(String text) {
        if (text == null) {
            return null;
        }
        try {
            long seconds = Long.parseLong(text);
            return seconds >= 0 && seconds <= 0xFFFF_FFFFL ? seconds : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static void addIfPresent(List<Header> headers, String name, String value) {
        if (value != null) {
            headers.add(new RecordHeader(name, bytes(value)));
        }
    }

    static byte[] bytes(String value) {
        return value.getBytes(StandardCharsets.UTF_8);
    }
}
