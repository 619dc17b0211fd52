package io.mqttkafka.bridge.mqtt;

import java.util.Optional;

import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;

/** Adapts an {@link Mqtt3Publish} received with manual acknowledgement. MQTT 3.1.1 has no properties. */
final class Mqtt3InboundMessage extends ReceivedMessage {

    private final Mqtt3Publish publish;

    Mqtt3InboundMessage(Mqtt3Publish publish, long receivedAtMillis) {
        super(publish.getTopic().toString(), publish.getPayload().orElse(null), publish.getQos().getCode(),
                publish.isRetain(), receivedAtMillis);
        this.publish = publish;
    }

    @Override
    public Optional<Mqtt5Properties> properties() {
        return Optional.empty();
    }

    @Override
    public IncomingQos2Identity.Identity qos2Identity() {
        return IncomingQos2Identity.of(publish);
    }

    @Override
    void acknowledgePublish() {
        publish.acknowledge();
    }
}
