package io.mqttkafka.bridge.mqtt;

/**
 * A publish larger than {@code bridge.mqtt.maximum-message-size}: refused before it is sent, because the broker
 * would end the connection over it (MQTT 5) or drop it in silence (MQTT 3.1.1).
 */
public final class MessageTooLargeException extends RuntimeException {

    public MessageTooLargeException(int size, int maximum) {
        super("payload of " + size + " bytes is larger than bridge.mqtt.maximum-message-size (" + maximum + " bytes)");
    }
}
