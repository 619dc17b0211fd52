package io.mqttkafka.bridge.mqtt;

/**
 * One PUBLISH the bridge sends, independent of the MQTT version.
 *
 * @param topic the topic name (already validated)
 * @param payload the payload, byte for byte; never null (an empty array for an empty message)
 * @param qos 0, 1 or 2
 * @param retain the retain flag
 * @param properties MQTT 5 properties, or null; ignored with MQTT 3.1.1, which has none
 */
public record OutboundMessage(String topic, byte[] payload, int qos, boolean retain, Mqtt5Properties properties) {
}
