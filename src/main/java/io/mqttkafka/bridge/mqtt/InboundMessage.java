package io.mqttkafka.bridge.mqtt;

import java.util.Optional;
import java.util.Set;

/**
 * One PUBLISH received from the broker, independent of the MQTT version. The payload is handed over
 * byte for byte; {@link #acknowledge()} releases the PUBACK/PUBREC for QoS 1/2 and must be called
 * exactly once, only after the message is safe downstream (for QoS 0 nothing goes on the wire; with
 * {@code qos0-overload: push-back} it frees the message's place in the subscriber's window).
 */
public interface InboundMessage {

    String topic();

    /**
     * The payload exactly as received, as a new array on every call; never null (an empty payload is an empty
     * array). The client keeps its own copy until the message is acknowledged; callers hold theirs only as long
     * as they need it, so that a message in flight costs one copy of its payload, not two.
     */
    byte[] payload();

    /** The payload's length in bytes, without copying it. */
    int payloadSize();

    /** The QoS the message was delivered with (the lower of publish and subscription QoS). */
    int qos();

    boolean retain();

    /** Wall-clock time when the bridge received the message, in epoch milliseconds. */
    long receivedAtMillis();

    /** MQTT 5 properties; empty for MQTT 3.1.1. */
    Optional<Mqtt5Properties> properties();

    /**
     * The subscription filters (as subscribed) this copy of the message was delivered for, from its MQTT 5 subscription
     * identifiers; empty when not known (MQTT 3.1.1, a broker without subscription identifiers), and the message is
     * then routed by its topic alone.
     */
    default Set<String> deliveredFor() {
        return Set.of();
    }

    /**
     * The packet identifier and DUP flag of this QoS 1/2 message, read from the MQTT client's internals
     * ({@link IncomingQos2Identity}); only exactly-once QoS 2 asks for them, before the message is acknowledged.
     *
     * @throws IllegalStateException when they cannot be read (see {@link IncomingQos2Identity#of(
     *         com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish)})
     */
    default IncomingQos2Identity.Identity qos2Identity() {
        throw new IllegalStateException("no packet identifier: " + getClass().getName() + " is not a received PUBLISH");
    }

    /**
     * Which connection of the subscriber delivered this message, counted from 1, when the subscriber counts them
     * (exactly-once mappings, {@link PubCompGates}); 0 otherwise.
     */
    default int connection() {
        return 0;
    }

    /** Sends the PUBACK/PUBREC for this message (via the client, in arrival order). */
    void acknowledge();
}
