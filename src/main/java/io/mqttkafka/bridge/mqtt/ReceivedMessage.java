package io.mqttkafka.bridge.mqtt;

/**
 * What both MQTT versions' messages have in common, read once on arrival (the payload is copied out of
 * the client's buffer exactly once).
 */
abstract class ReceivedMessage implements InboundMessage {

    private final String topic;
    private final byte[] payload;
    private final int qos;
    private final boolean retain;
    private final long receivedAtMillis;

    ReceivedMessage(String topic, byte[] payload, int qos, boolean retain, long receivedAtMillis) {
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
        return payload;
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
}
