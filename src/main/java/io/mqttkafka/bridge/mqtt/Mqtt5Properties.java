package io.mqttkafka.bridge.mqtt;

import java.util.List;
import java.util.Map;

/**
 * The MQTT 5 PUBLISH properties the bridge carries across, as plain values (no client types), so that
 * other packages can encode them without depending on the MQTT client.
 *
 * @param contentType            content type, or null
 * @param responseTopic          response topic, or null
 * @param correlationData        correlation data, or null
 * @param payloadFormatUtf8      payload format indicator: TRUE for UTF-8, FALSE for unspecified bytes,
 *                               null when absent
 * @param messageExpirySeconds   message expiry interval in seconds, or null when absent
 * @param userProperties         user properties in order (names may repeat)
 */
public record Mqtt5Properties(
        String contentType,
        String responseTopic,
        byte[] correlationData,
        Boolean payloadFormatUtf8,
        Long messageExpirySeconds,
        List<Map.Entry<String, String>> userProperties) {

    public Mqtt5Properties {
        userProperties = userProperties == null ? List.of() : userProperties;
    }

    /** The value of the first user property with this name, or null. */
    public String userProperty(String name) {
        for (Map.Entry<String, String> property : userProperties) {
            if (property.getKey().equals(name)) {
                return property.getValue();
            }
        }
        return null;
    }
}
