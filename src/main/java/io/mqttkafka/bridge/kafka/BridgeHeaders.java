package io.mqttkafka.bridge.kafka;

/**
 * Names of the Kafka headers the bridge writes. They are part of the bridge's public contract:
 * consumers read them, and the Kafka → MQTT direction maps the {@code mqtt.*} ones back to the MQTT 5
 * properties they came from. MQTT 5 user properties are written as headers under their own names.
 */
public final class BridgeHeaders {

    /** The MQTT topic the message was published to. */
    public static final String MQTT_TOPIC = "mqtt.topic";
    /** The QoS the bridge received the message with: "0", "1" or "2". */
    public static final String MQTT_QOS = "mqtt.qos";
    /** "true" when the message was a retained message, else "false". */
    public static final String MQTT_RETAIN = "mqtt.retain";
    /** MQTT 5 content type. */
    public static final String MQTT_CONTENT_TYPE = "mqtt.content-type";
    /** MQTT 5 response topic. */
    public static final String MQTT_RESPONSE_TOPIC = "mqtt.response-topic";
    /** MQTT 5 correlation data, raw bytes. */
    public static final String MQTT_CORRELATION_DATA = "mqtt.correlation-data";
    /** MQTT 5 payload format indicator: "1" (UTF-8) or "0" (unspecified bytes). */
    public static final String MQTT_PAYLOAD_FORMAT = "mqtt.payload-format-indicator";
    /** MQTT 5 message expiry interval in seconds, as the broker forwarded it (already reduced by its wait). */
    public static final String MQTT_MESSAGE_EXPIRY = "mqtt.message-expiry-interval";
    /**
     * The {@code bridge.id} of the bridge that wrote the record (or published the MQTT message, as a user
     * property). The loop guard drops messages that carry its own id.
     */
    public static final String ORIGIN = "bridge.origin";

    /** Dead-letter records: why the message could not be written. */
    public static final String DLQ_REASON = "dlq.reason";
    /** Dead-letter records: the exception class behind the reason, when there was one. */
    public static final String DLQ_EXCEPTION = "dlq.exception";
    /** Dead-letter records: the name of the mapping that routed the message. */
    public static final String DLQ_MAPPING = "dlq.mapping";
    /** Dead-letter records: the Kafka topic the message was meant for. */
    public static final String DLQ_TARGET_TOPIC = "dlq.target-topic";
    /** Dead-letter records: when the bridge dead-lettered it, ISO-8601 UTC. */
    public static final String DLQ_TIME = "dlq.time";
    /**
     * Dead-letter records: present (with the payload size in bytes) when the payload itself was too large
     * for Kafka and the dead-letter record carries only the metadata.
     */
    public static final String DLQ_PAYLOAD_OMITTED_SIZE = "dlq.payload-omitted-size";

    /** Dead-letter records of the Kafka → MQTT direction: the topic the record was read from. */
    public static final String DLQ_SOURCE_TOPIC = "dlq.source-topic";
    /** Dead-letter records of the Kafka → MQTT direction: the partition the record was read from. */
    public static final String DLQ_SOURCE_PARTITION = "dlq.source-partition";
    /** Dead-letter records of the Kafka → MQTT direction: the offset of the record. */
    public static final String DLQ_SOURCE_OFFSET = "dlq.source-offset";

    private BridgeHeaders() {
    }

    /** Names only the bridge writes: {@code mqtt.*}, {@code dlq.*} and {@link #ORIGIN}. */
    public static boolean isReserved(String name) {
        return name.startsWith("mqtt.") || name.startsWith("dlq.") || name.equals(ORIGIN);
    }
}
