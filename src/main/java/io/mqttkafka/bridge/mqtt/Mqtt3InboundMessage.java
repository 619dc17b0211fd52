package io.mqttkafka.bridge.mqtt;

import java.util.Optional;

import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;

/** Adapts an {@link Mqtt3Publish} received with manual acknowledgement. MQTT 3.1.1 has no properties. */
final class Mqtt3InboundMessage implements InboundMessage {

    private final Mqtt3Publish publish;
    private final String topic;
    private final byte[] payload;
    private final long receivedAtMillis;

    Mqtt3InboundMessage(Mqtt3Publish publish, long receivedAtMillis) {
        this.publish = publish;
        this.topic = publish.getTopic().toString();
        this.payload = publish.getPayloadAsBytes();
        this.receivedAtMillis = receivedAtMillis;
    }

    @Override
    public String topic() {
        return topic;
    }

    @Override
    public byte[] payload() {
        return payload;
    }

    @Override
    public int qos() {
        return publish.getQos().getCode();
    }

    @Override
    public boolean retain() {
        return publish.isRetain();
    }

    @Override
    public long receivedAtMillis() {
        return receivedAtMillis;
    }

    @Override
    public Optional<Mqtt5Properties> properties() {
        return Optional.empty();
    }

    @Override
    public void acknowledge() {
        publish.acknowledge();
    }
}
