package io.mqttkafka.bridge.mqtt;

/**
 * The connection ended while this publish was the only QoS 1/2 publish in flight on it (see
 * {@link MqttConnection#publish}): the publish is the likely reason the connection ended, e.g. a broker that
 * answers a message it will not take with a reason code the client must treat as a protocol error. One such
 * failure proves nothing (a broker restart looks the same); a publish that ends its connection every time it is
 * sent is poison.
 */
public final class ConnectionLostWithPublishException extends RuntimeException {

    public ConnectionLostWithPublishException(Throwable cause) {
        super("the MQTT connection ended while this was the only publish in flight: " + cause, cause);
    }
}
