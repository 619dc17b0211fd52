package io.mqttkafka.bridge.mqtt;

import java.nio.ByteBuffer;

/**
 * What both MQTT versions' messages have in common, read once on arrival. The payload stays in the client's
 * (read-only) buffer, which the client holds anyway until the acknowledgement; it is copied out on demand.
 */
abstract class ReceivedMessage implements InboundMessage {

    private static final byte[] EMPTY = new byte[0];

    private final String topic;
    /** Null for an empty payload. */
    private final ByteBuffer payload;
    private final int qos;
    private final boolean retain;
    private final long receivedAtMillis;
    /** The subscriber's window counts this message until it is acknowledged; null when not counted (QoS 0 by default). */
    private InboundWindow.Slot slot;
    /** See {@link #connection()}. */
    private int connection;

    ReceivedMessage(String topic, ByteBuffer payload, int qos, boolean retain, long receivedAtMillis) {
        this.topic = topic;
        this.payload = payload;
        this.qos = qos;
        this.retain = retain;
        this.receivedAtMillis = receivedAtMillis;
    }

    @Override
    public final String topic() {
        return topic;
    }

    @Override
    public final byte[] payload() {
        if (payload == null || !payload.hasRemaining()) {
            return EMPTY;
        }
        byte[] bytes = new byte[payload.remaining()];
        payload.duplicate().get(bytes);
        return bytes;
    }

    @Override
    public final int payloadSize() {
        return payload == null ? 0 : payload.remaining();
    }

    @Override
    public final int qos() {
        return qos;
    }

    @Override
    public final boolean retain() {
        return retain;
    }

    @Override
    public final long receivedAtMillis() {
        return receivedAtMillis;
    }

    /** Counts this message in {@code window} until it is acknowledged. */
    final ReceivedMessage heldIn(InboundWindow window) {
        if (qos > 0) {
            slot = window.received();
        } else if (window.countsQos0()) {
            slot = window.receivedQos0();
        }
        return this;
    }

    /** Notes the connection that delivered this message (see {@link InboundMessage#connection()}). */
    final ReceivedMessage onConnection(int number) {
        connection = number;
        return this;
    }

    @Override
    public final int connection() {
        return connection;
    }

    @Override
    public final void acknowledge() {
        acknowledgePublish();
        if (slot != null) {
            slot.release();
        }
    }

    /** Hands the acknowledgement to the client, which sends it in arrival order. */
    abstract void acknowledgePublish();
}
