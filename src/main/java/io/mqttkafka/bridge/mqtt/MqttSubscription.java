package io.mqttkafka.bridge.mqtt;

/**
 * One filter to subscribe to.
 *
 * @param filter the filter as sent in SUBSCRIBE (wildcards only, optional {@code $share/<group>/} prefix)
 * @param qos    maximum QoS requested
 */
public record MqttSubscription(String filter, int qos) {
}
