package io.mqttkafka.bridge.pipeline;

import io.mqttkafka.bridge.kafka.BridgeHeaders;
import io.mqttkafka.bridge.mqtt.InboundMessage;
import io.mqttkafka.bridge.mqtt.Mqtt5Properties;

/**
 * Recognises messages this bridge (any replica with the same {@code bridge.id}) produced itself, so a
 * bidirectional setup does not feed them back. MQTT 5 messages published by the Kafka → MQTT direction
 * carry the origin as a user property; MQTT 3.1.1 has nowhere to carry it, so there the bridge relies on
 * topic design (documented).
 */
final class LoopGuard {

    private LoopGuard() {
    }

    static boolean isOwnMessage(InboundMessage message, String bridgeId) {
        Mqtt5Properties properties = message.properties().orElse(null);
        return properties != null && bridgeId.equals(properties.userProperty(BridgeHeaders.ORIGIN));
    }
}
