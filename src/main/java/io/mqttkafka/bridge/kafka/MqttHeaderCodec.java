package io.mqttkafka.bridge.kafka;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

import io.mqttkafka.bridge.mqtt.InboundMessage;
import io.mqttkafka.bridge.mqtt.Mqtt5Properties;

/**
 * Encodes an MQTT message's metadata as Kafka headers (see {@link BridgeHeaders} for the names). User
 * properties with a reserved name are left out: a publisher must not be able to forge the bridge's own
 * headers (a fake {@code bridge.origin} would defeat the loop guard, a fake {@code mqtt.topic} would lie
 * about where the message came from).
 */
public final class MqttHeaderCodec {

    private static final byte[][] QOS_VALUES = {bytes("0"), bytes("1"), bytes("2")};
    private static final byte[] TRUE = bytes("true");
    private static final byte[] FALSE = bytes("false");
    private static final byte[] PAYLOAD_FORMAT_UTF8 = bytes("1");
    private static final byte[] PAYLOAD_FORMAT_BYTES = bytes("0");

    private final Header originHeader;

    public MqttHeaderCodec(String bridgeId) {
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

    private static void addIfPresent(List<Header> headers, String name, String value) {
        if (value != null) {
            headers.add(new RecordHeader(name, bytes(value)));
        }
    }

    static byte[] bytes(String value) {
        return value.getBytes(StandardCharsets.UTF_8);
    }
}
